"""Demo cases: a few households of the demo village (``demo_village``'s) at different points of the
identification procedure, so that the board, a case's timeline, the notices, a plan, a visit and the
digest have something to show. Made through the same services a cadre uses, dated in the recent past;
made once (nothing happens when cases exist)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from bangfu.accounts.models import User
from bangfu.monitoring import assistance, digest, elimination, identification, visits
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.identification import BASIC_NEEDS
from bangfu.monitoring.models import Category, MonitoringCase
from bangfu.registry.models import Household, HouseholdStatus, Member, Relation

ALL_MET = dict.fromkeys(BASIC_NEEDS, True)


@dataclass(frozen=True)
class DemoCases:
    cases: int
    leads: int


def _walk_to_monitored(
    case: MonitoringCase, household: Household, users: dict[str, User], day: dt.date
) -> MonitoringCase:
    village, town, county = users["village"], users["town"], users["county"]
    case = identification.sign_application(
        case=case, by=village, on=day, proxy_name="村会计", proxy_relation="村干部"
    )
    case = identification.record_home_check(
        case=case,
        by=village,
        on=day,
        members=3,
        net_income="15600",
        out_of_pocket="28000",
        needs_met={**ALL_MET, "medical": False},
        risk_types=case.risk_types,
        note="户主住院，医疗自付较高",
    )
    case = identification.compare_data(case=case, by=village, on=day)
    case = identification.record_appraisal(
        case=case, by=village, on=day, attendees=["第一书记", "村支书", "村民代表"], minutes="一致同意拟纳入"
    )
    day = case.notice_ends_on or day
    case = identification.close_notice(case=case, by=village, on=day)
    case = identification.town_approve(case=case, by=town, on=day, opinion="同意")
    category = Category.UNSTABLE_EXITED if household.is_exited_poor else Category.EDGE
    case = identification.county_approve(
        case=case, by=county, on=day, category=category, risk_types=case.risk_types, no_labour=False
    )
    return identification.announce(case=case, by=town, on=day)


SCENARIOS = ("monitored", "town_review", "application", "elimination", "reported", "self_report")


def seed_demo_cases(*, on: dt.date) -> DemoCases:
    """Households of the demo village along the procedure, as many scenarios as it has households (up to
    six): monitored with a plan and a visit, at the town's review, late at the application, monitored with
    its elimination proposed, just reported, and a self-report in the town's inbox. Returns what was made
    (nothing when cases exist)."""
    if MonitoringCase.objects.exists():
        return DemoCases(0, 0)
    users = {
        "village": User.objects.get(username="demo_village"),
        "town": User.objects.get(username="demo_town"),
        "county": User.objects.get(username="demo_county"),
    }
    village = users["village"].region
    if village is None:
        return DemoCases(0, 0)
    households = list(
        Household.objects.filter(region_code=village.code, status=HouseholdStatus.ACTIVE).order_by("id")[
            : len(SCENARIOS)
        ]
    )
    cases = leads = 0
    try:
        for number, (household, scenario) in enumerate(zip(households, SCENARIOS, strict=False)):
            opened = on - dt.timedelta(days=60 - number * 10)
            if scenario == "self_report":
                leads += _self_report(household, village.code, on)
                continue
            risk = "因学" if scenario == "town_review" else "因病"
            case = identification.report_by_cadre(
                household=household,
                by=users["village"],
                on=opened,
                difficulty="驻村工作队走访发现",
                risk_types=[risk],
            )
            cases += 1
            if scenario in ("monitored", "elimination"):
                case = _walk_to_monitored(case, household, users, opened)
                _plan_and_visit(case, users, on)
            if scenario == "elimination":
                elimination.propose_elimination(
                    case=case, by=users["village"], on=on, method="natural", reason="演示：整户迁出本县"
                )
            if scenario == "town_review":
                _to_town_review(case, users, opened)
    except MonitoringRefused:
        # A policy value the demo assumes is missing: the demo still runs, with what was made so far.
        return DemoCases(cases, leads)
    digest.build(on=on)
    return DemoCases(cases, leads)


def _plan_and_visit(case: MonitoringCase, users: dict[str, User], on: dt.date) -> None:
    case = assistance.assign_contact(case=case, by=users["town"], cadre=users["village"])
    assistance.add_measure(
        case=case,
        by=users["village"],
        category="100A45",
        description="落实大病保险倾斜和医疗救助",
        responsible_unit="区医疗保障局",
        responsible_person="医保专干",
        starts_on=case.monitored_from or on,
    )
    visits.log_visit(
        case=case,
        by=users["village"],
        on=on - dt.timedelta(days=3),
        client_id=uuid.uuid4(),
        needs_met=ALL_MET,
        note="户主已出院，按时服药",
    )


def _to_town_review(case: MonitoringCase, users: dict[str, User], day: dt.date) -> None:
    village = users["village"]
    case = identification.sign_application(
        case=case, by=village, on=day, proxy_name="村会计", proxy_relation="村干部"
    )
    case = identification.record_home_check(
        case=case,
        by=village,
        on=day,
        members=4,
        net_income="18000",
        out_of_pocket="9000",
        needs_met=ALL_MET,
        risk_types=case.risk_types,
    )
    case = identification.compare_data(case=case, by=village, on=day)
    case = identification.record_appraisal(
        case=case, by=village, on=day, attendees=["第一书记", "村支书", "村民代表"], minutes="同意"
    )
    identification.close_notice(case=case, by=village, on=case.notice_ends_on or day)


def _self_report(household: Household, village: str, on: dt.date) -> int:
    applicant = Member.objects.current().filter(household=household, relation=Relation.HEAD).first()
    if applicant is None or not applicant.id_number:
        return 0
    identification.submit_self_report(
        region_code=village,
        name=applicant.name,
        phone="13800000000",
        id_number=applicant.id_number,
        difficulty="演示：家中老人重病，申请纳入监测",
        risk_types=["因病"],
        on=on,
    )
    return 1

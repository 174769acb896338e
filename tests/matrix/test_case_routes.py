"""The case pages: the board and the lead inbox (case readers, rows by scope), one case or lead (404 outside
its village), each step's form (the step's level within the scope), the town's acceptance, a cadre's report,
a hotline call and the village's QR poster."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Mapping

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from bangfu.accounts.models import Role, User
from bangfu.monitoring import elimination, identification, visits
from bangfu.monitoring.models import CaseEvent, CaseState, Lead, Measure, MonitoringCase, Visit
from bangfu.regions.models import Region
from tests.factories import (
    HouseholdFactory,
    MemberFactory,
    UserFactory,
    ensure_measure_catalogue,
    ensure_procedure_policy,
    monitored_case,
)
from tests.permissions import BUSINESS_PERSONAS, VILLAGE, PermissionMatrix, Route

pytestmark = pytest.mark.django_db

OPENED = dt.date(2026, 9, 29)
HEAD = "孙有田"
HOUSEHOLD = "610902001001000666"
APPLICANT = "钱多多"
# Who reads cases: every business persona but the sector department.
READERS = BUSINESS_PERSONAS - {"department_user"}
OUTSIDE = frozenset({"other_village_cadre", "other_county_clerk"})
OVER_VILLAGE = READERS - OUTSIDE
VISITORS = frozenset({"village_cadre", "other_village_cadre", "town_officer"})


def _actors() -> tuple[User, User]:
    """A village team member of 东关村 and a town officer of 老城街道, apart from the persona under test."""
    village = User.objects.filter(username="case_village").first() or UserFactory(
        username="case_village", role=Role.VILLAGE_TEAM, region=Region.objects.get(code=VILLAGE)
    )
    town = User.objects.filter(username="case_town").first() or UserFactory(
        username="case_town", role=Role.TOWN, region=Region.objects.get(code=VILLAGE[:9] + "000")
    )
    return village, town


def a_case(state: str = CaseState.APPLICATION) -> Mapping[str, object]:
    """A case of 东关村 opened by a cadre's report, walked on to ``state``."""
    case = MonitoringCase.objects.first()
    if case is None:
        ensure_procedure_policy()
        household = MemberFactory(household=HouseholdFactory(household_number=HOUSEHOLD), name=HEAD).household
        village, _town = _actors()
        case = identification.report_by_cadre(
            household=household, by=village, on=OPENED, difficulty="住院", risk_types=["因病"]
        )
        if state == CaseState.TOWN_REVIEW:
            case = identification.sign_application(
                case=case, by=village, on=OPENED, proxy_name="李", proxy_relation="网格员"
            )
            case = identification.record_home_check(
                case=case,
                by=village,
                on=OPENED,
                members=2,
                net_income=5000,
                out_of_pocket=0,
                needs_met=dict.fromkeys(identification.BASIC_NEEDS, True),
                risk_types=["因病"],
            )
            case = identification.compare_data(case=case, by=village, on=OPENED)
            case = identification.record_appraisal(
                case=case, by=village, on=OPENED, attendees=["甲", "乙", "丙"], minutes="同意"
            )
            assert case.notice_ends_on is not None
            case = identification.close_notice(case=case, by=village, on=case.notice_ends_on)
    return {"pk": case.pk}


def a_monitored_case() -> Mapping[str, object]:
    """A monitored household of 东关村 (risk: illness) with the measure catalogue."""
    case = MonitoringCase.objects.first()
    if case is None:
        ensure_measure_catalogue()
        village, town = _actors()
        county = User.objects.filter(username="case_county").first() or UserFactory(
            username="case_county",
            role=Role.COUNTY_OFFICE,
            region=Region.objects.get(code=VILLAGE[:6] + "000000"),
        )
        household = MemberFactory(household=HouseholdFactory(household_number=HOUSEHOLD), name=HEAD).household
        case = monitored_case(household, village=village, town=town, county=county)
    return {"pk": case.pk, "cadre": _actors()[0].pk}


def an_eliminated_case() -> Mapping[str, object]:
    """The monitored household of 东关村, its risk eliminated by assistance (notice 11-01 to 11-06)."""
    ids = a_monitored_case()
    case = MonitoringCase.objects.get(pk=ids["pk"])
    if case.state == CaseState.MONITORED:
        village, town = _actors()
        county = User.objects.get(username="case_county")
        day = dt.date(2026, 11, 1)
        case = elimination.propose_elimination(
            case=case,
            by=village,
            on=day,
            method="natural",
            reason="整户迁出",
        )
        case = elimination.record_elimination_appraisal(
            case=case, by=village, on=day, attendees=["甲", "乙", "丙"], minutes="同意"
        )
        assert case.notice_ends_on is not None
        case = elimination.close_elimination_notice(case=case, by=village, on=case.notice_ends_on)
        case = elimination.town_accept_elimination(case=case, by=town, on=case.notice_ends_on)
        elimination.approve_elimination(case=case, by=county, on=case.notice_ends_on)
    return ids


def a_visit() -> Mapping[str, object]:
    """A visit with a photo to the monitored household of 东关村."""
    ids = a_monitored_case()
    visit = Visit.objects.first()
    if visit is None:
        case = MonitoringCase.objects.get(pk=ids["pk"])
        village, _town = _actors()
        buffer = io.BytesIO()
        Image.new("RGB", (40, 30), (10, 20, 30)).save(buffer, "JPEG")
        visit, _new = visits.log_visit(
            case=case,
            by=village,
            on=dt.date(2026, 11, 4),
            client_id=uuid.uuid4(),
            needs_met={},
            photo=SimpleUploadedFile("v.jpg", buffer.getvalue(), "image/jpeg"),
        )
    return {**ids, "visit": visit.pk}


def an_attachment() -> Mapping[str, object]:
    """The case of 东关村 with its application signed on a photographed pledge."""
    ids = a_case()
    case = MonitoringCase.objects.get(pk=ids["pk"])
    event = CaseEvent.objects.filter(case=case, action="sign_application").first()
    if event is None:
        village, _town = _actors()
        identification.sign_application(
            case=case,
            by=village,
            on=OPENED,
            pledge_photo=SimpleUploadedFile("pledge.jpg", b"\xff\xd8\xff\xe0pledge", "image/jpeg"),
        )
        event = CaseEvent.objects.get(case=case, action="sign_application")
    return {"event": event.pk}


def visit_state() -> object:
    return list(Visit.objects.values_list("note", flat=True))


def measure_state() -> object:
    return list(Measure.objects.values_list("description", flat=True)), list(
        MonitoringCase.objects.values_list("contact_cadre", flat=True)
    )


def a_case_in_review() -> Mapping[str, object]:
    return a_case(CaseState.TOWN_REVIEW)


def a_lead() -> Mapping[str, object]:
    """A self-report from 东关村 waiting in the town's inbox."""
    lead = Lead.objects.first()
    if lead is None:
        ensure_procedure_policy()
        member = MemberFactory(household=HouseholdFactory(), name=APPLICANT)
        lead = identification.submit_self_report(
            region_code=VILLAGE,
            name=APPLICANT,
            phone="13900001111",
            id_number=member.id_number,
            difficulty="孩子上学困难",
            risk_types=["因学"],
            on=OPENED,
        )
    return {"pk": lead.pk}


def case_state() -> object:
    return list(MonitoringCase.objects.values_list("state", "step_due_on")), CaseEvent.objects.count()


def lead_state() -> object:
    return list(Lead.objects.values_list("status", "decline_reason")), MonitoringCase.objects.count()


class TestCaseRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route("/cases/", allowed=READERS, setup=a_case, marker=HEAD, shown_to=OVER_VILLAGE),
        Route("/cases/?late=1", allowed=READERS, setup=a_case, marker=HEAD, shown_to=OVER_VILLAGE),
        Route(
            "/cases/{pk}/",
            allowed=OVER_VILLAGE,
            outside=OUTSIDE,
            setup=a_case,
            marker=HEAD,
            shown_to=OVER_VILLAGE,
        ),
        Route(
            "/cases/{pk}/step/",
            method="post",
            data={"on": "2026-09-30", "proxy_name": "李会计", "proxy_relation": "村干部"},
            allowed=frozenset({"village_cadre", "town_officer"}),
            outside=OUTSIDE,
            ok_status=302,
            setup=a_case,
            state=case_state,
        ),
        Route(
            "/cases/{pk}/back/",
            method="post",
            data={"on": "2026-10-05", "to": "home_check", "reason": "漏计务工收入"},
            allowed=frozenset({"town_officer"}),
            outside=OUTSIDE,
            ok_status=302,
            setup=a_case_in_review,
            state=case_state,
        ),
        Route(
            "/cases/{pk}/reject/",
            method="post",
            data={"on": "2026-10-05", "reason": "有稳定务工收入"},
            allowed=frozenset({"town_officer"}),
            outside=OUTSIDE,
            ok_status=302,
            setup=a_case_in_review,
            state=case_state,
        ),
        Route(
            "/cases/{pk}/measures/",
            method="post",
            data={
                "category": "100A45",
                "description": "医疗救助",
                "responsible_unit": "区医保局",
                "responsible_person": "王医保",
                "starts_on": "2026-10-10",
            },
            allowed=frozenset({"village_cadre", "town_officer"}),
            outside=OUTSIDE,
            ok_status=302,
            setup=a_monitored_case,
            state=measure_state,
        ),
        Route(
            "/cases/{pk}/contact/",
            method="post",
            data={"cadre": "0"},
            allowed=frozenset({"town_officer"}),
            outside=OUTSIDE,
            ok_status=200,
            setup=a_monitored_case,
            state=measure_state,
        ),
        Route(
            "/cases/{pk}/eliminate/",
            method="post",
            data={"on": "2026-11-20", "method": "natural", "reason": "整户迁出"},
            allowed=frozenset({"village_cadre", "town_officer"}),
            outside=OUTSIDE,
            ok_status=302,
            setup=a_monitored_case,
            state=case_state,
        ),
        Route(
            "/cases/{pk}/roll-back/",
            method="post",
            data={"on": "2026-11-20", "reason": "收入不稳定"},
            allowed=frozenset({"county_clerk"}),
            outside=OUTSIDE,
            ok_status=302,
            setup=an_eliminated_case,
            state=case_state,
        ),
        Route("/cases/visits/", allowed=VISITORS),
        Route("/cases/digest/", allowed=READERS),
        Route("/api/v1/visits", api=True, allowed=READERS, setup=a_visit),
        Route(
            "/api/v1/visits",
            api=True,
            method="post",
            data={
                "case_id": 0,
                "on": "2026-11-04",
                "client_id": "3b0a4c1e-9b3d-4a5e-8f1a-2c3d4e5f6a7b",
                "needs_met": {},
            },
            allowed=frozenset(),
            statuses={"village_cadre": 404, "other_village_cadre": 404, "town_officer": 404},
            state=visit_state,
        ),
        Route(
            "/cases/{pk}/visit/",
            allowed=frozenset({"village_cadre", "town_officer"}),
            outside=frozenset({"other_village_cadre"}),
            setup=a_monitored_case,
        ),
        Route(
            "/cases/{pk}/visit/",
            method="post",
            data={
                "on": "2026-11-04",
                "income_change": "none",
                "note": "家中正常",
                "client_id": "0d3c9a5e-8a53-4f0e-9d2b-4e1f6f0c1a11",
            },
            allowed=frozenset({"village_cadre", "town_officer"}),
            outside=frozenset({"other_village_cadre"}),
            ok_status=302,
            setup=a_monitored_case,
            state=visit_state,
        ),
        Route("/cases/visits/{visit}/photo/", allowed=OVER_VILLAGE, outside=OUTSIDE, setup=a_visit),
        Route(
            "/cases/events/{event}/attachment/", allowed=OVER_VILLAGE, outside=OUTSIDE, setup=an_attachment
        ),
        Route("/cases/leads/", allowed=READERS, setup=a_lead, marker=APPLICANT, shown_to=OVER_VILLAGE),
        Route(
            "/cases/leads/{pk}/",
            allowed=OVER_VILLAGE,
            outside=OUTSIDE,
            setup=a_lead,
            marker=APPLICANT,
            shown_to=OVER_VILLAGE,
        ),
        Route(
            "/cases/leads/{pk}/accept/",
            method="post",
            data={"on": "2026-09-30"},
            allowed=frozenset({"town_officer"}),
            ok_status=302,
            setup=a_lead,
            state=lead_state,
        ),
        Route(
            "/cases/leads/{pk}/decline/",
            method="post",
            data={"reason": "重复申报"},
            allowed=frozenset({"town_officer"}),
            ok_status=302,
            setup=a_lead,
            state=lead_state,
        ),
        Route("/cases/report/", allowed=frozenset({"village_cadre", "other_village_cadre", "town_officer"})),
        Route(
            "/cases/hotline/",
            allowed=frozenset({"city_hq", "county_clerk", "other_county_clerk", "town_officer"}),
        ),
        Route(
            "/api/v1/cases", api=True, allowed=READERS, setup=a_case, marker=HOUSEHOLD, shown_to=OVER_VILLAGE
        ),
        Route("/api/v1/cases/{pk}", api=True, allowed=OVER_VILLAGE, outside=OUTSIDE, setup=a_case),
        Route(
            "/api/v1/cases/{pk}/steps",
            api=True,
            method="post",
            data={
                "action": "sign_application",
                "fields": {"on": "2026-09-30", "proxy_name": "李", "proxy_relation": "网格员"},
            },
            allowed=frozenset({"village_cadre", "town_officer"}),
            outside=OUTSIDE,
            setup=a_case,
            state=case_state,
        ),
        Route(
            "/api/v1/cases/report",
            api=True,
            method="post",
            data={"household_id": 0, "on": "2026-09-30", "difficulty": "x", "risk_types": ["因病"]},
            allowed=frozenset(),
            statuses={"village_cadre": 404, "town_officer": 404, "other_village_cadre": 404},
            state=case_state,
        ),
        Route(
            "/api/v1/leads", api=True, allowed=READERS, setup=a_lead, marker=APPLICANT, shown_to=OVER_VILLAGE
        ),
        Route(
            "/api/v1/leads",
            api=True,
            method="post",
            data={"region_code": VILLAGE, "name": "赵", "phone": "139", "id_number": "1", "difficulty": "x"},
            allowed=frozenset(),
            statuses={"city_hq": 422, "county_clerk": 422, "town_officer": 422, "other_county_clerk": 403},
            state=lead_state,
        ),
        Route(
            "/api/v1/leads/{pk}/accept",
            api=True,
            method="post",
            data={"on": "2026-09-30"},
            allowed=frozenset({"town_officer"}),
            setup=a_lead,
            state=lead_state,
        ),
        Route(
            "/api/v1/leads/{pk}/decline",
            api=True,
            method="post",
            data={"reason": "重复申报"},
            allowed=frozenset({"town_officer"}),
            setup=a_lead,
            state=lead_state,
        ),
        Route(
            f"/cases/poster/{VILLAGE}/",
            allowed=OVER_VILLAGE,
            outside=OUTSIDE,
            marker="/report/",
            shown_to=OVER_VILLAGE,
        ),
    ]

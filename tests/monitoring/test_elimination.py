"""Risk elimination (RULES §8): the conditions checked, the same appraisal, notice and reviews, the result
announced; rollback by the county; re-entry as a new case with the history kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from bangfu.accounts.models import User
from bangfu.monitoring import elimination, identification
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.identification import BASIC_NEEDS
from bangfu.monitoring.models import CaseEvent, CaseState, MonitoringCase, Notice, NoticeKind
from tests.factories import HouseholdFactory, MemberFactory, monitored_case

pytestmark = pytest.mark.django_db
ALL_MET = dict.fromkeys(BASIC_NEEDS, True)
PROPOSED = dt.date(2026, 11, 20)


@pytest.fixture
def users(regions: object, village_cadre: User, town_officer: User, county_clerk: User) -> dict[str, User]:
    return {"village": village_cadre, "town": town_officer, "county": county_clerk}


@pytest.fixture
def case(users: dict[str, User]) -> MonitoringCase:
    household = MemberFactory(name="孙有田", household=HouseholdFactory()).household
    return monitored_case(household, village=users["village"], town=users["town"], county=users["county"])


def propose(case: MonitoringCase, by: User, on: dt.date = PROPOSED, **values: object) -> MonitoringCase:
    arguments: dict[str, object] = {
        "method": "by_assistance",
        "net_income_per_capita": "9000",
        "stable_months": 6,
        "needs_met": ALL_MET,
        "risks_resolved": True,
        **values,
    }
    return elimination.propose_elimination(case=case, by=by, on=on, **arguments)  # type: ignore[arg-type]


def eliminate(case: MonitoringCase, users: dict[str, User], on: dt.date = PROPOSED) -> MonitoringCase:
    case = propose(case, users["village"], on=on)
    case = elimination.record_elimination_appraisal(
        case=case, by=users["village"], on=on, attendees=["甲", "乙", "丙"], minutes="同意消除"
    )
    day = case.notice_ends_on
    assert day is not None
    case = elimination.close_elimination_notice(case=case, by=users["village"], on=day)
    case = elimination.town_accept_elimination(case=case, by=users["town"], on=day, opinion="验收合格")
    return elimination.approve_elimination(case=case, by=users["county"], on=day)


def test_an_elimination_by_assistance_goes_through_the_reviews_and_is_announced(
    case: MonitoringCase, users: dict[str, User]
) -> None:
    case = eliminate(case, users)
    assert (case.state, case.elimination_method, case.eliminated_on) == (
        CaseState.ELIMINATED,
        "by_assistance",
        dt.date(2026, 11, 25),
    )
    assert case.monitored_from == dt.date(2026, 10, 4)  # the history stays on the case
    proposal = CaseEvent.objects.get(case=case, action="propose_elimination").record
    assert (proposal["net_income_per_capita"], proposal["monitoring_line"]) == ("9000.00", "7800")
    # Monitored since October, eliminated in November: flagged as within two months (RULES §8.4).
    assert proposal["flags"] == ["纳入监测后2个月内即帮扶消除，请核实"]
    kinds = set(Notice.objects.filter(entries__case=case).values_list("kind", flat=True))
    assert kinds == {
        NoticeKind.IDENTIFICATION,
        NoticeKind.ANNOUNCEMENT,
        NoticeKind.ELIMINATION,
        NoticeKind.ELIMINATION_ANNOUNCEMENT,
    }
    assert not MonitoringCase.objects.overdue(dt.date(2027, 1, 1)).filter(pk=case.pk).exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"net_income_per_capita": "7800"}, "人均纯收入 7800.00 元未高于监测范围 7800 元，不能帮扶消除"),
        ({"stable_months": 5}, "收入须持续稳定至少6个月方可帮扶消除"),
        ({"needs_met": {**ALL_MET, "housing": False}}, "以下方面尚未保障，不能消除风险：住房安全"),
        ({"risks_resolved": False}, "识别时的风险尚未稳定消除，或出现了新的风险"),
        ({"method": "natural", "reason": ""}, "自然消除须写明理由"),
        ({"method": "other"}, "请选择风险消除方式"),
    ],
)
def test_the_conditions_must_hold(
    case: MonitoringCase, users: dict[str, User], values: dict[str, object], message: str
) -> None:
    with pytest.raises(MonitoringRefused, match=message):
        propose(case, users["village"], **values)
    assert MonitoringCase.objects.get(pk=case.pk).state == CaseState.MONITORED


def test_a_household_without_labour_is_not_eliminated_by_assistance(users: dict[str, User]) -> None:
    household = MemberFactory(household=HouseholdFactory()).household
    case = monitored_case(
        household, village=users["village"], town=users["town"], county=users["county"], no_labour=True
    )
    with pytest.raises(MonitoringRefused, match="整户无劳动力的监测户在落实兜底保障后继续跟踪"):
        propose(case, users["village"])
    case = propose(case, users["village"], method="natural", reason="户主去世，整户注销")
    assert (case.state, case.elimination_method) == (CaseState.ELIMINATION_APPRAISAL, "natural")


def test_a_proposal_sent_back_leaves_the_household_monitored(
    case: MonitoringCase, users: dict[str, User]
) -> None:
    with pytest.raises(PermissionDenied):
        propose(case, users["county"])
    case = propose(case, users["village"])
    case = identification.send_back(
        case=case, by=users["village"], on=PROPOSED, to=CaseState.MONITORED, reason="收入尚不稳定"
    )
    assert (case.state, case.elimination_method) == (CaseState.MONITORED, "")


def test_the_county_rolls_an_elimination_back_and_re_entry_opens_a_new_case(
    case: MonitoringCase, users: dict[str, User]
) -> None:
    case = eliminate(case, users, on=dt.date(2026, 11, 1))  # eliminated on 11-06
    rolled = dt.date(2026, 11, 7)
    with pytest.raises(PermissionDenied):
        elimination.roll_back_elimination(case=case, by=users["village"], on=rolled, reason="x")
    with pytest.raises(MonitoringRefused, match="请填写回退理由"):
        elimination.roll_back_elimination(case=case, by=users["county"], on=rolled, reason="")
    case = elimination.roll_back_elimination(
        case=case, by=users["county"], on=rolled, reason="集中排查发现收入不稳定"
    )
    assert (case.state, case.eliminated_on, case.elimination_method) == (CaseState.MONITORED, None, "")
    case = eliminate(case, users, on=dt.date(2026, 11, 8))  # eliminated again on 11-13
    again = identification.report_by_cadre(
        household=case.household,
        by=users["village"],
        on=dt.date(2026, 11, 14),
        difficulty="再次住院",
        risk_types=["因病"],
    )
    assert again.pk != case.pk
    assert again.state == CaseState.APPLICATION
    assert MonitoringCase.objects.get(pk=case.pk).state == CaseState.ELIMINATED
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions.count("approve_elimination") == 2
    assert "roll_back_elimination" in actions


def test_the_case_page_proposes_and_rolls_back(case: MonitoringCase, users: dict[str, User]) -> None:
    village = Client()
    village.force_login(users["village"])
    page = village.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/eliminate/"' in page
    refused = village.post(f"/cases/{case.pk}/eliminate/", {"on": "2026-11-20", "method": "by_assistance"})
    assert "请填写人均纯收入" in refused.content.decode()
    sent = village.post(
        f"/cases/{case.pk}/eliminate/", {"on": "2026-11-20", "method": "natural", "reason": "整户迁出"}
    )
    assert sent.status_code == 302
    assert MonitoringCase.objects.get(pk=case.pk).state == CaseState.ELIMINATION_APPRAISAL
    county = Client()
    county.force_login(users["county"])
    assert county.post(f"/cases/{case.pk}/roll-back/", {"on": "2026-11-21", "reason": "x"}).status_code == 403

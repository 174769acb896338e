"""The identification procedure (``monitoring.identification``): a lead from each channel becomes a monitored
household through every step; returns and rejections; who may act where; deadlines from policy in working
and calendar days across the National Day holiday."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Q
from django.test import Client

from bangfu.accounts.models import Role, Sector, User
from bangfu.audit.models import AuditEvent
from bangfu.datasets.importing import import_dataset
from bangfu.monitoring import identification, services
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.models import (
    IDENTIFICATION_STATES,
    STEPS,
    CaseEvent,
    CaseState,
    Category,
    Lead,
    LeadChannel,
    LeadStatus,
    MonitoringCase,
    ScreeningRule,
    ScreeningWarning,
    WarningStatus,
)
from bangfu.monitoring.models.cases import REJECTING_STEPS
from bangfu.policy.services import add_policy_version
from bangfu.regions.models import Region
from bangfu.registry.models import Household, ImportStatus, Member
from tests.factories import (
    HouseholdFactory,
    MemberFactory,
    UserFactory,
    ensure_procedure_policy,
    synthetic_id_number,
)

pytestmark = pytest.mark.django_db

# Tuesday before the 2026 National Day holiday (10-01 to 10-07; Saturday 10-10 a make-up working day).
OPENED = dt.date(2026, 9, 29)


@pytest.fixture(autouse=True)
def policies(regions: dict[str, Region]) -> None:
    ensure_procedure_policy()
    add_policy_version(
        key="deadline.warning_feedback",
        region_prefix="61",
        effective_from=dt.date(2025, 1, 1),
        value={"days": 5, "unit": "working"},
        source_note="测试",
        by=None,
    )


@pytest.fixture
def head() -> Member:
    return MemberFactory(name="张大山", household=HouseholdFactory(is_exited_poor=False))


def warning_for(household: Household, *, on: dt.date = OPENED) -> ScreeningWarning:
    rule = ScreeningRule.objects.create(
        code="MED-02",
        name="医疗自付",
        source="medical",
        condition=[{"field": "amount", "op": "gt", "value": 10000}],
        risk_type="因病",
        effective_from=dt.date(2025, 1, 1),
    )
    return ScreeningWarning.objects.create(
        household=household,
        region_code=household.region_code,
        rule=rule,
        rule_code=rule.code,
        risk_type=rule.risk_type,
        sector=Sector.MEDICAL_INSURANCE,
        episode="e1",
        facts={},
        screened_on=on,
        due_on=on + dt.timedelta(days=7),
    )


def walk_to_monitored(
    case: MonitoringCase,
    *,
    village: User,
    town: User,
    county: User,
    start: dt.date,
    category: str = Category.EDGE,
) -> MonitoringCase:
    """Every step in order, each done on a later day; returns the monitored case."""
    day = start
    case = identification.sign_application(
        case=case, by=village, on=day, proxy_name="李会计", proxy_relation="村干部（代填并宣读）"
    )
    day += dt.timedelta(days=1)
    case = identification.record_home_check(
        case=case,
        by=village,
        on=day,
        members=4,
        net_income="20000",
        out_of_pocket="35000.5",
        needs_met={
            "food_clothing": True,
            "education": True,
            "medical": False,
            "housing": True,
            "water": True,
        },
        risk_types=["因病", "因学"],
        note="户主住院，自付较高",
    )
    day += dt.timedelta(days=1)
    case = identification.compare_data(case=case, by=village, on=day)
    day += dt.timedelta(days=1)
    case = identification.record_appraisal(
        case=case, by=village, on=day, attendees=["第一书记", "村支书", "村民代表甲"], minutes="一致同意纳入"
    )
    day = case.notice_ends_on
    assert day is not None
    case = identification.close_notice(case=case, by=village, on=day, objections=[])
    case = identification.town_approve(case=case, by=town, on=day, opinion="同意")
    case = identification.county_approve(
        case=case, by=county, on=day, category=category, risk_types=["因病", "因学"], no_labour=False
    )
    return identification.announce(case=case, by=town, on=day)


# --- every channel, every step ---------------------------------------------------------------------------


def test_an_included_warning_becomes_a_monitored_household_through_every_step(
    head: Member, village_cadre: User, town_officer: User, county_clerk: User
) -> None:
    warning = warning_for(head.household)
    services.answer_warning(warning=warning, by=village_cadre, status=WarningStatus.INCLUDED, on=OPENED)
    lead = Lead.objects.get(warning=warning)
    assert (lead.channel, lead.status, lead.household_id) == (
        LeadChannel.DEPARTMENT_WARNING,
        LeadStatus.ACCEPTED,
        head.household_id,
    )
    case = MonitoringCase.objects.get(lead=lead)
    assert case.state == CaseState.APPLICATION
    assert case.risk_types == ["因病"]
    case = walk_to_monitored(
        case, village=village_cadre, town=town_officer, county=county_clerk, start=case.opened_on
    )
    assert case.state == CaseState.MONITORED
    assert case.monitored_from == case.closed_on
    assert (case.category, case.risk_types, case.no_labour) == (Category.EDGE, ["因病", "因学"], False)
    assert case.step_due_on is None
    timeline = list(CaseEvent.objects.filter(case=case).values_list("action", "to_state"))
    assert timeline == [
        ("open", CaseState.APPLICATION),
        ("sign_application", CaseState.HOME_CHECK),
        ("record_home_check", CaseState.DATA_COMPARISON),
        ("compare_data", CaseState.VILLAGE_APPRAISAL),
        ("record_appraisal", CaseState.VILLAGE_NOTICE),
        ("close_notice", CaseState.TOWN_REVIEW),
        ("town_approve", CaseState.COUNTY_APPROVAL),
        ("county_approve", CaseState.ANNOUNCEMENT),
        ("announce", CaseState.MONITORED),
    ]
    check = CaseEvent.objects.get(case=case, action="record_home_check").record
    assert check["net_income_per_capita"] == "5000.00"
    assert check["needs_met"]["medical"] is False
    # Checked on 2026-09-30: the 12 months before September (RULES §3.2).
    assert check["window"] == ["2025-09-01", "2026-08-31"]
    # Every step is audited on the case.
    steps = AuditEvent.objects.filter(object_type="monitoring.monitoringcase", object_id=str(case.pk))
    assert steps.count() == 9


def test_a_cadre_report_opens_a_case_at_once(
    head: Member, village_cadre: User, town_officer: User, county_clerk: User
) -> None:
    case = identification.report_by_cadre(
        household=head.household,
        by=village_cadre,
        on=OPENED,
        difficulty="户主车祸受伤",
        risk_types=["因意外事故"],
    )
    assert case.lead.channel == LeadChannel.CADRE_REPORT
    assert case.lead.status == LeadStatus.ACCEPTED
    case = walk_to_monitored(
        case, village=village_cadre, town=town_officer, county=county_clerk, start=OPENED
    )
    assert case.state == CaseState.MONITORED


def test_a_self_report_lands_in_the_town_inbox_and_is_accepted(
    head: Member, village_cadre: User, town_officer: User, county_clerk: User
) -> None:
    lead = identification.submit_self_report(
        region_code="610902001001",
        name="张大山",
        phone="139 1234 5678",
        id_number=head.id_number.lower(),
        difficulty="孩子上大学，学费困难",
        risk_types=["因学"],
        on=OPENED,
    )
    assert (lead.channel, lead.status, lead.reported_by) == (
        LeadChannel.SELF_REPORT,
        LeadStatus.PENDING,
        None,
    )
    # Matched to the registered household by the ID number's blind index; nothing stored in clear.
    assert lead.household_id == head.household_id
    assert lead.due_on == dt.date(2026, 10, 1)  # two calendar days
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM monitoring_lead WHERE id = %s", [lead.pk])
        stored = cursor.fetchone()
    assert head.id_number not in stored[0]
    assert "13912345678" not in stored[1]
    assert Lead.objects.get(pk=lead.pk).phone == "13912345678"
    with pytest.raises(PermissionDenied):
        identification.accept_lead(lead=lead, by=village_cadre, on=OPENED)
    case = identification.accept_lead(lead=lead, by=town_officer, on=dt.date(2026, 9, 30))
    assert case.opened_on == dt.date(2026, 9, 30)
    with pytest.raises(MonitoringRefused, match="已受理"):
        identification.decline_lead(lead=lead, by=town_officer, reason="重复")
    case = walk_to_monitored(
        case, village=village_cadre, town=town_officer, county=county_clerk, start=dt.date(2026, 9, 30)
    )
    assert case.state == CaseState.MONITORED


def test_a_hotline_call_is_entered_by_staff_and_can_be_declined(
    head: Member, town_officer: User, village_cadre: User, county_clerk: User
) -> None:
    with pytest.raises(PermissionDenied):
        identification.submit_self_report(
            region_code="610902001001",
            name="张大山",
            phone="13912345678",
            id_number=head.id_number,
            difficulty="来电反映因灾房屋受损",
            risk_types=[],
            on=OPENED,
            by=village_cadre,
            channel=LeadChannel.HOTLINE,
        )
    lead = identification.submit_self_report(
        region_code="610902001001",
        name="张大山",
        phone="13912345678",
        id_number=head.id_number,
        difficulty="来电反映因灾房屋受损",
        risk_types=["因自然灾害"],
        on=OPENED,
        by=county_clerk,
        channel=LeadChannel.HOTLINE,
    )
    assert (lead.channel, lead.reported_by) == (LeadChannel.HOTLINE, county_clerk)
    with pytest.raises(MonitoringRefused, match="不予受理理由"):
        identification.decline_lead(lead=lead, by=town_officer, reason=" ")
    lead = identification.decline_lead(lead=lead, by=town_officer, reason="经核实已由保险理赔，无返贫风险")
    assert lead.status == LeadStatus.DECLINED
    assert not MonitoringCase.objects.exists()


def test_a_self_report_of_an_unregistered_person_needs_the_household_found_first(
    head: Member, town_officer: User
) -> None:
    stranger = synthetic_id_number(birth=dt.date(1970, 2, 3), sex="female", serial=401)
    lead = identification.submit_self_report(
        region_code="610902001001",
        name="刘梅",
        phone="13800001111",
        id_number=stranger,
        difficulty="丈夫去世",
        risk_types=[],
        on=OPENED,
    )
    assert lead.household is None
    with pytest.raises(MonitoringRefused, match="先找到其所在农户"):
        identification.accept_lead(lead=lead, by=town_officer, on=OPENED)
    case = identification.accept_lead(lead=lead, by=town_officer, on=OPENED, household=head.household)
    assert case.household_id == head.household_id


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    [
        ("id_number", {"id_number": "610902197002030000"}, "校验码错误"),
        ("phone", {"phone": "12345"}, "手机号码应为11位数字"),
        ("difficulty", {"difficulty": "  "}, "请填写困难情况"),
        ("risk_types", {"risk_types": ["因懒"]}, "风险类型不在代码表中：因懒"),
        ("region_code", {"region_code": "610902001999"}, "请选择所在村"),
        ("name", {"name": ""}, "请填写申报人姓名"),
    ],
)
def test_a_bad_self_report_names_the_field_and_stores_nothing(
    head: Member, field: str, changes: dict[str, Any], message: str
) -> None:
    values: dict[str, Any] = {
        "region_code": "610902001001",
        "name": "张大山",
        "phone": "13912345678",
        "id_number": head.id_number,
        "difficulty": "困难",
        "risk_types": ["因病"],
        **changes,
    }
    with pytest.raises(MonitoringRefused, match=message) as refused:
        identification.submit_self_report(on=OPENED, **values)
    assert refused.value.field == field
    assert not Lead.objects.exists()


# --- returns and rejections ------------------------------------------------------------------------------


def advanced_to(
    state: str, case: MonitoringCase, users: dict[str, User], day: dt.date = OPENED
) -> MonitoringCase:
    village, town = users["village"], users["town"]
    steps = [
        lambda c: identification.sign_application(
            case=c, by=village, on=day, proxy_name="李", proxy_relation="网格员"
        ),
        lambda c: identification.record_home_check(
            case=c,
            by=village,
            on=day,
            members=2,
            net_income=5000,
            out_of_pocket=0,
            needs_met=dict.fromkeys(identification.BASIC_NEEDS, True),
            risk_types=["因病"],
        ),
        lambda c: identification.compare_data(case=c, by=village, on=day),
        lambda c: identification.record_appraisal(
            case=c, by=village, on=day, attendees=["甲", "乙", "丙"], minutes="同意"
        ),
        lambda c: identification.close_notice(case=c, by=village, on=c.notice_ends_on),
        lambda c: identification.town_approve(case=c, by=town, on=c.step_started_on),
        lambda c: identification.county_approve(
            case=c,
            by=users["county"],
            on=c.step_started_on,
            category=Category.SUDDEN_HARDSHIP,
            risk_types=["因病"],
            no_labour=False,
        ),
    ]
    for step in steps:
        if case.state == state:
            break
        case = step(case)
    assert case.state == state
    return case


@pytest.fixture
def users(village_cadre: User, town_officer: User, county_clerk: User) -> dict[str, User]:
    return {"village": village_cadre, "town": town_officer, "county": county_clerk}


@pytest.fixture
def case(head: Member, village_cadre: User) -> MonitoringCase:
    return identification.report_by_cadre(
        household=head.household, by=village_cadre, on=OPENED, difficulty="住院", risk_types=["因病"]
    )


def test_the_town_sends_a_case_back_to_the_home_check_with_a_fresh_deadline(
    case: MonitoringCase, users: dict[str, User]
) -> None:
    case = advanced_to(CaseState.TOWN_REVIEW, case, users)
    returned_on = case.step_started_on + dt.timedelta(days=1)
    with pytest.raises(MonitoringRefused, match="退回理由"):
        identification.send_back(
            case=case, by=users["town"], on=returned_on, to=CaseState.HOME_CHECK, reason=""
        )
    with pytest.raises(MonitoringRefused, match="不能从“乡镇审核”退回到该环节"):
        identification.send_back(
            case=case, by=users["town"], on=returned_on, to=CaseState.APPLICATION, reason="x"
        )
    case = identification.send_back(
        case=case, by=users["town"], on=returned_on, to=CaseState.HOME_CHECK, reason="收入核算漏计务工收入"
    )
    assert case.state == CaseState.HOME_CHECK
    # Counted from the return (10-05, in the holiday), not from the opening: 10-08, 10-09, 10-10 (make-up
    # Saturday), 10-12, 10-13.
    assert returned_on == dt.date(2026, 10, 5)
    assert (case.step_started_on, case.step_due_on) == (returned_on, dt.date(2026, 10, 13))
    event = CaseEvent.objects.filter(case=case).last()
    assert event is not None
    assert (event.action, event.from_state, event.reason) == (
        "send_back",
        CaseState.TOWN_REVIEW,
        "收入核算漏计务工收入",
    )


def actor(state: str, users: dict[str, User]) -> User:
    """The persona who acts at ``state``: the step's narrowest level."""
    roles = STEPS[state].roles
    return (
        users["village"]
        if Role.VILLAGE_TEAM in roles
        else users["town"]
        if Role.TOWN in roles
        else users["county"]
    )


@pytest.mark.parametrize(
    "state", [state for state in STEPS if STEPS[state].returns_to and state in IDENTIFICATION_STATES]
)
def test_every_step_sends_back_to_its_earlier_steps(state: str, head: Member, users: dict[str, User]) -> None:
    for target in STEPS[state].returns_to:
        household = MemberFactory(household=HouseholdFactory()).household
        case = identification.report_by_cadre(
            household=household, by=users["village"], on=OPENED, difficulty="住院", risk_types=["因病"]
        )
        case = advanced_to(state, case, users)
        day = case.step_started_on
        case = identification.send_back(
            case=case, by=actor(state, users), on=day, to=target, reason="核实有误"
        )
        assert case.state == target
        event = CaseEvent.objects.filter(case=case).last()
        assert event is not None
        assert (event.action, event.from_state, event.to_state, event.reason) == (
            "send_back",
            state,
            target,
            "核实有误",
        )


@pytest.mark.parametrize("state", list(REJECTING_STEPS))
def test_every_step_until_the_county_decision_may_reject(state: str, users: dict[str, User]) -> None:
    household = MemberFactory(household=HouseholdFactory()).household
    case = identification.report_by_cadre(
        household=household, by=users["village"], on=OPENED, difficulty="住院", risk_types=["因病"]
    )
    case = advanced_to(state, case, users)
    case = identification.reject(
        case=case, by=actor(state, users), on=case.step_started_on, reason="经核实不符合"
    )
    assert (case.state, case.step_due_on) == (CaseState.NOT_INCLUDED, None)
    assert CaseEvent.objects.filter(case=case).last().from_state == state  # type: ignore[union-attr]


def test_the_county_returns_to_the_town_and_an_upheld_objection_returns_to_the_home_check(
    case: MonitoringCase, users: dict[str, User]
) -> None:
    case = advanced_to(CaseState.COUNTY_APPROVAL, case, users)
    day = case.step_started_on
    case = identification.send_back(
        case=case, by=users["county"], on=day, to=CaseState.TOWN_REVIEW, reason="补充比对说明"
    )
    assert case.state == CaseState.TOWN_REVIEW
    other = identification.report_by_cadre(
        household=MemberFactory(household=HouseholdFactory()).household,
        by=users["village"],
        on=OPENED,
        difficulty="残疾",
        risk_types=["因残"],
    )
    other = advanced_to(CaseState.VILLAGE_NOTICE, other, users)
    other = identification.send_back(
        case=other, by=users["village"], on=OPENED, to=CaseState.HOME_CHECK, reason="群众反映家中有经营性收入"
    )
    assert other.state == CaseState.HOME_CHECK


def test_rejection_ends_the_case_and_a_new_lead_may_open_another(
    case: MonitoringCase, users: dict[str, User], head: Member
) -> None:
    case = advanced_to(CaseState.VILLAGE_APPRAISAL, case, users)
    with pytest.raises(MonitoringRefused, match="不予纳入理由"):
        identification.reject(case=case, by=users["village"], on=OPENED, reason="")
    case = identification.reject(
        case=case, by=users["village"], on=OPENED, reason="评议认为家庭有稳定务工收入"
    )
    assert (case.state, case.closed_on, case.step_due_on) == (CaseState.NOT_INCLUDED, OPENED, None)
    with pytest.raises(MonitoringRefused, match="不能办理此操作"):
        identification.town_approve(case=case, by=users["town"], on=OPENED)
    later = identification.report_by_cadre(
        household=head.household,
        by=users["village"],
        on=dt.date(2026, 11, 2),
        difficulty="又住院",
        risk_types=["因病"],
    )
    assert later.pk != case.pk
    assert later.state == CaseState.APPLICATION


def test_a_second_lead_joins_the_open_case(
    case: MonitoringCase, users: dict[str, User], head: Member
) -> None:
    warning = warning_for(head.household)
    services.answer_warning(warning=warning, by=users["village"], status=WarningStatus.INCLUDED, on=OPENED)
    assert MonitoringCase.objects.count() == 1
    joined = CaseEvent.objects.get(case=case, action="lead")
    assert joined.record["channel"] == LeadChannel.DEPARTMENT_WARNING
    assert Lead.objects.get(warning=warning).status == LeadStatus.ACCEPTED


# --- who may act, and in which order ---------------------------------------------------------------------


def test_each_step_is_done_by_its_level_within_its_scope(
    case: MonitoringCase,
    users: dict[str, User],
    other_village_cadre: User,
    other_county_clerk: User,
    regions: dict[str, Region],
) -> None:
    with pytest.raises(PermissionDenied):  # another village
        identification.sign_application(
            case=case, by=other_village_cadre, on=OPENED, proxy_name="李", proxy_relation="x"
        )
    with pytest.raises(PermissionDenied):  # the county does not do the village's steps
        identification.sign_application(
            case=case, by=users["county"], on=OPENED, proxy_name="李", proxy_relation="x"
        )
    with pytest.raises(MonitoringRefused, match="当前处于“申请及承诺”环节"):
        identification.town_approve(case=case, by=users["town"], on=OPENED)
    case = advanced_to(CaseState.TOWN_REVIEW, case, users)
    day = case.step_started_on
    with pytest.raises(PermissionDenied):
        identification.town_approve(case=case, by=users["village"], on=day)
    other_town = UserFactory(role=Role.TOWN, region=regions["610902100000"])
    with pytest.raises(PermissionDenied):
        identification.town_approve(case=case, by=other_town, on=day)
    case = identification.town_approve(case=case, by=users["town"], on=day)
    with pytest.raises(PermissionDenied):
        identification.county_approve(
            case=case,
            by=other_county_clerk,
            on=day,
            category=Category.EDGE,
            risk_types=["因病"],
            no_labour=False,
        )
    with pytest.raises(PermissionDenied):
        identification.county_approve(
            case=case, by=users["town"], on=day, category=Category.EDGE, risk_types=["因病"], no_labour=False
        )
    with pytest.raises(MonitoringRefused, match="不能早于本环节开始日期"):
        identification.county_approve(
            case=case,
            by=users["county"],
            on=day - dt.timedelta(days=1),
            category=Category.EDGE,
            risk_types=["因病"],
            no_labour=False,
        )


def test_the_notice_cannot_close_before_its_minimum_days(
    case: MonitoringCase, users: dict[str, User]
) -> None:
    case = advanced_to(CaseState.VILLAGE_NOTICE, case, users)
    assert case.notice_starts_on == OPENED
    assert case.notice_ends_on == OPENED + dt.timedelta(days=5)  # calendar days, holiday or not
    assert case.step_due_on == case.notice_ends_on
    with pytest.raises(MonitoringRefused, match="公示期未满：2026-10-04 起方可报送乡镇审核"):
        identification.close_notice(case=case, by=users["village"], on=dt.date(2026, 10, 3))
    with pytest.raises(MonitoringRefused, match="每条异议都须写明处理情况"):
        identification.close_notice(
            case=case,
            by=users["village"],
            on=dt.date(2026, 10, 4),
            objections=[{"content": "有车", "handling": ""}],
        )
    case = identification.close_notice(
        case=case,
        by=users["village"],
        on=dt.date(2026, 10, 4),
        objections=[{"content": "反映其子女有车", "handling": "经比对车辆登记在他人名下，异议不成立"}],
    )
    record = CaseEvent.objects.filter(case=case).last()
    assert record is not None
    assert record.record["objections"][0]["handling"].startswith("经比对")


@pytest.mark.parametrize(
    ("exited_poor", "category", "allowed"),
    [
        (True, Category.UNSTABLE_EXITED, True),
        (False, Category.UNSTABLE_EXITED, False),
        (False, Category.EDGE, True),
        (True, Category.EDGE, False),
        (True, Category.SUDDEN_HARDSHIP, True),
        (False, Category.SUDDEN_HARDSHIP, True),
    ],
)
def test_the_category_must_fit_the_household(
    users: dict[str, User], exited_poor: bool, category: str, allowed: bool
) -> None:
    household = MemberFactory(household=HouseholdFactory(is_exited_poor=exited_poor)).household
    case = identification.report_by_cadre(
        household=household, by=users["village"], on=OPENED, difficulty="住院", risk_types=["因病"]
    )
    case = advanced_to(CaseState.COUNTY_APPROVAL, case, users)
    approve = lambda: identification.county_approve(  # noqa: E731
        case=case,
        by=users["county"],
        on=case.step_started_on,
        category=category,
        risk_types=["因病"],
        no_labour=True,
    )
    if allowed:
        assert approve().category == category
    else:
        with pytest.raises(MonitoringRefused) as refused:
            approve()
        assert refused.value.field == "category"


def test_the_application_needs_the_signed_pledge_or_a_recorded_proxy(
    case: MonitoringCase, users: dict[str, User], settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(MonitoringRefused, match="申请及承诺书照片"):
        identification.sign_application(case=case, by=users["village"], on=OPENED)
    with pytest.raises(MonitoringRefused, match="代填人身份"):
        identification.sign_application(case=case, by=users["village"], on=OPENED, proxy_name="李会计")
    photo = SimpleUploadedFile("pledge.jpg", b"\xff\xd8\xff\xe0fake-jpeg", content_type="image/jpeg")
    case = identification.sign_application(case=case, by=users["village"], on=OPENED, pledge_photo=photo)
    event = CaseEvent.objects.get(case=case, action="sign_application")
    # Encrypted at rest: the file on disk is not the photo; opened through the field, it is.
    assert b"fake-jpeg" not in (tmp_path / event.attachment.name).read_bytes()
    with event.attachment.open("rb") as stored:
        assert stored.read() == b"\xff\xd8\xff\xe0fake-jpeg"
    # Shown to those who read the case, from its page; not to another village.
    reader = Client()
    reader.force_login(users["county"])
    assert f"/cases/events/{event.pk}/attachment/" in reader.get(f"/cases/{case.pk}/").content.decode()
    shown = reader.get(f"/cases/events/{event.pk}/attachment/")
    assert (shown.status_code, b"".join(shown.streaming_content)) == (200, b"\xff\xd8\xff\xe0fake-jpeg")
    assert shown["Cache-Control"] == "private, no-store"
    outsider = Client()
    outsider.force_login(UserFactory(role=Role.VILLAGE_TEAM, region=Region.objects.get(code="610902001002")))
    assert outsider.get(f"/cases/events/{event.pk}/attachment/").status_code == 404


# --- deadlines -------------------------------------------------------------------------------------------


def test_deadlines_count_working_days_across_the_national_day_holiday(
    case: MonitoringCase, users: dict[str, User]
) -> None:
    # Opened Tuesday 09-29: five working days are 09-30, 10-08, 10-09, 10-10 (make-up Saturday), 10-12.
    assert case.step_due_on == dt.date(2026, 10, 12)
    # The whole procedure: 20 working days (the 20th is Monday 11-02).
    assert case.due_on == dt.date(2026, 11, 2)
    case = identification.sign_application(
        case=case, by=users["village"], on=OPENED, proxy_name="李", proxy_relation="网格员"
    )
    # The home check still runs from the opening.
    assert case.step_due_on == dt.date(2026, 10, 12)
    case = identification.record_home_check(
        case=case,
        by=users["village"],
        on=dt.date(2026, 9, 30),
        members=3,
        net_income=9000,
        out_of_pocket=0,
        needs_met=dict.fromkeys(identification.BASIC_NEEDS, True),
        risk_types=["因病"],
    )
    # The comparison counts calendar days: 5 days after 09-30, in the holiday.
    assert case.step_due_on == dt.date(2026, 10, 5)


def test_a_late_step_makes_the_case_overdue(case: MonitoringCase, users: dict[str, User]) -> None:
    assert case.step_due_on == dt.date(2026, 10, 12)
    overdue = MonitoringCase.objects.overdue
    assert not overdue(dt.date(2026, 10, 12)).filter(pk=case.pk).exists()
    assert overdue(dt.date(2026, 10, 13)).filter(pk=case.pk).exists()
    # Scoped like every list: the other village does not see it.
    other = UserFactory(role=Role.VILLAGE_TEAM, region=Region.objects.get(code="610902001002"))
    assert not MonitoringCase.objects.visible_to(other).overdue(dt.date(2026, 10, 13)).exists()
    assert (
        MonitoringCase.objects.visible_to(users["town"])
        .overdue(dt.date(2026, 10, 13))
        .filter(Q(pk=case.pk))
        .exists()
    )
    # A finished case is never overdue.
    case = identification.reject(
        case=advanced_to(CaseState.VILLAGE_APPRAISAL, case, users),
        by=users["village"],
        on=OPENED,
        reason="不符合",
    )
    assert not overdue(dt.date(2026, 12, 1)).filter(pk=case.pk).exists()


def test_comparison_attaches_department_and_asset_findings_without_id_numbers(
    case: MonitoringCase, users: dict[str, User], head: Member, tmp_path: Path, regions: dict[str, Region]
) -> None:
    clerk = UserFactory(role=Role.DEPARTMENT, sector=Sector.AGRICULTURE, region=regions["610902000000"])
    path = tmp_path / "assets.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["姓名", "身份证号码", "资产类型", "登记日期", "价值", "车牌号码"])
    sheet.write_row(1, 0, ["张大山", head.id_number, "车辆", "2026-03-01", "120000", "陕G·12345"])
    workbook.close()
    run = import_dataset(
        by=clerk,
        kind="assets",
        path=path,
        file_name=path.name,
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 31),
        on=dt.date(2026, 4, 1),
    )
    assert run.status == ImportStatus.SUCCEEDED, run.problems
    case = advanced_to(CaseState.DATA_COMPARISON, case, users)
    case = identification.compare_data(case=case, by=users["village"], on=OPENED)
    record = CaseEvent.objects.get(case=case, action="compare_data").record
    assert record["assets_found"] is True
    (finding,) = record["findings"]
    assert (finding["kind"], finding["category"], finding["amount"], finding["text"]) == (
        "assets",
        "vehicle",
        "120000.00",
        "陕G·12345",
    )
    assert head.id_number not in str(record)


def test_every_action_name_fits_the_timeline_column() -> None:
    """SQLite does not enforce lengths; PostgreSQL does: every transition's name must fit CaseEvent.action."""
    from bangfu.monitoring.steps import SERVICES

    limit = CaseEvent._meta.get_field("action").max_length
    assert limit is not None
    assert max(len(name) for name in [*SERVICES, "open", "lead"]) <= limit
    state_limit = CaseEvent._meta.get_field("to_state").max_length
    assert state_limit is not None
    assert max(len(state) for state in CaseState.values) <= state_limit

"""Safeguards of the case procedure: scope when staff enter a call, a step form sent twice, a rollback after
re-entry, deadlines after a return, what the comparison attaches, the public form's limits, the phone's JSON
answers and the audit trail's free text."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
import xlsxwriter
from django.test import Client
from django.utils import timezone

from bangfu.accounts.models import Role, Sector, User
from bangfu.audit.models import AuditEvent
from bangfu.datasets.importing import import_dataset
from bangfu.monitoring import elimination, identification
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.models import CaseEvent, CaseState, Lead, MonitoringCase, Notice, NoticeKind, Visit
from bangfu.regions.models import Region
from bangfu.registry.models import ImportStatus, Member
from tests.factories import (
    HouseholdFactory,
    MemberFactory,
    UserFactory,
    ensure_procedure_policy,
    monitored_case,
)

pytestmark = pytest.mark.django_db
OPENED = dt.date(2026, 9, 29)
VILLAGE = "610902001001"


@pytest.fixture(autouse=True)
def procedure_policy(regions: object) -> None:
    ensure_procedure_policy()


@pytest.fixture
def users(village_cadre: User, town_officer: User, county_clerk: User) -> dict[str, User]:
    return {"village": village_cadre, "town": town_officer, "county": county_clerk}


@pytest.fixture
def head() -> Member:
    return MemberFactory(name="孙有田", household=HouseholdFactory())


def test_a_hotline_call_does_not_reveal_a_household_outside_the_callers_area(town_officer: User) -> None:
    elsewhere = MemberFactory(household=HouseholdFactory(region_code="610902100001", household_number="X1"))
    lead = identification.submit_self_report(
        region_code=VILLAGE,
        name="来电人",
        phone="13900001111",
        id_number=elsewhere.id_number,
        difficulty="来电",
        risk_types=[],
        on=OPENED,
        by=town_officer,
        channel="hotline",
    )
    assert (lead.household_id, lead.region_code) == (None, VILLAGE)


def test_a_step_form_sent_twice_does_not_run_the_next_step(head: Member, users: dict[str, User]) -> None:
    case = identification.report_by_cadre(
        household=head.household, by=users["village"], on=OPENED, difficulty="住院", risk_types=["因病"]
    )
    c = Client()
    c.force_login(users["village"])
    form = {"on": "2026-09-30", "proxy_name": "李", "proxy_relation": "网格员", "state": "application"}
    assert c.post(f"/cases/{case.pk}/step/", form).status_code == 302
    second = c.post(f"/cases/{case.pk}/step/", form, follow=True)
    assert "该户的办理环节已变化" in second.content.decode()
    assert CaseEvent.objects.filter(case=case).count() == 2  # opened, signed: nothing more
    assert MonitoringCase.objects.get(pk=case.pk).state == CaseState.HOME_CHECK


def test_a_return_restarts_the_deadlines_counted_from_the_opening(
    head: Member, users: dict[str, User]
) -> None:
    case = identification.report_by_cadre(
        household=head.household, by=users["village"], on=OPENED, difficulty="住院", risk_types=["因病"]
    )
    case = identification.sign_application(
        case=case, by=users["village"], on=OPENED, proxy_name="李", proxy_relation="网格员"
    )
    returned = dt.date(2026, 10, 20)
    case = identification.send_back(
        case=case, by=users["village"], on=returned, to=CaseState.APPLICATION, reason="承诺书未签全"
    )
    case = identification.sign_application(
        case=case, by=users["village"], on=returned, proxy_name="李", proxy_relation="网格员"
    )
    # Five working days from the return (10-20), not from the opening (which gave 10-12, already past).
    assert case.step_due_on == dt.date(2026, 10, 27)


def test_a_rollback_is_refused_once_the_household_has_a_newer_case(users: dict[str, User]) -> None:
    household = MemberFactory(household=HouseholdFactory()).household
    case = monitored_case(household, village=users["village"], town=users["town"], county=users["county"])
    day = dt.date(2026, 11, 1)
    case = elimination.propose_elimination(
        case=case, by=users["village"], on=day, method="natural", reason="迁出"
    )
    case = elimination.record_elimination_appraisal(
        case=case, by=users["village"], on=day, attendees=["甲", "乙", "丙"], minutes="同意"
    )
    case = elimination.close_elimination_notice(case=case, by=users["village"], on=case.notice_ends_on)
    case = elimination.town_accept_elimination(case=case, by=users["town"], on=case.notice_ends_on)
    case = elimination.approve_elimination(case=case, by=users["county"], on=case.notice_ends_on)
    identification.report_by_cadre(
        household=household,
        by=users["village"],
        on=dt.date(2026, 11, 8),
        difficulty="再次住院",
        risk_types=["因病"],
    )
    with pytest.raises(MonitoringRefused, match="该户已重新进入识别或监测"):
        elimination.roll_back_elimination(
            case=case, by=users["county"], on=dt.date(2026, 11, 9), reason="不稳定"
        )
    posted = Notice.objects.get(kind=NoticeKind.ELIMINATION)
    notice = Client().get(f"/notice/{posted.pk}/").content.decode()
    assert "拟将以下防止返贫监测对象标注为风险消除" in notice


def test_the_comparison_attaches_assets_but_not_health_records(
    head: Member, users: dict[str, User], tmp_path: Path, regions: dict[str, Region]
) -> None:
    medical = UserFactory(
        role=Role.DEPARTMENT, sector=Sector.MEDICAL_INSURANCE, region=regions["610902000000"]
    )
    path = tmp_path / "medical.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["姓名", "身份证号码", "出院日期", "个人自付"])
    sheet.write_row(1, 0, ["孙有田", head.id_number, "2026-03-01", "12000"])
    workbook.close()
    run = import_dataset(
        by=medical,
        kind="medical",
        path=path,
        file_name=path.name,
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 31),
        on=dt.date(2026, 4, 1),
    )
    assert run.status == ImportStatus.SUCCEEDED, run.problems
    case = identification.report_by_cadre(
        household=head.household, by=users["village"], on=OPENED, difficulty="住院", risk_types=["因病"]
    )
    assert identification.comparison_findings(case, on=OPENED) == []


def test_the_public_form_is_limited_per_village_and_per_sender_behind_the_proxy(
    monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"  # type: ignore[attr-defined]
    monkeypatch.setattr(identification, "REPORTS_PER_CLIENT_PER_HOUR", 1)
    people = [MemberFactory(household=HouseholdFactory()) for _ in range(3)]

    def send(member: Member, address: str) -> str:
        values = {
            "name": member.name,
            "phone": "13900001111",
            "id_number": member.id_number,
            "difficulty": "困难",
        }
        return (
            Client(HTTP_X_REAL_IP=address).post(f"/report/{VILLAGE}/", values, follow=True).content.decode()
        )

    assert "申报已提交" in send(people[0], "10.1.1.1")
    assert "提交过于频繁" in send(people[1], "10.1.1.1")  # the same sender, through the same proxy
    assert "申报已提交" in send(people[1], "10.1.1.2")
    monkeypatch.setattr(identification, "REPORTS_PER_VILLAGE_PER_DAY", 2)
    assert "本村今日申报已达上限" in send(people[2], "10.1.1.3")
    assert Lead.objects.count() == 2


def test_the_phone_gets_json_answers_and_the_trail_no_typed_numbers(users: dict[str, User]) -> None:
    household = MemberFactory(household=HouseholdFactory()).household
    case = monitored_case(household, village=users["village"], town=users["town"], county=users["county"])
    c = Client()
    c.force_login(users["village"])
    key = str(uuid.uuid4())
    fields = {
        "on": timezone.localdate().isoformat(),
        "income_change": "none",
        "client_id": key,
        "note": "户主电话13912345678",
    }
    stored = c.post(f"/cases/{case.pk}/visit/", fields, headers={"Accept": "application/json"})
    assert (stored.status_code, stored.json()["client_id"]) == (201, key)
    refused = c.post(
        f"/cases/{case.pk}/visit/", {**fields, "client_id": "x"}, headers={"Accept": "application/json"}
    )
    assert refused.status_code == 422
    assert Visit.objects.count() == 1
    event = AuditEvent.objects.filter(object_type="monitoring.visit").get()
    assert "13912345678" not in str(event.data)

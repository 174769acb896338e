"""The case pages: the board's counts and late cases in red, a case's step forms and timeline, the town's
inbox, the public self-report form with its QR poster, a hotline call."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.monitoring import identification
from bangfu.monitoring.models import CaseState, Lead, LeadChannel, LeadStatus, MonitoringCase
from bangfu.registry.models import Member
from tests.factories import HouseholdFactory, MemberFactory, ensure_procedure_policy, synthetic_id_number

pytestmark = pytest.mark.django_db

OPENED = dt.date(2026, 9, 29)
VILLAGE = "610902001001"
STRANGER = synthetic_id_number(birth=dt.date(1990, 3, 7), sex="female", serial=257, region_prefix="110101")


@pytest.fixture(autouse=True)
def procedure_policy(regions: object) -> None:
    ensure_procedure_policy()


@pytest.fixture
def head() -> Member:
    return MemberFactory(name="孙有田", household=HouseholdFactory(household_number="610902001001000555"))


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_board_counts_cases_per_step_and_shows_late_ones_red(
    head: Member, village_cadre: User, county_clerk: User, other_county_clerk: User
) -> None:
    case = identification.report_by_cadre(
        household=head.household, by=village_cadre, on=OPENED, difficulty="住院", risk_types=["因病"]
    )
    page = client(county_clerk).get("/cases/").content.decode()
    assert re.search(r'data-step="application"[^>]*>\s*申请及承诺 1', page)
    # Its home check was due 2026-10-12: long past today.
    assert re.search(rf'data-case="{case.pk}"\s+class="table-danger" data-late', page)
    assert 'data-count="late"' in page
    assert "已逾期 1" in page
    late_only = client(county_clerk).get("/cases/?late=1").content.decode()
    assert "孙有田" in late_only
    assert "孙有田" not in client(other_county_clerk).get("/cases/").content.decode()


def test_a_case_page_offers_the_step_to_its_actor_only_and_records_it(
    head: Member, village_cadre: User, county_clerk: User
) -> None:
    case = identification.report_by_cadre(
        household=head.household, by=village_cadre, on=OPENED, difficulty="住院", risk_types=["因病"]
    )
    assert (
        f'action="/cases/{case.pk}/step/"' in client(village_cadre).get(f"/cases/{case.pk}/").content.decode()
    )
    assert "/step/" not in client(county_clerk).get(f"/cases/{case.pk}/").content.decode()
    c = client(village_cadre)
    refused = c.post(f"/cases/{case.pk}/step/", {"on": "2026-09-30"})
    assert refused.status_code == 200
    assert "请上传签字（按手印）的申请及承诺书照片，或填写代填人" in refused.content.decode()
    assert MonitoringCase.objects.get(pk=case.pk).state == CaseState.APPLICATION
    done = c.post(
        f"/cases/{case.pk}/step/", {"on": "2026-09-30", "proxy_name": "李会计", "proxy_relation": "村干部"}
    )
    assert done.status_code == 302
    check = c.post(
        f"/cases/{case.pk}/step/",
        {
            "on": "2026-09-30",
            "members": "3",
            "net_income": "12000",
            "out_of_pocket": "0",
            "need_food_clothing": "on",
            "need_education": "on",
            "need_housing": "on",
            "need_water": "on",
            "risk_1": "因病",
            "risk_2": "因学",
        },
    )
    assert check.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.risk_types) == (CaseState.DATA_COMPARISON, ["因病", "因学"])
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert page.index('data-action="open"') < page.index('data-action="sign_application"')
    assert "基本医疗有保障：未保障" in page
    assert "人均纯收入（元）" in page
    assert "4000.00" in page


def test_the_town_accepts_a_self_report_and_finds_the_household_by_number(
    head: Member, town_officer: User, village_cadre: User
) -> None:
    anonymous = Client()
    form = anonymous.get(f"/report/{VILLAGE}/")
    assert form.status_code == 200
    assert "东关村" in form.content.decode()
    sent = anonymous.post(
        f"/report/{VILLAGE}/",
        {
            "name": "钱多多",
            "phone": "13900001111",
            "id_number": STRANGER,
            "difficulty": "丈夫重病",
        },
    )
    assert sent.status_code == 302
    assert sent["Location"] == f"/report/{VILLAGE}/done/"
    done = anonymous.get(sent["Location"]).content.decode()
    assert "前受理" in done
    assert STRANGER not in done
    lead = Lead.objects.get()
    assert (lead.channel, lead.household) == (LeadChannel.SELF_REPORT, None)
    inbox = client(town_officer).get("/cases/leads/").content.decode()
    assert "钱多多" in inbox
    detail = client(town_officer).get(f"/cases/leads/{lead.pk}/").content.decode()
    assert STRANGER not in detail
    assert "13900001111" not in detail
    assert f"{STRANGER[:6]}********{STRANGER[-4:]}" in detail
    missing = client(town_officer).post(
        f"/cases/leads/{lead.pk}/accept/", {"on": "2026-09-30", "household_number": "999"}
    )
    assert "在您的管辖范围内没有户编号为 999 的农户" in missing.content.decode()
    accepted = client(town_officer).post(
        f"/cases/leads/{lead.pk}/accept/",
        {"on": timezone.localdate().isoformat(), "household_number": head.household.household_number},
    )
    assert accepted.status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED
    assert MonitoringCase.objects.get(lead=lead).household_id == head.household_id


def test_the_public_form_rejects_bad_input_by_field_and_limits_repeats(head: Member) -> None:
    anonymous = Client()
    bad = anonymous.post(
        f"/report/{VILLAGE}/",
        {
            "name": "钱多多",
            "phone": "123",
            "id_number": STRANGER[:-1] + ("0" if STRANGER[-1] != "0" else "1"),
            "difficulty": "x",
        },
    ).content.decode()
    assert "手机号码应为11位数字" in bad
    assert not Lead.objects.exists()
    values = {"name": "孙有田", "phone": "13900001111", "id_number": head.id_number, "difficulty": "住院"}
    for _ in range(3):
        assert anonymous.post(f"/report/{VILLAGE}/", values).status_code == 302
    fourth = anonymous.post(f"/report/{VILLAGE}/", values).content.decode()
    assert "同一身份证号码24小时内最多申报3次" in fourth
    assert Lead.objects.count() == 3
    assert anonymous.get("/report/610902001999/").status_code == 404


def test_the_poster_carries_the_village_qr_code(village_cadre: User) -> None:
    page = client(village_cadre).get(f"/cases/poster/{VILLAGE}/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    assert f"http://testserver/report/{VILLAGE}/" in page
    board = client(village_cadre).get("/cases/").content.decode()
    assert f'href="/cases/poster/{VILLAGE}/"' in board


def test_a_hotline_call_goes_to_the_town_inbox(head: Member, county_clerk: User) -> None:
    response = client(county_clerk).post(
        "/cases/hotline/",
        {
            "region_code": ["610902000000", "610902001000", VILLAGE],
            "name": "孙有田",
            "phone": "13900002222",
            "id_number": head.id_number,
            "difficulty": "来电反映房屋因灾受损",
            "risk_1": "因自然灾害",
        },
    )
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert (lead.channel, lead.reported_by, lead.household_id, lead.received_on) == (
        LeadChannel.HOTLINE,
        county_clerk,
        head.household_id,
        timezone.localdate(),
    )
    town_only = client(county_clerk).post(
        "/cases/hotline/",
        {
            "region_code": ["610902000000"],
            "name": "孙有田",
            "phone": "13900002222",
            "id_number": head.id_number,
            "difficulty": "x",
        },
    )
    assert "请选择所在村" in town_only.content.decode()

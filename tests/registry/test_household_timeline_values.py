"""The household timeline shows every value as a person reads it: a review time as a local date and time (not
an ISO timestamp), and the values a change request proposes with their Chinese labels and choices (not the
stored keys and codes)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.registry import services
from bangfu.registry.models import ChangeRequest, Household
from tests.factories import HouseholdFactory, MemberFactory, synthetic_id_number
from tests.permissions import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(regions: Any) -> Household:
    made = HouseholdFactory(household_number="610902001001000088")
    MemberFactory(
        household=made,
        name="马永福",
        relation="head",
        birth_date=date(1971, 3, 9),
        id_number=synthetic_id_number(birth=date(1971, 3, 9), sex="male", serial=71),
    )
    return made


def timeline_text(user: User, household: Household) -> str:
    response = client_for(user).get(f"/households/{household.pk}/")
    assert response.status_code == 200
    timeline = response.content.decode().split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", timeline).split())


def test_a_review_time_reads_as_a_local_date_and_time(
    household: Household, village_cadre: User, town_officer: User
) -> None:
    change = services.submit_change(
        by=village_cadre,
        kind="update_household",
        payload={"household_type": "dibao"},
        reason="已纳入低保",
        household=household,
    )
    services.approve_change(change=change, by=town_officer, on=timezone.localdate())
    change.refresh_from_db()
    assert change.reviewed_at is not None
    local = timezone.localtime(change.reviewed_at)
    text = timeline_text(town_officer, household)
    assert f"审核时间：由“（空）”改为“{local:%Y-%m-%d %H:%M}”" in text
    assert local.isoformat()[:19] not in text


def test_a_proposed_income_statement_reads_in_chinese(
    household: Household, village_cadre: User, town_officer: User
) -> None:
    services.submit_change(
        by=village_cadre,
        kind="set_income",
        payload={
            "period_kind": "calendar_year",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "lines": [
                {"component": "wages", "item": "", "amount": Decimal("18000.00"), "note": "宁波"},
                {"component": "excluded", "item": "慰问金", "amount": Decimal("500.00"), "note": ""},
            ],
        },
        reason="务工收入核实",
        household=household,
    )
    assert ChangeRequest.objects.count() == 1
    text = timeline_text(town_officer, household)
    assert "village_cadre 提交了信息变更申请“修改收支情况" in text
    assert (
        "收支明细：收支项：工资性收入；金额（元）：18000.00；说明：宁波、"
        "收支项：不计入收入的项目；明细：慰问金；金额（元）：500.00"
    ) in text
    for raw in ("component", "amount", "wages", "excluded："):
        assert raw not in text


def test_a_request_for_a_new_household_lists_the_household_and_its_members(
    regions: Any, village_cadre: User, town_officer: User
) -> None:
    change = services.submit_change(
        by=village_cadre,
        kind="create_household",
        payload={
            "household": {
                "region_code": "610902001001",
                "natural_village": "三组",
                "household_type": "dibao",
            },
            "members": [
                {
                    "name": "严春生",
                    "id_number": synthetic_id_number(birth=date(1980, 6, 1), sex="male", serial=81),
                    "relation": "head",
                }
            ],
        },
        reason="分户",
    )
    services.approve_change(change=change, by=town_officer, on=timezone.localdate())
    change.refresh_from_db()
    assert change.household is not None
    text = timeline_text(town_officer, change.household)
    assert "农户：自然村（组）：三组；户类型：低保户" in text
    assert "家庭成员：姓名：严春生" in text


def test_a_request_for_a_member_to_leave_reads_in_chinese(
    household: Household, village_cadre: User, town_officer: User
) -> None:
    head = household.members.get()
    wife = MemberFactory(household=household, name="刘秀英", relation="spouse", sex="female")
    services.submit_change(
        by=village_cadre,
        kind="remove_member",
        payload={"left_on": "2026-01-10", "reason": "moved_out", "new_head": wife.pk},
        reason="外出定居",
        household=household,
        member=head,
    )
    text = timeline_text(town_officer, household)
    assert "变更内容：离户日期：2026-01-10；离户原因：户籍迁出" in text
    for raw in ("new_head", "moved_out", "reason："):
        assert raw not in text

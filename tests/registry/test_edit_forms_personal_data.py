"""The edit forms never put a stored ID number or phone number into the page: the full value is shown only by
the audited reveal, to holders of the grant. The field starts empty with the masked value as placeholder, and
an empty field keeps what is stored."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.audit.models import Action, AuditEvent
from bangfu.registry import services
from bangfu.registry.models import ChangeRequest, Household
from tests.factories import synthetic_id_number
from tests.permissions import client_for
from tests.registry.test_editing_pages import member_post

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HEAD_ID = synthetic_id_number(birth=date(1970, 5, 1), sex="male", serial=11)
SON_ID = synthetic_id_number(birth=date(2000, 1, 2), sex="male", serial=13)
PHONE = "13912345678"


@pytest.fixture
def household(town_officer: User) -> Household:
    return services.create_household(
        by=town_officer,
        values={"region_code": "610902001001", "address": "一组1号", "phone": PHONE},
        members=[
            {"name": "王建国", "id_number": HEAD_ID, "relation": "head"},
            {"name": "王小明", "id_number": SON_ID, "relation": "son"},
        ],
        on=TODAY,
    )


@pytest.mark.parametrize("persona", ["town_officer", "village_cadre"])
def test_member_edit_page_shows_the_id_number_masked_only(
    household: Household, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    son = household.members.get(name="王小明")
    response = client_for(user).get(f"/households/members/{son.pk}/edit/")
    content = response.content.decode()
    assert response.status_code == 200
    assert SON_ID not in content
    assert f'placeholder="{SON_ID[:6]}********{SON_ID[-4:]}"' in content
    assert not AuditEvent.objects.filter(action=Action.REVEAL).exists()


@pytest.mark.parametrize("persona", ["town_officer", "village_cadre"])
def test_household_edit_page_shows_the_phone_masked_only(
    household: Household, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    response = client_for(user).get(f"/households/{household.pk}/edit/")
    content = response.content.decode()
    assert response.status_code == 200
    assert PHONE not in content
    assert 'placeholder="139****5678"' in content


def test_an_empty_id_field_keeps_the_stored_number(household: Household, village_cadre: User) -> None:
    son = household.members.get(name="王小明")
    response = client_for(village_cadre).post(
        f"/households/members/{son.pk}/edit/", member_post(son, id_number="", health="chronic")
    )
    assert response.status_code == 302
    son.refresh_from_db()
    assert (son.id_number, son.health) == (SON_ID, "chronic")
    # Keeping the number is no identity change: nothing went to review.
    assert ChangeRequest.objects.count() == 0


def test_a_typed_id_number_still_changes_it(household: Household, county_clerk: User) -> None:
    son = household.members.get(name="王小明")
    new_id = synthetic_id_number(birth=date(2000, 1, 2), sex="male", serial=15)
    response = client_for(county_clerk).post(
        f"/households/members/{son.pk}/edit/", member_post(son, id_number=new_id)
    )
    assert response.status_code == 302
    son.refresh_from_db()
    assert son.id_number == new_id


def test_an_empty_id_field_is_still_checked_against_a_changed_birth_date(
    household: Household, county_clerk: User
) -> None:
    son = household.members.get(name="王小明")
    response = client_for(county_clerk).post(
        f"/households/members/{son.pk}/edit/", member_post(son, id_number="", birth_date=date(2001, 1, 2))
    )
    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"] == [
        "出生日期 2001-01-02 与身份证号码中的出生日期 2000-01-02 不一致"
    ]
    son.refresh_from_db()
    assert son.birth_date == date(2000, 1, 2)


def test_an_empty_phone_field_keeps_the_stored_phone(household: Household, village_cadre: User) -> None:
    response = client_for(village_cadre).post(
        f"/households/{household.pk}/edit/",
        {"household_type": "ordinary", "address": "二组2号", "phone": ""},
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert (household.phone, household.address) == (PHONE, "二组2号")

"""Who may read, edit, request, review, reveal, import and export in the registry."""

from __future__ import annotations

import pytest

from bangfu.accounts.models import User
from bangfu.registry import access
from bangfu.registry.models import ChangeRequest
from tests.factories import UserFactory

PERSONAS = [
    "city_hq",
    "county_clerk",
    "other_county_clerk",
    "town_officer",
    "village_cadre",
    "other_village_cadre",
    "department_user",
    "inspector",
    "auditor",
    "security_admin",
    "system_admin",
]
READERS = {
    "city_hq",
    "county_clerk",
    "other_county_clerk",
    "town_officer",
    "village_cadre",
    "other_village_cadre",
    "inspector",
}
DIRECT = {"city_hq", "county_clerk", "other_county_clerk", "town_officer"}
REQUESTERS = {"village_cadre", "other_village_cadre"}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_role_answers(persona: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(persona)
    assert access.can_read(user) is (persona in READERS)
    assert access.can_edit_directly(user) is (persona in DIRECT)
    assert access.can_import(user) is (persona in DIRECT)
    assert access.can_export(user) is (persona in DIRECT)
    assert access.can_resolve_duplicates(user) is (persona in DIRECT)
    assert access.can_request_changes(user) is (persona in REQUESTERS)
    assert access.can_record_details(user) is (persona in DIRECT | REQUESTERS)
    assert access.can_reveal(user) is False


@pytest.mark.django_db
def test_reveal_needs_the_grant_and_a_reading_role(regions: dict[str, object]) -> None:
    granted_town = UserFactory(role="town", region=regions["610902001000"], may_reveal_personal_data=True)
    granted_department = UserFactory(
        role="department",
        sector="medical_insurance",
        region=regions["610902000000"],
        may_reveal_personal_data=True,
    )
    inactive = UserFactory(
        role="town", region=regions["610902001000"], may_reveal_personal_data=True, is_active=False
    )
    assert access.can_reveal(granted_town) is True
    assert access.can_reveal(granted_department) is False
    assert access.can_reveal(inactive) is False


def test_anonymous_gets_nothing() -> None:
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not any(
        check(anonymous)
        for check in (
            access.can_read,
            access.can_edit_directly,
            access.can_request_changes,
            access.can_reveal,
        )
    )


@pytest.mark.django_db
def test_review_needs_scope_and_never_the_submitter(
    village_cadre: User,
    town_officer: User,
    county_clerk: User,
    other_county_clerk: User,
    city_hq: User,
    regions: dict[str, object],
) -> None:
    change = ChangeRequest(region_code="610902001001", submitted_by=village_cadre)
    assert access.can_review(town_officer, change) is True
    assert access.can_review(county_clerk, change) is True
    assert access.can_review(city_hq, change) is True
    assert access.can_review(other_county_clerk, change) is False
    assert access.can_review(village_cadre, change) is False
    other_town = UserFactory(role="town", region=regions["610902100000"])
    assert access.can_review(other_town, change) is False
    own = ChangeRequest(region_code="610902001001", submitted_by=town_officer)
    assert access.can_review(town_officer, own) is False


@pytest.mark.django_db
def test_which_fields_need_review(village_cadre: User, town_officer: User) -> None:
    assert (
        access.household_fields_need_review(village_cadre, {"address", "phone", "natural_village"}) is False
    )
    assert access.household_fields_need_review(village_cadre, {"address", "household_type"}) is True
    assert access.household_fields_need_review(town_officer, {"household_type", "region_code"}) is False
    assert (
        access.member_fields_need_review(village_cadre, {"health", "school_status", "resident_pension"})
        is False
    )
    for identity in ("name", "id_number", "sex", "birth_date", "relation", "ethnicity", "joined_on"):
        assert access.member_fields_need_review(village_cadre, {identity}) is True
    assert access.member_fields_need_review(town_officer, {"name"}) is False


@pytest.mark.django_db
def test_in_scope(village_cadre: User, inspector: User) -> None:
    assert access.in_scope(village_cadre, "610902001001") is True
    assert access.in_scope(village_cadre, "610902001002") is False
    assert access.in_scope(village_cadre, "") is False
    assert access.in_scope(inspector, "610902100001") is True

"""Scoping of regions: who sees which codes, and the SQL shape (index-friendly ranges, never LIKE)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from bangfu.accounts.models import User
from bangfu.regions.codes import prefix_bounds
from bangfu.regions.models import Region
from bangfu.regions.scoping import code_visible_to, get_for_user


def _visible(user: User) -> set[str]:
    return set(Region.objects.visible_to(user).values_list("code", flat=True))


def test_village_cadre_sees_only_its_own_village(village_cadre: User) -> None:
    assert _visible(village_cadre) == {"610902001001"}


def test_town_officer_sees_its_town_and_villages(town_officer: User) -> None:
    assert _visible(town_officer) == {"610902001000", "610902001001", "610902001002"}


def test_county_clerk_sees_its_county_towns_and_villages(county_clerk: User) -> None:
    assert _visible(county_clerk) == {
        "610902000000",
        "610902001000",
        "610902001001",
        "610902001002",
        "610902100000",
        "610902100001",
    }
    towns = Region.objects.visible_to(county_clerk).filter(parent_id="610902000000")
    assert set(towns.values_list("name", flat=True)) == {"老城街道", "五里镇"}


def test_city_hq_sees_the_whole_city_but_not_the_province(city_hq: User, regions: dict[str, Region]) -> None:
    assert _visible(city_hq) == set(regions) - {"610000000000"}


def test_department_user_sees_the_regions_of_its_county(department_user: User) -> None:
    # A sector narrows the rows a department sees, never the regions themselves.
    assert "610902001001" in _visible(department_user)
    assert "610981000000" not in _visible(department_user)


@pytest.mark.parametrize("persona", ["auditor", "security_admin", "system_admin"])
def test_admin_roles_see_no_region(
    persona: str, request: pytest.FixtureRequest, regions: dict[str, Region]
) -> None:
    user: User = request.getfixturevalue(persona)
    assert _visible(user) == set()
    assert code_visible_to(user, "610902001001") is False


def test_inactive_user_sees_nothing(village_cadre: User) -> None:
    village_cadre.is_active = False
    assert _visible(village_cadre) == set()


def test_get_for_user_is_404_for_another_village(village_cadre: User) -> None:
    assert get_for_user(Region.objects.all(), village_cadre, code="610902001001").name == "东关村"
    with pytest.raises(Http404):
        get_for_user(Region.objects.all(), village_cadre, code="610902001002")
    with pytest.raises(Http404):
        get_for_user(Region.objects.all(), village_cadre, code="not-a-code")


def test_code_visible_to_follows_the_scope_prefix(town_officer: User) -> None:
    assert code_visible_to(town_officer, "610902001002") is True
    assert code_visible_to(town_officer, "610902000000") is False  # the county above the town
    assert code_visible_to(town_officer, "610902100001") is False  # a village of another town


def test_scope_filter_is_a_range_on_the_code_not_like(county_clerk: User) -> None:
    with CaptureQueriesContext(connection) as queries:
        list(Region.objects.visible_to(county_clerk))

    (query,) = queries.captured_queries
    sql = query["sql"]
    assert '"regions_region"."code" >= ' in sql
    assert '"regions_region"."code" < ' in sql
    assert "LIKE" not in sql.upper()
    assert "SUBSTR" not in sql.upper()
    assert "610902" in sql
    assert "610903" in sql


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["61", "6109", "610902", "610999", "69"])
def test_prefix_range_holds_under_the_database_collation(prefix: str) -> None:
    """On PostgreSQL, under a linguistic (ICU) collation too, where punctuation such as ':' is ignored."""
    collation = '"und-x-icu"' if connection.vendor == "postgresql" else "BINARY"
    lo, hi = prefix_bounds(prefix)
    codes = ["610000000000", "610900000000", "610902001001", "610999999999", "611000000000", "690000000000"]
    compare = f"CAST(%s AS TEXT) >= CAST(%s AS TEXT) COLLATE {collation}"
    below = f"CAST(%s AS TEXT) < CAST(%s AS TEXT) COLLATE {collation}"
    with connection.cursor() as cursor:
        for code in codes:
            cursor.execute(f"SELECT CASE WHEN {compare} AND {below} THEN 1 ELSE 0 END", [code, lo, code, hi])
            assert cursor.fetchone() == (int(code.startswith(prefix)),), code

"""Regions API: a region and its children within the caller's scope; JSON errors otherwise."""

from __future__ import annotations

import pytest
from django.test import Client

from bangfu.accounts.models import User
from bangfu.api import api
from bangfu.regions.models import Region
from tests.permissions import client_for


def test_get_region_returns_it(town_officer: User) -> None:
    response = client_for(town_officer).get("/api/v1/regions/610902001000")

    assert response.status_code == 200
    assert response.json() == {
        "code": "610902001000",
        "name": "老城街道",
        "level": 4,
        "level_name": "乡镇",
        "parent_code": "610902000000",
    }


def test_children_are_listed_by_code(county_clerk: User) -> None:
    response = client_for(county_clerk).get("/api/v1/regions/610902000000/children")

    assert response.status_code == 200
    assert [(r["code"], r["name"], r["level"]) for r in response.json()] == [
        ("610902001000", "老城街道", 4),
        ("610902100000", "五里镇", 4),
    ]


def test_a_village_has_no_children(village_cadre: User) -> None:
    response = client_for(village_cadre).get("/api/v1/regions/610902001001/children")
    assert (response.status_code, response.json()) == (200, [])


@pytest.mark.parametrize("path", ["/api/v1/regions/610902001002", "/api/v1/regions/610902001002/children"])
def test_another_village_is_not_found(village_cadre: User, path: str) -> None:
    response = client_for(village_cadre).get(path)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "未找到该对象，或不在您的管辖范围内"}


@pytest.mark.parametrize("code", ["610000000000", "610981000000", "999999999999", "abc"])
def test_regions_outside_the_county_are_not_found(county_clerk: User, code: str) -> None:
    assert client_for(county_clerk).get(f"/api/v1/regions/{code}").status_code == 404


@pytest.mark.parametrize("persona", ["auditor", "security_admin", "system_admin"])
def test_admin_roles_are_forbidden(persona: str, request: pytest.FixtureRequest) -> None:
    response = client_for(request.getfixturevalue(persona)).get("/api/v1/regions/610902000000")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_anonymous_caller_is_unauthenticated(regions: dict[str, Region]) -> None:
    response = Client().get("/api/v1/regions/610902000000")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_children_query_count_is_bounded(county_clerk: User, django_assert_max_num_queries: object) -> None:
    client = client_for(county_clerk)
    # Session and user, the region, its children; the session save of the idle timeout (3).
    with django_assert_max_num_queries(7):  # type: ignore[operator]
        client.get("/api/v1/regions/610902000000/children")


def test_every_status_is_declared_in_the_schema() -> None:
    paths = api.get_openapi_schema()["paths"]
    for path in ("/api/v1/regions/{code}", "/api/v1/regions/{code}/children"):
        responses = paths[path]["get"]["responses"]
        assert set(responses) == {200, 401, 403, 404}, path
        assert responses[404]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }

"""The user form's region input: a code field whose datalist the security admin fills by searching regions
by name or code (the regions app's picker starts from the user's own scope, which admin roles lack)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from bangfu.accounts.models import User
from bangfu.accounts.views import REGION_SEARCH_LIMIT
from bangfu.regions.models import Region
from tests.permissions import PermissionMatrix, Route

pytestmark = pytest.mark.django_db

SEARCH_URL = "/accounts/regions/search/"
OPTION = re.compile(r'<option value="(\d{12})">')


def found(response: object) -> list[str]:
    return OPTION.findall(response.content.decode())  # type: ignore[attr-defined]


class TestRegionSearchPermissions(PermissionMatrix):
    """Only the security admin, who sets scopes, searches regions here (htmx fragment and plain GET)."""

    routes = [  # noqa: RUF012 — the matrix mixin reads a plain list
        Route(
            f"{SEARCH_URL}?region=旬阳",
            allowed=frozenset({"security_admin"}),
            htmx=True,
            marker="610981000000",
            shown_to=frozenset({"security_admin"}),
        ),
    ]


def test_search_by_name_lists_matching_regions_with_their_parent(
    otp_client: Callable[[User], Client], security_admin: User, regions: dict[str, Region]
) -> None:
    response = otp_client(security_admin).get(SEARCH_URL, {"region": "关村"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert found(response) == ["610902001001", "610902001002"]
    text = " ".join(response.content.decode().split())
    assert "老城街道 · 东关村 · 村" in text
    assert "<html" not in text


def test_search_by_code_prefix_orders_higher_levels_first(
    otp_client: Callable[[User], Client], security_admin: User, regions: dict[str, Region]
) -> None:
    response = otp_client(security_admin).get(SEARCH_URL, {"region": "610981"})
    assert found(response) == ["610981000000", "610981100000", "610981100001"]


def test_search_returns_at_most_twenty(
    otp_client: Callable[[User], Client], security_admin: User, regions: dict[str, Region]
) -> None:
    town = regions["610902100000"]
    for n in range(2, 30):
        Region.objects.create(code=f"610902100{n:03d}", name=f"新村{n}", parent=town)
    response = otp_client(security_admin).get(SEARCH_URL, {"region": "新村"})
    assert len(found(response)) == REGION_SEARCH_LIMIT == 20


def test_empty_search_lists_nothing(
    otp_client: Callable[[User], Client], security_admin: User, regions: dict[str, Region]
) -> None:
    assert found(otp_client(security_admin).get(SEARCH_URL, {"region": "  "})) == []
    assert found(otp_client(security_admin).get(SEARCH_URL)) == []


def test_user_form_region_input_asks_the_search_and_has_no_dead_picker_attribute(
    otp_client: Callable[[User], Client], security_admin: User
) -> None:
    html = otp_client(security_admin).get("/accounts/users/new/").content.decode()
    assert "data-region-picker" not in html
    [tag] = re.findall(r'<input[^>]*name="region"[^>]*>', html)
    assert 'list="id_region-options"' in tag
    assert f'hx-get="{SEARCH_URL}"' in tag
    assert 'hx-target="#id_region-options"' in tag
    assert '<datalist id="id_region-options"></datalist>' in html

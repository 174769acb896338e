"""Region pages: the browser, its breadcrumb, the picker fragment; scoped with 404 outside the scope."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from bangfu.accounts.models import User
from bangfu.regions.models import Region
from bangfu.regions.views import CHILDREN_PER_PAGE
from tests.permissions import client_for
from tests.regions.markup import breadcrumb, picker_selects

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_regions_index_redirects_to_the_users_scope(town_officer: User) -> None:
    response = client_for(town_officer).get(reverse("regions:index"))
    assert response.status_code == 302
    assert response["Location"] == "/regions/610902001000/"


def test_regions_index_follows_a_picked_region_inside_the_scope_only(county_clerk: User) -> None:
    client = client_for(county_clerk)
    picked = client.get("/regions/", {"region": ["610902000000", "610902100000"]})
    assert picked["Location"] == "/regions/610902100000/"
    outside = client.get("/regions/", {"region": "610981000000"})
    assert outside["Location"] == "/regions/610902000000/"


def test_region_page_shows_the_region_and_its_children(county_clerk: User) -> None:
    response = client_for(county_clerk).get("/regions/610902000000/")

    assert response.status_code == 200
    assert response.context["region"].code == "610902000000"
    assert [(c.code, c.name, c.child_count) for c in response.context["page"].object_list] == [
        ("610902001000", "老城街道", 2),
        ("610902100000", "五里镇", 1),
    ]
    html = response.content.decode()
    assert '<h1 class="h4 mb-1">汉滨区</h1>' in html
    assert 'href="/regions/610902001000/"' in html


def test_breadcrumb_links_only_up_to_the_scope_root(town_officer: User) -> None:
    html = client_for(town_officer).get("/regions/610902001001/").content.decode()

    assert breadcrumb(html) == [
        ("陕西省", False),
        ("安康市", False),
        ("汉滨区", False),
        ("老城街道", True),
        ("东关村", False),  # the current page
    ]
    assert 'href="/regions/610902000000/"' not in html


def test_breadcrumb_of_the_city_hq_links_from_the_city_down(city_hq: User) -> None:
    html = client_for(city_hq).get("/regions/610902001000/").content.decode()
    assert breadcrumb(html) == [("陕西省", False), ("安康市", True), ("汉滨区", True), ("老城街道", False)]


def test_village_cadre_gets_404_for_another_village(village_cadre: User) -> None:
    client = client_for(village_cadre)
    assert client.get("/regions/610902001001/").status_code == 200
    assert client.get("/regions/610902001002/").status_code == 404
    assert client.get("/regions/610902001000/").status_code == 404  # its own town is above its scope
    assert client.get("/regions/not-a-code/").status_code == 404


def test_county_clerk_gets_404_for_another_county(county_clerk: User) -> None:
    assert client_for(county_clerk).get("/regions/610981000000/").status_code == 404


@pytest.mark.parametrize("persona", ["auditor", "security_admin", "system_admin"])
def test_admin_roles_are_refused_region_pages(persona: str, request: pytest.FixtureRequest) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/regions/").status_code == 403
    assert client.get("/regions/610902000000/").status_code == 403
    assert client.get("/regions/picker/").status_code == 403


def test_anonymous_visitor_is_sent_to_login(regions: dict[str, Region]) -> None:
    response = Client().get("/regions/610902000000/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_children_are_paginated_and_htmx_gets_only_the_list(
    county_clerk: User, regions: dict[str, Region]
) -> None:
    town = regions["610902001000"]
    Region.objects.bulk_create(
        [
            Region(code=f"610902001{n:03d}", name=f"村{n}", level=5, parent=town)
            for n in range(3, CHILDREN_PER_PAGE + 3)
        ]
    )
    client = client_for(county_clerk)

    first = client.get("/regions/610902001000/")
    assert len(first.context["page"].object_list) == CHILDREN_PER_PAGE
    assert first.context["page"].paginator.count == CHILDREN_PER_PAGE + 2
    second = client.get("/regions/610902001000/", {"page": 2}, **HTMX)
    html = second.content.decode()
    assert re.findall(r'<tr data-region="(\d{12})">', html) == ["610902001051", "610902001052"]
    assert html.lstrip().startswith('<section id="region-children"')
    assert "<html" not in html


def test_picker_offers_only_regions_visible_to_the_user(county_clerk: User) -> None:
    html = client_for(county_clerk).get("/regions/610902000000/").content.decode()

    assert picker_selects(html) == [
        [
            ("610902000000", "汉滨区（全部）", False),
            ("610902001000", "老城街道", False),
            ("610902100000", "五里镇", False),
        ]
    ]
    assert "城关镇" not in html  # a town of 旬阳市, outside the scope


def test_picking_a_town_loads_its_villages(county_clerk: User) -> None:
    response = client_for(county_clerk).get(
        reverse("regions:picker-children"), {"field": "region", "region": "610902001000"}, **HTMX
    )

    assert response.status_code == 200
    assert picker_selects(response.content.decode()) == [
        [
            ("610902000000", "汉滨区（全部）", False),
            ("610902001000", "老城街道", True),
            ("610902100000", "五里镇", False),
        ],
        [
            ("610902001000", "老城街道（全部）", False),
            ("610902001001", "东关村", False),
            ("610902001002", "西关村", False),
        ],
    ]


def test_picking_a_village_keeps_it_selected_and_submits_it_last(town_officer: User) -> None:
    response = client_for(town_officer).get(
        reverse("regions:picker-children"), {"region": "610902001002"}, **HTMX
    )

    selects = picker_selects(response.content.decode())
    assert selects == [
        [
            ("610902001000", "老城街道（全部）", False),
            ("610902001001", "东关村", False),
            ("610902001002", "西关村", True),
        ]
    ]


def test_picker_of_a_village_cadre_is_its_village_as_a_hidden_value(village_cadre: User) -> None:
    html = client_for(village_cadre).get(reverse("regions:picker-children")).content.decode()
    assert picker_selects(html) == []
    assert '<input type="hidden" name="region" value="610902001001">' in html


def test_picker_fragment_is_404_for_a_region_outside_the_scope(town_officer: User) -> None:
    client = client_for(town_officer)
    assert (
        client.get(reverse("regions:picker-children"), {"region": "610902100000"}, **HTMX).status_code == 404
    )
    assert (
        client.get(reverse("regions:picker-children"), {"region": "610902000000"}, **HTMX).status_code == 404
    )
    assert client.get(reverse("regions:picker-children"), {"field": 'a"b', 'a"b': "x"}).status_code == 404


def test_picker_fragment_keeps_a_custom_field_name(county_clerk: User) -> None:
    html = (
        client_for(county_clerk)
        .get(reverse("regions:picker-children"), {"field": "filter-region", "filter-region": "610902100000"})
        .content.decode()
    )
    assert html.count('name="filter-region"') == 2
    assert '"field": "filter-region"' in html


# Queries around every logged-in request: session and user, then the idle-timeout middleware's session save
# (savepoint, update, release); a full page adds the top bar's scope region.
SHELL_QUERIES = 5
PAGE_SHELL_QUERIES = SHELL_QUERIES + 1


@pytest.mark.parametrize("extra_villages", [0, 120])
def test_region_page_query_count_does_not_grow_with_the_children(
    county_clerk: User, regions: dict[str, Region], extra_villages: int, django_assert_max_num_queries: object
) -> None:
    Region.objects.bulk_create(
        [
            Region(code=f"610902001{n:03d}", name=f"村{n}", level=5, parent=regions["610902001000"])
            for n in range(3, extra_villages + 3)
        ]
    )
    client = client_for(county_clerk)
    # The region, count + page of children, breadcrumb ancestors, picker path + children.
    with django_assert_max_num_queries(PAGE_SHELL_QUERIES + 6):  # type: ignore[operator]
        assert client.get("/regions/610902001000/").status_code == 200


def test_picker_fragment_query_count_is_bounded(
    county_clerk: User, django_assert_max_num_queries: object
) -> None:
    client = client_for(county_clerk)
    # The scope check of the picked code, then the picker's path and children.
    with django_assert_max_num_queries(SHELL_QUERIES + 3):  # type: ignore[operator]
        client.get(reverse("regions:picker-children"), {"region": "610902001001"}, **HTMX)

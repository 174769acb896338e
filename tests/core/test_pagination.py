"""The shared pagination component: filters survive paging, and htmx pages swap only their list."""

from __future__ import annotations

import pytest

from bangfu.accounts.models import Role, User
from bangfu.regions.models import Region
from tests.factories import UserFactory
from tests.permissions import client_for

pytestmark = pytest.mark.django_db


def test_region_children_page_links_swap_the_list_through_htmx(
    town_officer: User, regions: dict[str, Region]
) -> None:
    town = regions["610902001000"]
    Region.objects.bulk_create(
        [Region(code=f"610902001{n:03d}", name=f"村{n}", level=5, parent=town) for n in range(3, 56)]
    )
    html = client_for(town_officer).get("/regions/610902001000/").content.decode()
    assert 'href="?page=2"' in html
    assert 'hx-get="?page=2" hx-target="#region-children" hx-swap="outerHTML"' in html
    second = client_for(town_officer).get("/regions/610902001000/?page=2").content.decode()
    assert 'href="?page=1"' in second
    assert "村55" in second


def test_user_list_paging_keeps_the_search(security_admin: User) -> None:
    for n in range(55):
        UserFactory(username=f"cadre{n:02d}", role=Role.VILLAGE_TEAM)
    html = client_for(security_admin).get("/accounts/users/", {"q": "cadre", "role": "village_team"})
    text = html.content.decode()
    assert 'href="?q=cadre&amp;role=village_team&amp;page=2"' in text
    assert "hx-get" not in text.split('aria-label="分页"', 1)[1].split("</nav>", 1)[0]

"""Region pages beyond tests/regions/test_permissions.py's matrix: the town above 东关村 (the village
cadre's scope does not reach up to it), the htmx fragments, and the picker under another field name.

A region outside the scope is "not found" (404), never rendered; the region tree is shared by all sectors,
so the department user sees it like the county clerk does.
"""

from __future__ import annotations

import pytest

from bangfu.accounts.models import User
from tests.permissions import (
    BUSINESS_OVER_VILLAGE,
    BUSINESS_PERSONAS,
    OUTSIDE_VILLAGE,
    VILLAGE,
    PermissionMatrix,
    Route,
    client_for,
)

pytestmark = pytest.mark.django_db

TOWN = "610902001000"  # 老城街道, the town of 东关村 and 西关村
OVER_TOWN = BUSINESS_OVER_VILLAGE - {"village_cadre"}
OUTSIDE_TOWN = OUTSIDE_VILLAGE | {"village_cadre"}


class TestRegionScopedPages(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        # The town's page lists 东关村 among its children to those who may open the town.
        Route(
            f"/regions/{TOWN}/", allowed=OVER_TOWN, outside=OUTSIDE_TOWN, marker="东关村", shown_to=OVER_TOWN
        ),
        # The children fragment (htmx pagination) repeats the page's check.
        Route(f"/regions/{TOWN}/?page=1", allowed=OVER_TOWN, outside=OUTSIDE_TOWN, htmx=True),
        Route(
            f"/regions/{VILLAGE}/?page=1", allowed=BUSINESS_OVER_VILLAGE, outside=OUTSIDE_VILLAGE, htmx=True
        ),
        Route(
            f"/regions/picker/?field=area&area={VILLAGE}",
            allowed=BUSINESS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            htmx=True,
        ),
        # Nothing picked yet: the picker starts at each user's own scope.
        Route("/regions/picker/", allowed=BUSINESS_PERSONAS, htmx=True),
        # A region picked outside the scope is ignored: the index sends the user to their own region.
        Route(f"/regions/?region={VILLAGE}", allowed=BUSINESS_PERSONAS, ok_status=302),
    ]


def test_a_village_picked_outside_the_scope_sends_to_the_own_village(
    other_village_cadre: User, village_cadre: User
) -> None:
    outside = client_for(other_village_cadre).get(f"/regions/?region={VILLAGE}")
    inside = client_for(village_cadre).get(f"/regions/?region={VILLAGE}")
    assert (outside["Location"], inside["Location"]) == ("/regions/610902001002/", f"/regions/{VILLAGE}/")

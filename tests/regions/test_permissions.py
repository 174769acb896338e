"""Every region page and API route against every persona (tests/permissions.py)."""

from __future__ import annotations

from tests.permissions import BUSINESS_OVER_VILLAGE, PermissionMatrix, Route

BUSINESS = BUSINESS_OVER_VILLAGE | {"other_village_cadre", "other_county_clerk"}
OUTSIDE_VILLAGE = frozenset({"other_village_cadre", "other_county_clerk"})
VILLAGE = "610902001001"


class TestRegionRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 -- the matrix reads a plain list
        Route("/regions/", allowed=BUSINESS, ok_status=302),
        Route(f"/regions/{VILLAGE}/", allowed=BUSINESS_OVER_VILLAGE, outside=OUTSIDE_VILLAGE),
        Route(f"/regions/picker/?region={VILLAGE}", allowed=BUSINESS_OVER_VILLAGE, outside=OUTSIDE_VILLAGE),
        Route(f"/api/v1/regions/{VILLAGE}", allowed=BUSINESS_OVER_VILLAGE, outside=OUTSIDE_VILLAGE, api=True),
        Route(
            f"/api/v1/regions/{VILLAGE}/children",
            allowed=BUSINESS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            api=True,
        ),
    ]

"""API routes beyond the regions and policy matrices, with rows set for 东关村 itself.

Every API route is also called by each business persona with a bearer token (the answer must equal the
session's) and anonymously with broken tokens — see tests/permissions.py. The admin roles (三员) hold no
tokens; through the session they are refused business data with 403.
"""

from __future__ import annotations

import pytest

from tests.matrix.test_policy_routes import LINE_NOTE, village_versions
from tests.permissions import (
    BUSINESS_OVER_VILLAGE,
    BUSINESS_PERSONAS,
    OUTSIDE_VILLAGE,
    VILLAGE,
    PermissionMatrix,
    Route,
)

pytestmark = pytest.mark.django_db

TOWN = "610902001000"  # 老城街道: above the village cadre's scope
OVER_TOWN = BUSINESS_OVER_VILLAGE - {"village_cadre"}
OUTSIDE_TOWN = OUTSIDE_VILLAGE | {"village_cadre"}


class TestApiScopedRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route(f"/api/v1/regions/{TOWN}", allowed=OVER_TOWN, outside=OUTSIDE_TOWN, api=True),
        # The town's children name 东关村 to those who may open the town.
        Route(
            f"/api/v1/regions/{TOWN}/children",
            allowed=OVER_TOWN,
            outside=OUTSIDE_TOWN,
            api=True,
            marker="东关村",
            shown_to=OVER_TOWN,
        ),
        # The village's own value, with its source, for the village; 404 for another village or county.
        Route(
            f"/api/v1/policy/monitoring_line?region={VILLAGE}&on=2026-06-01",
            allowed=BUSINESS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            api=True,
            setup=village_versions,
            marker=LINE_NOTE,
            shown_to=BUSINESS_OVER_VILLAGE,
        ),
        # Without a region each caller gets its own region's value: the village's only for its cadre.
        Route(
            "/api/v1/policy/monitoring_line?on=2026-06-01",
            allowed=BUSINESS_PERSONAS,
            api=True,
            setup=village_versions,
            marker=LINE_NOTE,
            shown_to=frozenset({"village_cadre"}),
        ),
        # The village's 9 working days from 2026-06-01 (Monday) end on Friday 2026-06-12.
        Route(
            f"/api/v1/calendar/due-date?key=deadline.home_check&start=2026-06-01&region={VILLAGE}",
            allowed=BUSINESS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            api=True,
            setup=village_versions,
            marker='"date": "2026-06-12"',
            shown_to=BUSINESS_OVER_VILLAGE,
        ),
        Route(
            "/api/v1/calendar/due-date?key=deadline.home_check&start=2026-06-01",
            allowed=BUSINESS_PERSONAS,
            api=True,
            setup=village_versions,
            marker='"date": "2026-06-12"',
            shown_to=frozenset({"village_cadre"}),
        ),
    ]

"""The registry API in the permission matrix: every route as every persona, by session and by token.

Rows are set in 东关村 (a household, its head and the head's wife, a pending change request submitted by the
village cadre). Readers whose scope holds the village get the rows; another village or county gets 404;
sector departments, and the admin roles (三员), get 403. Writes: the town and above write directly; the
village cadre's composition, identity and income changes answer 202 with a change request and change
nothing yet (the matrix checks that the registry rows are untouched whenever the answer is not the route's
success); indicators and contact details the village cadre records directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest

from bangfu.accounts.models import Role, User
from bangfu.regions.models import Region
from bangfu.registry import services
from bangfu.registry.models import (
    ChangeKind,
    ChangeRequest,
    Household,
    IncomeLine,
    IncomeStatement,
    IndicatorObservation,
    Member,
)
from tests.factories import HouseholdFactory, MemberFactory, UserFactory, synthetic_id_number
from tests.permissions import (
    BUSINESS_OVER_VILLAGE,
    BUSINESS_PERSONAS,
    OUTSIDE_VILLAGE,
    VILLAGE,
    PermissionMatrix,
    Route,
)

pytestmark = pytest.mark.django_db

# Who reads the registry: every business persona but the sector department.
READERS = BUSINESS_PERSONAS - {"department_user"}
READERS_OVER_VILLAGE = BUSINESS_OVER_VILLAGE - {"department_user"}
# Town and above, over the village: they write directly.
DIRECT_OVER_VILLAGE = frozenset({"city_hq", "county_clerk", "town_officer"})
# The village cadre's writes that need the town's review answer 202 (a change request).
BY_REQUEST = {"village_cadre": 202}
HEAD_NAME = "东关甲"
CHANGE_REASON = "东关村测试变更理由"


def village_cadre_user() -> User:
    """The village cadre persona: the fixture's row when that persona is the one testing (re-made through the
    factory it would get a new password hash, which logs its session out)."""
    existing = User.objects.filter(username="village_cadre").first()
    if existing is not None:
        return existing
    return UserFactory(  # type: ignore[no-any-return]
        username="village_cadre",
        role=Role.VILLAGE_TEAM,
        region=Region.objects.get(code=VILLAGE),
        full_name="village_cadre",
    )


def village_rows() -> Mapping[str, object]:
    """A household of 东关村 with its head and his wife, a pending change of its type submitted by the village
    cadre, and the reveal grant for everyone (so that the reveal routes are decided by role and scope)."""
    household = HouseholdFactory(household_number="610902001001900001", phone="13912345678")
    head = MemberFactory(household=household, name=HEAD_NAME, birth_date=dt.date(1970, 3, 4), relation="head")
    wife = MemberFactory(
        household=household,
        name="东关乙",
        sex="female",
        birth_date=dt.date(1972, 5, 6),
        relation="spouse",
    )
    change = services.submit_change(
        by=village_cadre_user(),
        kind=ChangeKind.UPDATE_HOUSEHOLD,
        payload={"household_type": "dibao"},
        reason=CHANGE_REASON,
        household=household,
        on=dt.date(2026, 6, 1),
    )
    User.objects.update(may_reveal_personal_data=True)
    return {"household": household.pk, "head": head.pk, "member": wife.pk, "change": change.pk}


def registry_state() -> Any:
    """Every registry row a write could change (change requests aside: the 202 answers add one)."""
    return (
        list(
            Household.objects.order_by("pk").values_list(
                "pk", "household_number", "household_type", "address", "phone_index", "status"
            )
        ),
        list(
            Member.objects.order_by("pk").values_list(
                "pk", "name", "id_number_index", "relation", "left_on", "health"
            )
        ),
        list(IncomeStatement.objects.order_by("pk").values_list("pk", "household_size", "wages")),
        IncomeLine.objects.count(),
        IndicatorObservation.objects.count(),
    )


def review_state() -> Any:
    """The registry rows and the change requests with their review."""
    changes = ChangeRequest.objects.order_by("pk").values_list("pk", "status", "reviewed_by", "review_note")
    return registry_state(), list(changes)


NEW_HOUSEHOLD = {
    "region_code": VILLAGE,
    "household_number": "610902001001900002",
    "address": "东关村三组1号",
    "members": [
        {
            "name": "东关丙",
            "id_number": synthetic_id_number(birth=dt.date(1980, 5, 6), sex="male", serial=77),
            "relation": "head",
        }
    ],
    "reason": "分户",
}
INCOME = {
    "period_kind": "calendar_year",
    "period_start": "2025-01-01",
    "period_end": "2025-12-31",
    "lines": [{"component": "wages", "item": "务工收入", "amount": "24000.00", "note": ""}],
    "reason": "补录收入",
}
NEW_MEMBER = {
    "name": "东关丁",
    "id_number": synthetic_id_number(birth=dt.date(2001, 7, 8), sex="female", serial=78),
    "relation": "daughter",
    "reason": "出生登记",
}


def _route(url: str, **kwargs: Any) -> Route:
    return Route(url, api=True, setup=village_rows, **kwargs)


def _write(url: str, method: str, data: dict[str, Any], **kwargs: Any) -> Route:
    return _route(url, method=method, data=data, state=registry_state, **kwargs)


def _review(url: str, data: dict[str, Any], **kwargs: Any) -> Route:
    return _route(url, method="post", data=data, state=review_state, **kwargs)


class TestRegistryApiReads(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        # Lists answer every reader, each within its scope: the village's household only to its scopes.
        _route("/api/v1/households", allowed=READERS, marker=HEAD_NAME, shown_to=READERS_OVER_VILLAGE),
        _route(
            "/api/v1/households/{household}",
            allowed=READERS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            marker=HEAD_NAME,
            shown_to=READERS_OVER_VILLAGE,
        ),
        _route("/api/v1/members?q=东关", allowed=READERS, marker=HEAD_NAME, shown_to=READERS_OVER_VILLAGE),
        _route("/api/v1/members/{head}", allowed=READERS_OVER_VILLAGE, outside=OUTSIDE_VILLAGE),
        _route(
            "/api/v1/change-requests?status=pending",
            allowed=READERS,
            marker=CHANGE_REASON,
            shown_to=READERS_OVER_VILLAGE,
        ),
        _route(
            "/api/v1/change-requests/{change}",
            allowed=READERS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            marker=CHANGE_REASON,
            shown_to=READERS_OVER_VILLAGE,
        ),
        # Revealing is a POST (it writes an audit event); everyone holds the grant here.
        _route(
            "/api/v1/members/{head}/reveal",
            method="post",
            allowed=READERS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
        ),
        _route(
            "/api/v1/households/{household}/reveal-phone",
            method="post",
            allowed=READERS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            marker="13912345678",
            shown_to=READERS_OVER_VILLAGE,
        ),
    ]


class TestRegistryApiWrites(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        # A new household in 东关村: another village or county is refused the village itself (404).
        _write(
            "/api/v1/households",
            "post",
            NEW_HOUSEHOLD,
            allowed=DIRECT_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            ok_status=201,
            statuses=BY_REQUEST,
        ),
        # The household's type needs review for a village cadre …
        _write(
            "/api/v1/households/{household}",
            "patch",
            {"household_type": "dibao", "reason": "纳入低保"},
            allowed=DIRECT_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            statuses=BY_REQUEST,
        ),
        # … its address does not.
        _write(
            "/api/v1/households/{household}",
            "patch",
            {"address": "东关村二组8号"},
            allowed=DIRECT_OVER_VILLAGE | {"village_cadre"},
            outside=OUTSIDE_VILLAGE,
        ),
        _write(
            "/api/v1/households/{household}/income",
            "put",
            INCOME,
            allowed=DIRECT_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            statuses=BY_REQUEST,
        ),
        _write(
            "/api/v1/households/{household}/indicators",
            "post",
            {"indicator": "housing_grade", "value": "C", "observed_on": "2026-03-01"},
            allowed=DIRECT_OVER_VILLAGE | {"village_cadre"},
            outside=OUTSIDE_VILLAGE,
            ok_status=201,
        ),
        _write(
            "/api/v1/households/{household}/members",
            "post",
            NEW_MEMBER,
            allowed=DIRECT_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            ok_status=201,
            statuses=BY_REQUEST,
        ),
        # A name is identity (review for the village); health is a detail it records itself.
        _write(
            "/api/v1/members/{member}",
            "patch",
            {"name": "东关戊", "reason": "更正姓名"},
            allowed=DIRECT_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            statuses=BY_REQUEST,
        ),
        _write(
            "/api/v1/members/{member}",
            "patch",
            {"health": "chronic"},
            allowed=DIRECT_OVER_VILLAGE | {"village_cadre"},
            outside=OUTSIDE_VILLAGE,
        ),
        _write(
            "/api/v1/members/{member}/leave",
            "post",
            {"left_on": "2026-01-10", "left_reason": "died", "reason": "病故"},
            allowed=DIRECT_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            statuses=BY_REQUEST,
        ),
        # Reviewing: town and above over the village, never the village cadre who submitted the change.
        _review(
            "/api/v1/change-requests/{change}/approve",
            {"note": "核实无误"},
            allowed=DIRECT_OVER_VILLAGE,
            outside=frozenset({"other_county_clerk"}),
        ),
        _review(
            "/api/v1/change-requests/{change}/reject",
            {"reason": "材料不全"},
            allowed=DIRECT_OVER_VILLAGE,
            outside=frozenset({"other_county_clerk"}),
        ),
        # Withdrawing: the submitter only.
        _review(
            "/api/v1/change-requests/{change}/withdraw",
            {},
            allowed=frozenset({"village_cadre"}),
            outside=frozenset({"other_village_cadre"}),
        ),
    ]

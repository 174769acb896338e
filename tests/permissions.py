"""The reusable permission matrix (CONVENTIONS.md §19).

A test class lists its routes; ``PermissionMatrix`` then checks each route as anonymous and as every
persona: allowed personas get the route's success status, personas of the right kind but another region get
404 (another region's rows are not even revealed), everyone else gets the route's denial status, and — for
writes — nothing changes on a denial.

    class TestRegionPages(PermissionMatrix):
        routes = [Route("/regions/610902001001/", allowed=BUSINESS_OVER_VILLAGE,
                        outside=frozenset({"other_village_cadre"}))]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.accounts.models import ADMIN_ROLES, User

PERSONAS = (
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
)
# Business personas whose scope contains the village 610902001001 (东关村).
BUSINESS_OVER_VILLAGE = frozenset(
    {"city_hq", "county_clerk", "town_officer", "village_cadre", "department_user", "inspector"}
)


@dataclass(frozen=True)
class Route:
    url: str
    allowed: frozenset[str]
    outside: frozenset[str] = frozenset()
    method: str = "get"
    data: dict[str, Any] | None = None
    api: bool = False
    ok_status: int = 200
    denied_status: int = 403
    # For writes: a callable whose value must be the same before and after a denied request.
    state: Callable[[], Any] | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.url}"


def client_for(user: User) -> Client:
    """A client logged in as ``user``; admin roles also pass their TOTP second factor."""
    client = Client()
    client.force_login(user)
    if user.role in ADMIN_ROLES:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


def _request(client: Client, route: Route) -> Any:
    method = getattr(client, route.method)
    if route.api and route.method != "get":
        return method(route.url, data=route.data or {}, content_type="application/json")
    return method(route.url, data=route.data or {})


class PermissionMatrix:
    """Mixin: subclasses set ``routes``; ``pytest_generate_tests`` in tests/conftest.py parametrises them."""

    routes: ClassVar[list[Route]] = []

    def test_anonymous_is_sent_to_login(self, route: Route, regions: Any) -> None:
        before = route.state() if route.state else None
        response = _request(Client(), route)
        if route.api:
            assert response.status_code == 401, route
            assert response.json()["code"] == "unauthenticated"
        else:
            assert response.status_code == 302, route
            assert response["Location"].startswith("/accounts/login/"), route
        if route.state:
            assert route.state() == before, f"{route}: anonymous request changed data"

    @pytest.mark.parametrize("persona", PERSONAS)
    def test_persona(self, route: Route, persona: str, request: pytest.FixtureRequest) -> None:
        user: User = request.getfixturevalue(persona)
        before = route.state() if route.state else None
        response = _request(client_for(user), route)
        if persona in route.allowed:
            expected = route.ok_status
        elif persona in route.outside:
            expected = 404
        else:
            expected = route.denied_status
        assert response.status_code == expected, f"{route} as {persona}: {response.status_code} != {expected}"
        if expected != route.ok_status and route.state:
            assert route.state() == before, f"{route}: denied request as {persona} changed data"
        if route.api and expected >= 400:
            assert set(response.json()) >= {"code", "message"}, route

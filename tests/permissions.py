"""The reusable permission matrix (CONVENTIONS.md §19).

A test class lists its routes; ``PermissionMatrix`` then checks each route as anonymous and as every
persona: allowed personas get the route's success status, personas of the right kind but another region get
404 (another region's rows are not even revealed), everyone else gets the route's denial status, and — for
writes — nothing changes on a denial. API routes are also called with a bearer token by every business
persona (the answer must equal the session's) and anonymously with broken tokens (401).

    class TestRegionPages(PermissionMatrix):
        routes = [Route("/regions/610902001001/", allowed=BUSINESS_OVER_VILLAGE,
                        outside=frozenset({"other_village_cadre"}))]

Beyond statuses a route can say: ``htmx=True`` (ask for the fragment, which must repeat the page's check);
``setup`` (make the rows the route needs inside each test — a user's pk, an audit event's seq — returning the
values of the URL's ``{placeholders}``); ``marker``/``shown_to`` (text the answer shows to exactly those
personas: a list filtered by scope answers 200 to everyone and must still not reveal another region's rows);
``statuses`` (a persona's own expected status, e.g. a redirect onward).

Every subclass registers itself in ``MATRICES``; tests/test_route_coverage.py checks that every URL of the
project is in some matrix.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.accounts.models import ADMIN_ROLES, User
from bangfu.accounts.tokens import create_token

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
ALL_PERSONAS = frozenset(PERSONAS)
ADMIN_PERSONAS = frozenset({"auditor", "security_admin", "system_admin"})
BUSINESS_PERSONAS = ALL_PERSONAS - ADMIN_PERSONAS
# The village every scoped matrix route points into: 东关村 of 老城街道, 汉滨区.
VILLAGE = "610902001001"
# Business personas whose scope contains the village 610902001001 (东关村).
BUSINESS_OVER_VILLAGE = frozenset(
    {"city_hq", "county_clerk", "town_officer", "village_cadre", "department_user", "inspector"}
)
# Business personas of another village (西关村) and another county (旬阳市): 404 on the village's rows.
OUTSIDE_VILLAGE = frozenset({"other_village_cadre", "other_county_clerk"})
# Well-formed and malformed bearer tokens that belong to nobody.
BROKEN_TOKENS = ("bf_abcdefgh_" + "A" * 43, "not-a-token")
# Every PermissionMatrix subclass, in definition order (read by tests/test_route_coverage.py).
MATRICES: list[type[PermissionMatrix]] = []


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
    htmx: bool = False
    # Persona -> status where a persona's legitimate answer is neither the success nor the denial (the TOTP
    # pages send a user who has nothing to do there onward with a redirect).
    statuses: Mapping[str, int] = field(default_factory=dict, compare=False)
    # Run inside each test, after the region tree exists; returns the values of the URL's placeholders.
    setup: Callable[[], Mapping[str, object]] | None = field(default=None, compare=False)
    # Checked on 200 answers only: shown to exactly ``shown_to``.
    marker: str = ""
    shown_to: frozenset[str] = frozenset()
    # For writes: a callable whose value must be the same before and after a denied request.
    state: Callable[[], Any] | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.url}{' (htmx)' if self.htmx else ''}"

    def expected_status(self, persona: str) -> int:
        if persona in self.statuses:
            return self.statuses[persona]
        if persona in self.allowed:
            return self.ok_status
        if persona in self.outside:
            return 404
        return self.denied_status


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


def _url(route: Route) -> str:
    """The route's URL with the placeholders filled from its ``setup`` (run now, inside the test)."""
    if route.setup is None:
        return route.url
    return route.url.format_map(route.setup())


def _request(client: Client, route: Route, url: str | None = None, **headers: str) -> Any:
    method = getattr(client, route.method)
    if route.htmx:
        headers["HX-Request"] = "true"
    if route.api and route.method != "get":
        return method(
            url or route.url, data=route.data or {}, content_type="application/json", headers=headers
        )
    return method(url or route.url, data=route.data or {}, headers=headers)


def _text(route: Route, response: Any) -> str:
    """The response as text; JSON is re-dumped so that Chinese reads as itself, not as \\u escapes."""
    if route.api:
        return json.dumps(response.json(), ensure_ascii=False)
    return str(response.content.decode())


class PermissionMatrix:
    """Mixin: subclasses set ``routes``; ``pytest_generate_tests`` in tests/conftest.py parametrises them."""

    routes: ClassVar[list[Route]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for route in cls.routes:
            named = route.allowed | route.outside | route.shown_to | set(route.statuses)
            if unknown := named - ALL_PERSONAS:
                raise ValueError(f"{cls.__name__}: {route}: unknown personas {sorted(unknown)}")
            if both := route.allowed & route.outside:
                raise ValueError(f"{cls.__name__}: {route}: both allowed and outside: {sorted(both)}")
            if route.shown_to and not route.marker:
                raise ValueError(f"{cls.__name__}: {route}: shown_to without a marker")
        MATRICES.append(cls)

    def test_anonymous_is_sent_to_login(self, route: Route, regions: Any) -> None:
        url = _url(route)
        before = route.state() if route.state else None
        response = _request(Client(), route, url)
        if route.api:
            assert response.status_code == 401, route
            assert response.json()["code"] == "unauthenticated"
            # A token that belongs to nobody (or is not shaped like one) is no better than none.
            for token in BROKEN_TOKENS:
                response = _request(Client(), route, url, Authorization=f"Bearer {token}")
                assert response.status_code == 401, f"{route} with token {token!r}"
                assert response.json()["code"] == "unauthenticated"
        else:
            assert response.status_code == 302, route
            assert response["Location"].startswith("/accounts/login/"), route
        if route.state:
            assert route.state() == before, f"{route}: anonymous request changed data"

    @pytest.mark.parametrize("persona", PERSONAS)
    def test_persona(self, route: Route, persona: str, request: pytest.FixtureRequest, regions: Any) -> None:
        user: User = request.getfixturevalue(persona)
        url = _url(route)
        client = client_for(user)
        # Admin roles get no API token (三员分立: they do not use the business API); they use the session.
        token = (
            create_token(user=user, name="t", by=None).raw
            if route.api and persona in BUSINESS_PERSONAS
            else ""
        )
        before = route.state() if route.state else None
        response = _request(client, route, url)
        expected = route.expected_status(persona)
        assert response.status_code == expected, f"{route} as {persona}: {response.status_code} != {expected}"
        if expected != route.ok_status and route.state:
            assert route.state() == before, f"{route}: denied request as {persona} changed data"
        if route.api and expected >= 400:
            assert set(response.json()) >= {"code", "message"}, route
        if route.marker and expected == 200:
            shown = route.marker in _text(route, response)
            assert shown == (persona in route.shown_to), f"{route} as {persona}: marker shown is {shown}"
        if token and route.method == "get":
            by_token = _request(Client(), route, url, Authorization=f"Bearer {token}")
            assert (by_token.status_code, by_token.json()) == (response.status_code, response.json()), (
                f"{route} as {persona}: the token's answer differs from the session's"
            )
        elif token and expected != route.ok_status:
            # A write the session did not make may not be made with the token either (a write the session
            # did make could legitimately answer differently the second time).
            by_token = _request(Client(), route, url, Authorization=f"Bearer {token}")
            assert by_token.status_code == expected, f"{route} as {persona} with a token"
            if route.state:
                assert route.state() == before, (
                    f"{route}: denied request as {persona} with a token changed data"
                )

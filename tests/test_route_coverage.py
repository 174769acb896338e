"""Every URL of the project is in some permission matrix (CONVENTIONS.md §19), or is a listed public route.

The URL patterns come from Django's resolver (includes walked); the API's operations, one per path and
method, from the OpenAPI schema of ``bangfu.api.api``. A matrix route covers the pattern its URL resolves to
(for the API: that pattern with the route's method). Matrices register themselves in
``tests.permissions.MATRICES`` when their module is imported, so every test module is imported here first —
in whichever process (or xdist worker) runs this test.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

import tests
from bangfu.api import api
from tests.permissions import MATRICES, Route


@dataclass(frozen=True)
class Public:
    """A route anyone may reach without logging in: why, and what an anonymous request gets."""

    why: str
    method: str
    url: str
    status: int


# Routes anyone may reach without logging in. Nothing else may be missing from the matrices.
# (Static files are not a Django route: the web server serves them from STATIC_ROOT.)
PUBLIC_ROUTES = {
    "i18n/setlang/": Public(
        "the log-in page offers 中文/English before anyone logs in", "post", "/i18n/setlang/", 302
    ),
    "accounts/login/": Public("logging in needs no session", "get", "/accounts/login/", 200),
    "accounts/logout/": Public("without a session, log-out sends to log-in", "get", "/accounts/logout/", 302),
    "GET api/v1/health": Public(
        "liveness for load balancers: status and database vendor only", "get", "/api/v1/health", 200
    ),
    "api/v1/openapi.json": Public(
        "the API's published description, the same for everyone", "get", "/api/v1/openapi.json", 200
    ),
    "api/v1/docs": Public("browsable docs of that description (no data)", "get", "/api/v1/docs", 200),
    "api/v1/": Public(
        "django-ninja's root, there so that reverse() finds the API prefix", "get", "/api/v1/", 404
    ),
    "report/<str:code>/": Public(
        "a household reports its own difficulty through its village's QR code, without an account",
        "get",
        "/report/610902001001/",
        200,
    ),
    "report/<str:code>/done/": Public(
        "the receipt after a self-report: the village and the acceptance deadline only",
        "get",
        "/report/610902001001/done/",
        200,
    ),
    "notices/<str:code>/": Public(
        "a village's notices of monitoring objects are posted publicly (only what may be published)",
        "get",
        "/notices/610902001001/",
        200,
    ),
    "notices/<str:code>/archive/": Public(
        "closed notices stay in a public archive", "get", "/notices/610902001001/archive/", 200
    ),
    "notice/<int:pk>/": Public("one notice as posted on the village wall", "get", "/notice/1/", 404),
    "boards/<str:code>/": Public("a region's public clearance board", "get", "/boards/610902001000/", 200),
    "boards/<str:code>/poster/": Public("its wall poster", "get", "/boards/610902001001/poster/", 200),
    "^api/(?P<rest>.*)$": Public(
        "unknown paths under /api/ answer a JSON 404", "get", "/api/v2/households", 404
    ),
}

_PLACEHOLDER_VALUE = "1"  # fills a route's {placeholders} (all are pks and sequence numbers) to resolve it
_OPENAPI_PARAM = re.compile(r"\{[^}]+\}")


def _join(prefix: str, pattern: str) -> str:
    """Join routes the way ``ResolverMatch.route`` does (Django's ``URLResolver._join_route``)."""
    return prefix + pattern.removeprefix("^") if prefix else pattern


def url_patterns() -> set[str]:
    """Every URL pattern of the project, as the full route string ``ResolverMatch.route`` reports."""
    found: set[str] = set()

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            route = _join(prefix, str(entry.pattern))
            if isinstance(entry, URLResolver):
                walk(entry, route)
            elif isinstance(entry, URLPattern):
                found.add(route)

    walk(get_resolver(), "")
    return found


def api_operations() -> dict[str, str]:
    """``"METHOD route"`` -> URL pattern route, for every operation of the API's OpenAPI schema."""
    operations = {}
    for path, methods in api.get_openapi_schema()["paths"].items():
        route = resolve(_OPENAPI_PARAM.sub(_PLACEHOLDER_VALUE, path)).route
        for method in methods:
            operations[f"{method.upper()} {route}"] = route
    return operations


def required_keys() -> set[str]:
    """What the matrices must cover: each page pattern, and each API operation (path and method)."""
    operations = api_operations()
    return (url_patterns() - set(operations.values())) | set(operations)


def route_key(route: Route) -> str:
    path = urlsplit(route.url.format_map(defaultdict(lambda: _PLACEHOLDER_VALUE))).path
    pattern = resolve(path).route
    return f"{route.method.upper()} {pattern}" if route.api else pattern


def load_matrices() -> None:
    """Import every test module below tests/ (pytest has already imported those it collected; the rest
    register their matrices now)."""
    for module in pkgutil.walk_packages(tests.__path__, prefix="tests."):
        if module.name.rsplit(".", 1)[-1].startswith("test_"):
            importlib.import_module(module.name)


def covered_keys() -> dict[str, list[str]]:
    load_matrices()
    covered: dict[str, list[str]] = defaultdict(list)
    for matrix in MATRICES:
        for route in matrix.routes:
            covered[route_key(route)].append(f"{matrix.__module__}.{matrix.__qualname__}: {route}")
    return covered


def test_every_route_is_in_a_permission_matrix_or_public() -> None:
    covered = covered_keys()
    uncovered = sorted(required_keys() - covered.keys() - PUBLIC_ROUTES.keys())
    assert uncovered == [], "Routes in no permission matrix (tests/permissions.py):\n" + "\n".join(
        key if " " in key else f"/{key}" for key in uncovered
    )


def test_every_matrix_route_of_the_api_is_marked_and_real() -> None:
    """An API route with a typo would resolve to the catch-all JSON 404, and one not marked ``api=True``
    would skip the token and JSON checks: either covers nothing."""
    operations = api_operations()
    load_matrices()
    strays = []
    for matrix in MATRICES:
        for route in matrix.routes:
            key = route_key(route)
            if (key not in operations) if route.api else (key in operations.values()):
                strays.append(f"{matrix.__qualname__}: {route}")
    assert strays == []


def test_public_routes_are_real_and_in_no_matrix() -> None:
    """The allow-list names existing routes only, and none that a matrix already checks (then it is not
    public after all, or the list is stale)."""
    required = required_keys()
    assert sorted(PUBLIC_ROUTES.keys() - required) == []
    assert sorted(PUBLIC_ROUTES.keys() & covered_keys().keys()) == []


@pytest.mark.parametrize("key", sorted(PUBLIC_ROUTES))
def test_a_public_route_answers_an_anonymous_visitor(
    key: str, client: Client, regions: dict[str, object]
) -> None:
    public = PUBLIC_ROUTES[key]
    response = getattr(client, public.method)(public.url)
    assert response.status_code == public.status, key
    assert resolve(public.url).route == key.removeprefix("GET ")

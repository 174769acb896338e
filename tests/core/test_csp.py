"""Strict Content-Security-Policy, and nothing in what we ship that would need it loosened.

Three layers: every page's response carries the policy; every template and static file we ship is free of
remote URLs, inline scripts, style attributes and inline event handlers; the vendored files are exactly the
ones recorded in vendor/manifest.json, each with its licence.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.http import HttpResponseBase
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from bangfu.accounts.models import User
from bangfu.settings import PACKAGE_DIR
from tests.permissions import client_for

STATIC_DIR = PACKAGE_DIR / "static"
VENDOR_DIR = STATIC_DIR / "vendor"


def _directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict_csp(response: HttpResponseBase, what: str) -> None:
    header = response.get("Content-Security-Policy")
    assert header, f"{what}: no Content-Security-Policy header"
    directives = _directives(header)
    assert directives["default-src"] == ["'self'"], what
    assert directives["script-src"] == ["'self'"], what
    assert directives["style-src"] == ["'self'"], what
    assert directives["object-src"] == ["'none'"], what
    assert directives["frame-ancestors"] == ["'none'"], what
    assert "'unsafe-inline'" not in header, what
    assert "'unsafe-eval'" not in header, what


def _url_names(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _url_names(pattern.url_patterns, namespace)
        elif pattern.name:
            yield f"{prefix}{pattern.name}"


def _pages_without_arguments() -> list[str]:
    """The URL of every named page that takes no argument (the JSON API has its own tests)."""
    urls = set()
    for name in _url_names(get_resolver().url_patterns):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if not url.startswith("/api/"):
            urls.add(url)
    return sorted(urls)


def test_every_page_without_arguments_sends_the_strict_policy(village_cadre: User) -> None:
    pages = _pages_without_arguments()
    assert "/" in pages
    for client_name, client in (("anonymous", Client()), ("cadre", client_for(village_cadre))):
        # A page that fails still answers through the 500 handler, and that answer needs the policy too.
        client.raise_request_exception = False
        for url in pages:
            assert_strict_csp(client.get(url), f"GET {url} as {client_name}")


@pytest.mark.django_db
def test_not_found_page_sends_the_strict_policy() -> None:
    assert_strict_csp(Client().get("/no-such-page/"), "404 page")


# --- what we ship -----------------------------------------------------------------------------------------

REMOTE_ATTRIBUTE = re.compile(
    r"""\b(?:src|href|action|formaction|poster|srcset|data|manifest)\s*=\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)
REMOTE_CSS = re.compile(r"""(?:url\(\s*["']?\s*(?:https?:)?//|@import)""", re.IGNORECASE)
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*type=[\"']application/json)[^>]*>", re.IGNORECASE
)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=""", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""["']\s*javascript:""", re.IGNORECASE)
DJANGO_COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.DOTALL)


def _templates() -> list[Path]:
    """Every template shipped with the package: the project's and every app's."""
    return sorted(
        p for p in PACKAGE_DIR.rglob("templates/**/*") if p.is_file() and p.suffix in {".html", ".txt"}
    )


def _own_static_files() -> list[Path]:
    return sorted(p for p in STATIC_DIR.rglob("*") if p.is_file() and VENDOR_DIR not in p.parents)


def _vendored_code() -> list[Path]:
    return sorted(p for p in VENDOR_DIR.rglob("*") if p.suffix in {".css", ".js"})


def test_there_are_templates_and_static_files_to_check() -> None:
    names = {p.name for p in _templates()}
    assert {"base.html", "403.html", "404.html", "500.html"} <= names
    assert {p.name for p in _own_static_files()} >= {"bangfu.css", "bangfu.js"}
    assert {p.name for p in _vendored_code()} == {
        "bootstrap.min.css",
        "bootstrap.bundle.min.js",
        "htmx.min.js",
        "echarts.min.js",
    }


@pytest.mark.parametrize("template", _templates(), ids=lambda p: p.relative_to(PACKAGE_DIR).as_posix())
def test_template_has_no_remote_url_inline_script_or_inline_style(template: Path) -> None:
    text = DJANGO_COMMENT.sub("", template.read_text(encoding="utf-8"))
    assert REMOTE_ATTRIBUTE.findall(text) == []
    assert REMOTE_CSS.findall(text) == []
    assert INLINE_SCRIPT.findall(text) == []
    assert STYLE_ELEMENT.findall(text) == []
    assert STYLE_ATTRIBUTE.findall(text) == []
    assert EVENT_HANDLER.findall(text) == []
    assert JAVASCRIPT_URL.findall(text) == []


@pytest.mark.parametrize(
    "static_file", _own_static_files(), ids=lambda p: p.relative_to(STATIC_DIR).as_posix()
)
def test_own_static_file_loads_nothing_remote(static_file: Path) -> None:
    text = static_file.read_text(encoding="utf-8")
    assert REMOTE_ATTRIBUTE.findall(text) == []
    assert REMOTE_CSS.findall(text) == []
    # The only absolute URL allowed is an XML namespace name, which nothing fetches.
    assert re.findall(r"https?://(?!www\.w3\.org/)", text) == []


@pytest.mark.parametrize("vendored", _vendored_code(), ids=lambda p: p.relative_to(VENDOR_DIR).as_posix())
def test_vendored_file_loads_no_remote_font_stylesheet_or_script(vendored: Path) -> None:
    # Vendored code mentions URLs in licence comments and SVG namespaces; what matters is what it loads.
    text = vendored.read_text(encoding="utf-8")
    assert REMOTE_CSS.findall(text) == []
    assert re.findall(r"""(?:src|href)\s*=\s*\\?["'](?:https?:)?//""", text) == []
    assert "sourceMappingURL" not in text


def test_vendored_files_match_the_manifest_and_carry_their_licences() -> None:
    manifest = json.loads((VENDOR_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert {name: entry["version"] for name, entry in manifest.items()} == {
        "bootstrap": "5.3.9",
        "htmx": "2.0.11",
        "echarts": "6.1.0",
    }
    listed = {"manifest.json"}
    for directory, entry in manifest.items():
        for name, digest in entry["files"].items():
            assert hashlib.sha256((VENDOR_DIR / directory / name).read_bytes()).hexdigest() == digest, name
            listed.add(f"{directory}/{name}")
        assert entry["licence_files"], directory
        for name in entry["licence_files"]:
            assert (VENDOR_DIR / directory / name).stat().st_size > 100, name
            listed.add(f"{directory}/{name}")
    shipped = {p.relative_to(VENDOR_DIR).as_posix() for p in VENDOR_DIR.rglob("*") if p.is_file()}
    assert shipped == listed


# --- what a browser receives ------------------------------------------------------------------------------


class _PageAudit(HTMLParser):
    """Collects what a strict CSP would refuse, and every URL the page loads or links to."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.refused.append(f"{tag} {name}={value}")
            if name in {"src", "href", "action"} and value is not None:
                self.urls.append(value)
        if tag == "style":
            self.refused.append("style element")
        if tag == "script" and "src" not in attributes and attributes.get("type") != "application/json":
            self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.refused.append(f"inline script {data[:40]!r}")


def test_rendered_home_page_has_nothing_the_policy_would_refuse_and_only_local_urls(
    village_cadre: User,
) -> None:
    audit = _PageAudit()
    audit.feed(client_for(village_cadre).get("/").content.decode())
    assert audit.refused == []
    assert audit.urls
    assert [url for url in audit.urls if not url.startswith(("/", "#"))] == []
    static = [url.removeprefix("/static/") for url in audit.urls if url.startswith("/static/")]
    assert sorted(static) == [
        "css/bangfu.css",
        "favicon.svg",
        "js/bangfu.js",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/htmx/htmx.min.js",
    ]
    assert all(finders.find(path) for path in static)

"""The page shell: Chinese by default, English through Django i18n, user box, messages, htmx settings."""

from __future__ import annotations

import gettext
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.template.base import Node
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.test import Client
from django.urls import path

from bangfu.accounts.models import User
from bangfu.settings import PACKAGE_DIR
from bangfu.urls import urlpatterns as site_urlpatterns
from tests.permissions import client_for


def page_title(html: str) -> str:
    """The title as a browser shows it: whitespace collapsed (templates put blocks on their own lines)."""
    match = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    assert match is not None
    return " ".join(match.group(1).split())


TEMPLATES_DIR = PACKAGE_DIR / "templates"
ENGLISH_PO = PACKAGE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"
ENGLISH_MO = ENGLISH_PO.with_suffix(".mo")


def _with_messages(request: HttpRequest) -> HttpResponse:
    messages.error(request, "保存失败：第3行“证件号码”校验位不正确。")
    messages.success(request, "已保存。")
    page = engines["django"].from_string('{% extends "base.html" %}{% block title %}消息{% endblock %}')
    return HttpResponse(page.render(request=request))


# The real site plus one page that adds messages (used with @pytest.mark.urls(__name__)).
urlpatterns = [*site_urlpatterns, path("_messages/", _with_messages)]


@pytest.mark.django_db
def test_home_sends_anonymous_visitor_to_login() -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_home_renders_the_chinese_shell_for_a_village_cadre(village_cadre: User) -> None:
    response = client_for(village_cadre).get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert page_title(html) == "首页 · 帮扶"
    assert '<a class="navbar-brand fw-semibold" href="/">帮扶</a>' in html
    assert '<span class="fw-semibold" data-testid="user-name">village_cadre</span>' in html
    assert '<span class="badge text-bg-light" data-testid="user-role">驻村工作队</span>' in html
    assert '<span data-testid="user-region">东关村</span>' in html
    assert "走访农户、入户核查，登记进展和佐证材料，受理农户申报。" in html
    scope_path = html.split('data-testid="scope-path">', 1)[1].split("</ol>", 1)[0]
    names = [re.sub(r"<[^>]+>|\s+", "", item) for item in scope_path.split("</li>")[:-1]]
    assert names == ["陕西省", "安康市", "汉滨区", "老城街道", "东关村"]
    # Above the cadre's scope the path is plain text (those pages would answer 404); their village is a link.
    assert '<a href="/regions/610902001001/">东关村</a>' in scope_path
    assert '<a href="/regions/610902001000/">' not in scope_path


def test_logout_is_a_post_form_with_csrf_token(village_cadre: User) -> None:
    html = client_for(village_cadre).get("/").content.decode()
    form = html.split('<form method="post" action="/accounts/logout/">', 1)[1].split("</form>", 1)[0]
    assert 'name="csrfmiddlewaretoken"' in form
    assert '<button type="submit" class="dropdown-item">退出登录</button>' in form


def test_auditor_home_shows_role_and_no_scope_region(auditor: User) -> None:
    html = client_for(auditor).get("/").content.decode()
    assert '<span class="badge text-bg-light" data-testid="user-role">审计员</span>' in html
    assert 'data-testid="user-region"' not in html
    assert 'data-testid="scope-path"' not in html
    assert "查阅和核验审计日志。审计员不能查看业务数据，也不能管理用户。" in html


def test_shell_renders_in_english_when_the_language_cookie_says_so(village_cadre: User) -> None:
    client = client_for(village_cadre)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert page_title(html) == "Home · Bangfu"
    assert 'data-testid="user-role">Village work team</span>' in html
    assert '<button type="submit" class="dropdown-item">Log out</button>' in html
    assert "退出登录" not in html


def test_language_switch_posts_to_set_language_and_remembers_the_choice(village_cadre: User) -> None:
    client = client_for(village_cadre)
    html = client.get("/").content.decode()
    assert '<form action="/i18n/setlang/"' in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_body_sends_the_csrf_token_with_every_htmx_request(village_cadre: User) -> None:
    html = client_for(village_cadre).get("/").content.decode()
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[A-Za-z0-9]{64}\"\}'", html)


def test_htmx_injects_no_style_and_keeps_no_page_copies_in_the_browser(village_cadre: User) -> None:
    html = client_for(village_cadre).get("/").content.decode()
    content = re.search(r'<meta name="htmx-config"\s+content=\'([^\']*)\'>', html)
    assert content is not None
    assert json.loads(content.group(1)) == {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "historyCacheSize": 0,
        "refreshOnHistoryMiss": True,
    }


@pytest.mark.urls(__name__)
def test_messages_are_shown_as_alerts_with_their_level(village_cadre: User) -> None:
    html = client_for(village_cadre).get("/_messages/").content.decode()
    alert = r'<div class="alert (alert-\w+) alert-dismissible fade show"\s+role="(\w+)">\s*([^<]*?)\s*<'
    alerts = re.findall(alert, html)
    assert alerts == [
        ("alert-danger", "alert", "保存失败：第3行“证件号码”校验位不正确。"),
        ("alert-success", "status", "已保存。"),
    ]


# --- translations -------------------------------------------------------------------------------------------


def _po_entries(path: Path) -> dict[str | tuple[str, int], str]:
    """msgid -> msgstr of the translated, non-fuzzy entries of a .po file as makemessages writes it.

    Keys follow ``GNUTranslations``: a context is joined to its msgid by ``\\x04`` and each plural form is
    keyed ``(msgid, index)``.
    """
    entries: dict[str | tuple[str, int], str] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        if any(line.startswith("#,") and "fuzzy" in line for line in lines):
            continue
        fields: dict[str, str] = {}
        current = ""
        for line in lines:
            if line.startswith(("msgid ", "msgstr", "msgctxt ", "msgid_plural ")):
                current, _, rest = line.partition(" ")
                fields[current] = json.loads(rest)
            elif line.startswith('"') and current:
                fields[current] += json.loads(line)
        if not fields.get("msgid"):
            continue
        key = f"{fields['msgctxt']}\x04{fields['msgid']}" if "msgctxt" in fields else fields["msgid"]
        if "msgid_plural" in fields:
            forms = {int(name[7:-1]): text for name, text in fields.items() if name.startswith("msgstr[")}
            if all(forms.values()):
                entries.update({(key, index): text for index, text in forms.items()})
        elif fields.get("msgstr"):
            entries[key] = fields["msgstr"]
    return entries


def _template_msgids(node_list: list[Node]) -> set[str]:
    found: set[str] = set()
    for node in node_list:
        if isinstance(node, TranslateNode):
            literal = getattr(node.filter_expression.var, "literal", None)
            if isinstance(literal, str):  # {% translate some_variable %} has no msgid of its own
                found.add(literal)
        elif isinstance(node, BlockTranslateNode):
            found.add(node.render_token_list(node.singular)[0])
        for attribute in node.child_nodelists:
            found |= _template_msgids(getattr(node, attribute, None) or [])
    return found


def test_compiled_english_catalogue_matches_the_po_file() -> None:
    with ENGLISH_MO.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    catalogue = {key: value for key, value in compiled._catalog.items() if key}  # type: ignore[attr-defined]
    assert catalogue == _po_entries(ENGLISH_PO)


SHELL_TEMPLATES = sorted(p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATES_DIR.rglob("*.html"))


@pytest.mark.parametrize("template_path", SHELL_TEMPLATES)
def test_every_string_of_the_shell_templates_has_an_english_translation(template_path: str) -> None:
    template = engines["django"].engine.get_template(template_path)
    msgids = _template_msgids(template.nodelist)
    translated = _po_entries(ENGLISH_PO)
    assert sorted(msgid for msgid in msgids if msgid not in translated) == []

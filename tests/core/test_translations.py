"""The English translation: every string translated, placeholders kept, and English pages free of Chinese.

Chinese (zh-Hans) is the source language; English comes only through the language cookie. The catalogue is
read straight from the committed .po file (no polib on a fresh machine); the sources are scanned with ``ast``
and Django's ``templatize``, so a string added without ``makemessages`` and a translation fails here.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize

from bangfu.accounts.models import Role, Sector, User
from bangfu.accounts.navigation import ACCOUNT_ITEMS, NAV_ITEMS, ROLE_DUTIES
from bangfu.audit.models import Action
from bangfu.policy.catalogue import CATALOGUE, DAY_UNIT_LABELS, KEYS, SHAPE_LABELS
from bangfu.regions.codes import Level
from bangfu.settings import PACKAGE_DIR
from tests.conftest import REGION_TREE
from tests.permissions import client_for

ENGLISH_PO = PACKAGE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"

# CJK punctuation, ideographs, compatibility ideographs and full-width forms (，：（） are full-width).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")
# Placeholders a translation must carry over unchanged: %(name)s, %s/%d, a literal %% and {name}.
PLACEHOLDER = re.compile(r"%\(\w+\)[a-z]|%[sd]|%%|\{\w*\}")
# Functions xgettext collects for Python (Django's keywords); value: index of the context argument or None.
GETTEXT_FUNCTIONS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": None,
    "ngettext_lazy": None,
    "pgettext": 0,
    "pgettext_lazy": 0,
    "npgettext": 0,
    "npgettext_lazy": 0,
}


@dataclass(frozen=True)
class PoEntry:
    context: str
    msgid: str
    msgstrs: tuple[str, ...]  # msgstr, or msgstr[0], msgstr[1]... of a plural entry
    flags: frozenset[str]


def read_po(path: Path) -> list[PoEntry]:
    """The live entries of a .po file as makemessages writes it (no header, no obsolete ``#~`` entries)."""
    entries: list[PoEntry] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        flags: set[str] = set()
        fields: dict[str, str] = {}
        current = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue  # locations, translator comments, previous msgids and obsolete entries
            elif line.startswith('"'):
                fields[current] += json.loads(line)
            else:
                current, _, literal = line.partition(" ")
                fields[current] = json.loads(literal)
        if fields.get("msgid"):
            msgstrs = tuple(value for key, value in sorted(fields.items()) if key.startswith("msgstr"))
            entries.append(PoEntry(fields.get("msgctxt", ""), fields["msgid"], msgstrs, frozenset(flags)))
    return entries


ENTRIES = read_po(ENGLISH_PO)
CATALOGUE_KEYS = {(entry.context, entry.msgid) for entry in ENTRIES}


def _msgid_of(call: ast.Call) -> tuple[str, str] | None:
    """(context, msgid) of a gettext call with literal arguments; None for any other call."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    if name not in GETTEXT_FUNCTIONS:
        return None
    context_at = GETTEXT_FUNCTIONS[name]
    msgid_at = 0 if context_at is None else 1
    args = [arg.value if isinstance(arg, ast.Constant) else None for arg in call.args]
    if len(args) <= msgid_at or not isinstance(args[msgid_at], str):
        return None  # gettext(variable) carries no msgid of its own
    context = args[context_at] if context_at is not None else ""
    return str(context), str(args[msgid_at])


def _python_msgids() -> set[tuple[str, str]]:
    """(context, msgid) of every gettext call in the package's Python source."""
    found: set[tuple[str, str]] = set()
    for path in PACKAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and (key := _msgid_of(node)) is not None:
                found.add(key)
    return found


CALL_START = re.compile(r"\b(?:" + "|".join(GETTEXT_FUNCTIONS) + r")\(")


def _template_msgids(path: Path) -> set[tuple[str, str]]:
    """(context, msgid) of a template's strings, found the way makemessages finds them.

    ``templatize`` turns the template into the text makemessages hands to xgettext: every translate tag,
    blocktranslate (trimmed or not, with context or plural) and ``_()`` literal becomes a gettext call,
    everything else filler. Each call is cut out at the first closing parenthesis that makes it parse.
    """
    text = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found: set[tuple[str, str]] = set()
    for match in CALL_START.finditer(text):
        end = match.end()
        while (end := text.find(")", end) + 1) > 0:
            try:
                call = ast.parse(text[match.start() : end], mode="eval").body
            except SyntaxError:
                continue
            if isinstance(call, ast.Call) and (key := _msgid_of(call)) is not None:
                found.add(key)
            break
    return found


TEMPLATES = sorted(
    path.relative_to(PACKAGE_DIR).as_posix() for path in PACKAGE_DIR.glob("**/templates/**/*.html")
)


# --- the catalogue ------------------------------------------------------------------------------------------


def test_the_catalogue_is_not_empty_and_reads_as_makemessages_wrote_it() -> None:
    assert len(ENTRIES) > 400
    assert len(CATALOGUE_KEYS) == len(ENTRIES)  # no msgid appears twice


def test_every_message_has_an_english_translation() -> None:
    untranslated = [entry.msgid for entry in ENTRIES if not entry.msgstrs or not all(entry.msgstrs)]
    assert untranslated == []


def test_no_translation_is_left_fuzzy() -> None:
    assert [entry.msgid for entry in ENTRIES if "fuzzy" in entry.flags] == []


def test_translations_keep_every_placeholder_of_the_chinese_message() -> None:
    changed = [
        (entry.msgid, msgstr)
        for entry in ENTRIES
        for msgstr in entry.msgstrs
        if Counter(PLACEHOLDER.findall(entry.msgid)) != Counter(PLACEHOLDER.findall(msgstr))
    ]
    assert changed == []


def test_no_translation_contains_chinese() -> None:
    assert [
        (entry.msgid, msgstr) for entry in ENTRIES for msgstr in entry.msgstrs if CJK.search(msgstr)
    ] == []


def test_every_gettext_string_in_the_python_source_is_in_the_catalogue() -> None:
    assert sorted(_python_msgids() - CATALOGUE_KEYS) == []


def test_the_source_scanners_find_what_makemessages_finds() -> None:
    login = _template_msgids(PACKAGE_DIR / "accounts/templates/accounts/login.html")
    assert login == {
        ("", "登录"),
        ("", "登录帮扶平台"),
        ("", "连续输错密码%(limit)s次，账号将锁定%(minutes)s分钟。忘记密码请联系安全管理员重置。"),
    }
    assert ("", "系统预置") in _template_msgids(PACKAGE_DIR / "policy/templates/policy/policy_history.html")
    python = _python_msgids()
    assert {("", "驻村工作队"), ("", "%(what)s必须是%(bounds)s的整数，收到“%(raw)s”。")} <= python
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("template_path", TEMPLATES)
def test_every_translated_string_of_a_template_is_in_the_catalogue(template_path: str) -> None:
    msgids = _template_msgids(PACKAGE_DIR / template_path)
    assert sorted(msgids - CATALOGUE_KEYS) == []


def test_domain_names_use_the_glossary_terms_in_english() -> None:
    with translation.override("en"):
        assert str(Role.VILLAGE_TEAM.label) == "Village work team"
        assert str(Role.CITY_HQ.label) == "City headquarters"
        assert str(Role.SECURITY_ADMIN.label) == "Security administrator"
        assert str(Sector.MEDICAL_INSURANCE.label) == "Medical insurance"
        assert str(Action.LOGIN.label) == "Log in"
        assert str(Action.REVEAL.label) == "View full personal data"
        assert str(Level.VILLAGE.label) == "Village"
        assert str(DAY_UNIT_LABELS[next(iter(DAY_UNIT_LABELS))]) == "Calendar days"


def test_every_label_the_code_defines_reads_in_english() -> None:
    labels = [
        *Role.labels,
        *Sector.labels,
        *Action.labels,
        *Level.labels,
        *SHAPE_LABELS.values(),
        *DAY_UNIT_LABELS.values(),
        *(item.label for item in (*NAV_ITEMS, *ACCOUNT_ITEMS)),
        *ROLE_DUTIES.values(),
        *(
            text
            for spec in CATALOGUE
            for text in (spec.label, spec.description, spec.unit)
            if text is not None
        ),
    ]
    with translation.override("en"):
        chinese = [str(label) for label in labels if not str(label) or CJK.search(str(label))]
    assert chinese == []


# --- what an English user sees ------------------------------------------------------------------------------

# The language switch names Chinese in Chinese on purpose: that is how a Chinese user finds the way back.
CHINESE_OPTION = re.compile(r'<option value="zh-hans"\s+lang="zh-hans"\s*>简体中文</option>')


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _visible_chinese(html: str) -> list[str]:
    """CJK runs left in a page once the region names of the test data and the language option are removed."""
    html = CHINESE_OPTION.sub("", html)
    for _code, name in REGION_TREE:
        html = html.replace(name, "")
    return sorted(set(CJK.findall(html)))


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    assert match is not None
    return " ".join(match.group(1).split())


@pytest.mark.django_db
def test_login_page_is_entirely_english_with_the_language_cookie() -> None:
    response = _english(Client()).get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert _title(html) == "Log in · Bangfu"
    assert '<h1 class="h4 card-title mb-3">Log in to Bangfu</h1>' in html
    assert '<label class="form-label" for="id_username">Username</label>' in html
    assert '<label class="form-label" for="id_password">Password</label>' in html
    assert '<button type="submit" class="btn btn-primary w-100">Log in</button>' in html
    assert (
        "After 5 wrong passwords in a row, the account is locked for 15 minutes. "
        "If you forget your password, ask the security administrator to reset it."
    ) in html
    assert CHINESE_OPTION.search(html) is not None
    assert _visible_chinese(html) == []


@pytest.mark.django_db
def test_wrong_password_is_explained_in_english(village_cadre: User) -> None:
    client = _english(Client())
    response = client.post("/accounts/login/", {"username": "village_cadre", "password": "wrong-Password-1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Wrong username or password." in html
    assert "用户名或密码错误" not in html
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("city_hq", "/"),
        ("county_clerk", "/"),
        ("department_user", "/"),
        ("town_officer", "/"),
        ("village_cadre", "/"),
        ("inspector", "/"),
        ("auditor", "/"),
        ("security_admin", "/"),
        ("system_admin", "/"),
        ("village_cadre", "/accounts/password/"),
        ("county_clerk", "/regions/610902000000/"),
        ("security_admin", "/accounts/users/"),
        ("security_admin", "/accounts/users/new/"),
        ("system_admin", "/accounts/system/"),
        ("system_admin", "/policy/calendar/"),
        ("system_admin", "/policy/calendar/new/"),
        ("auditor", "/audit/"),
        ("auditor", "/audit/verify/"),
    ],
)
def test_page_shows_no_chinese_interface_text_in_english(
    persona: str, url: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    response = _english(client_for(user)).get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert _visible_chinese(html) == []


def test_counts_read_as_english_singular_and_plural() -> None:
    months = KEYS["elimination.min_stable_months"]
    deadline = KEYS["deadline.identification"]
    with translation.override("en"):
        assert [months.display(1), months.display(6)] == ["1 month", "6 months"]
        assert [deadline.display({"days": n, "unit": "working"}) for n in (1, 15)] == [
            "1 working day",
            "15 working days",
        ]
    assert [months.display(1), months.display(6)] == ["1 个月", "6 个月"]  # Chinese has one form


@pytest.mark.django_db
def test_debug_mode_reads_off_in_english_not_close(system_admin: User) -> None:
    # "关闭" is both the close button and the off status; the status carries the context "状态".
    html = _english(client_for(system_admin)).get("/accounts/system/").content.decode()
    assert re.search(r'<th scope="row">Debug mode</th>\s*<td>\s*Off\s*</td>', html) is not None
    assert 'aria-label="Close"' in html

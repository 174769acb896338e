"""The auditor screen: only the auditor reaches it; filters return exact sets; pages are keyset-paginated."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.audit import events
from bangfu.audit.models import AuditEvent
from bangfu.audit.views import PAGE_SIZE
from tests.permissions import PermissionMatrix, Route, client_for

pytestmark = pytest.mark.django_db

AUDITOR_ONLY = frozenset({"auditor"})
# Tests tamper with rows through raw SQL; the table name is ours, not input (hence the S608 waivers).
TABLE = AuditEvent._meta.db_table


def audit_count() -> int:
    return AuditEvent.objects.count()


class TestAuditorScreenPermissions(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route("/audit/", allowed=AUDITOR_ONLY),
        Route("/audit/?action=security&user=security_admin", allowed=AUDITOR_ONLY),
        Route("/audit/verify/", allowed=AUDITOR_ONLY),
        Route("/audit/verify/", allowed=AUDITOR_ONLY, method="post"),
        Route("/audit/export/", allowed=AUDITOR_ONLY, state=audit_count),
    ]


@pytest.fixture
def auditor_client(auditor: User) -> Client:
    return client_for(auditor)


def seqs(response: Any) -> list[int]:
    return [event.seq for event in response.context["events"]]


def set_created_at(seq: int, when: datetime) -> None:
    """Move an event in time for a date-filter test (rows are append-only, hence raw SQL)."""
    with connection.cursor() as cursor:
        value = connection.ops.adapt_datetimefield_value(when)
        cursor.execute(f"UPDATE {TABLE} SET created_at = %s WHERE seq = %s", [value, seq])  # noqa: S608


# --- who may see it -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["security_admin", "system_admin", "city_hq", "county_clerk", "village_cadre", "inspector"]
)
def test_event_detail_is_refused_to_everyone_but_the_auditor(
    persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    event = events.login(user=user, request=None)

    assert client_for(user).get(f"/audit/{event.seq}/").status_code == 403


def test_anonymous_visitor_is_sent_to_login_from_the_detail(village_cadre: User) -> None:
    event = events.login(user=village_cadre, request=None)

    response = Client().get(f"/audit/{event.seq}/")

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/audit/{event.seq}/"


def test_auditor_sees_the_security_admins_actions(
    auditor_client: Client, security_admin: User, village_cadre: User
) -> None:
    event = events.security(actor=security_admin, action="role_changed", obj=village_cadre, detail={})

    response = auditor_client.get("/audit/")

    assert response.status_code == 200
    assert seqs(response) == [event.seq]
    assert "role_changed" in response.content.decode()


def test_missing_event_is_404_for_the_auditor(auditor_client: Client) -> None:
    assert auditor_client.get("/audit/999/").status_code == 404


# --- filters ------------------------------------------------------------------------------------------------


@pytest.fixture
def mixed_events(
    security_admin: User, village_cadre: User, county_clerk: User, other_county_clerk: User
) -> None:
    """1 cadre login · 2 admin's security event on the cadre · 3 other clerk login · 4 clerk export ·
    5 failed login as the cadre."""
    events.login(user=village_cadre, request=None)
    events.security(actor=security_admin, action="role_changed", obj=village_cadre, detail={})
    events.login(user=other_county_clerk, request=None)
    events.exported(actor=county_clerk, what="registry.household", count=3, region_code="610902")
    events.login_failed(username="village_cadre", request=None, reason="bad_credentials")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [5, 4, 3, 2, 1]),
        ("user=village_cadre", [5, 1]),
        ("user=security_admin", [2]),
        ("action=login", [3, 1]),
        ("action=login_failed", [5]),
        ("action=security", [2]),
        ("object_type=accounts.user", [2]),
        ("region=610902", [4, 2, 1]),
        ("region=610981", [3]),
        ("region=610902001001", [2, 1]),
        ("user=village_cadre&action=login", [1]),
        ("user=nobody", []),
    ],
)
def test_filters_return_exactly_the_matching_events(
    auditor_client: Client, mixed_events: None, query: str, expected: list[int]
) -> None:
    response = auditor_client.get(f"/audit/?{query}")

    assert response.status_code == 200
    assert seqs(response) == expected


def test_filter_by_object_id(auditor_client: Client, mixed_events: None, village_cadre: User) -> None:
    response = auditor_client.get(f"/audit/?object_type=accounts.user&object_id={village_cadre.pk}")

    assert seqs(response) == [2]


def test_date_range_takes_whole_local_days(auditor_client: Client, mixed_events: None) -> None:
    tz = timezone.get_current_timezone()
    set_created_at(1, datetime(2026, 3, 1, 0, 0, tzinfo=tz))
    set_created_at(2, datetime(2026, 3, 2, 23, 59, 59, tzinfo=tz))
    set_created_at(3, datetime(2026, 3, 3, 0, 0, tzinfo=tz))

    response = auditor_client.get("/audit/?date_from=2026-03-01&date_to=2026-03-02")
    only_from = auditor_client.get("/audit/?date_from=2026-03-03&action=login")

    assert seqs(response) == [2, 1]
    assert seqs(only_from) == [3]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-03-05&date_to=2026-03-01", "结束日期：结束日期不能早于开始日期"),
        ("region=61x9", "区划代码：区划代码应为1至12位数字（可填前缀，如 610902）"),
        ("date_from=yesterday", "开始日期："),
        ("action=erase", "操作类型："),
        ("before=abc", "筛选条件有误"),
        ("before=99999999999999999999", "筛选条件有误"),
        ("date_to=9999-12-31", "结束日期：“结束日期”必须在 2000-01-01 至 2100-12-31 之间，收到 9999-12-31。"),
        (
            "date_from=0001-01-01",
            "开始日期：“开始日期”必须在 2000-01-01 至 2100-12-31 之间，收到 0001-01-01。",
        ),
        ("date_from=1999-12-31&date_to=2101-01-01", "“开始日期”必须在 2000-01-01 至 2100-12-31 之间"),
    ],
)
def test_bad_filter_input_names_the_field_and_shows_no_rows(
    auditor_client: Client, mixed_events: None, query: str, message: str
) -> None:
    page = auditor_client.get(f"/audit/?{query}")
    rows = auditor_client.get(f"/audit/?{query}", headers={"HX-Request": "true"})

    assert page.status_code == rows.status_code == 200
    assert seqs(page) == []
    assert message in page.content.decode()
    assert message in rows.content.decode()
    assert "data-seq" not in rows.content.decode()


# --- pages --------------------------------------------------------------------------------------------------


def test_pages_follow_seq_downwards_without_offset(auditor_client: Client, village_cadre: User) -> None:
    for _ in range(PAGE_SIZE + 5):
        events.login(user=village_cadre, request=None)

    with CaptureQueriesContext(connection) as first_queries:
        first = auditor_client.get("/audit/?action=login")
    # Read now: the next request resets the connection's query log.
    audit_sql = [q["sql"] for q in first_queries.captured_queries if AuditEvent._meta.db_table in q["sql"]]
    second = auditor_client.get("/audit/?action=login&before=6")

    assert seqs(first) == list(range(PAGE_SIZE + 5, 5, -1))
    assert first.context["next_query"] == "action=login&before=6"
    assert seqs(second) == [5, 4, 3, 2, 1]
    assert second.context["next_query"] == ""
    assert len(audit_sql) == 1
    assert "OFFSET" not in audit_sql[0].upper()


def test_htmx_filter_gets_the_results_with_an_export_link_carrying_the_filters(
    auditor_client: Client, village_cadre: User
) -> None:
    events.login(user=village_cadre, request=None)

    response = auditor_client.get("/audit/?action=login", headers={"HX-Request": "true"})

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="audit-results">')
    assert "<html" not in body
    assert 'data-seq="1"' in body
    assert 'href="/audit/export/?action=login"' in body


def test_htmx_more_gets_only_the_next_rows(auditor_client: Client, village_cadre: User) -> None:
    events.login(user=village_cadre, request=None)
    events.login(user=village_cadre, request=None)

    response = auditor_client.get("/audit/?before=2", headers={"HX-Request": "true"})

    body = response.content.decode()
    assert body.lstrip().startswith('<tr data-seq="1">')
    assert 'data-seq="2"' not in body


@pytest.mark.parametrize("count", [3, 40])
def test_list_query_count_does_not_grow_with_the_rows(
    auditor_client: Client, village_cadre: User, count: int, django_assert_max_num_queries: Any
) -> None:
    for _ in range(count):
        events.login(user=village_cadre, request=None)

    # Session, user, OTP device, the navigation's region lookups and the one page query.
    with django_assert_max_num_queries(8):
        response = auditor_client.get("/audit/")

    assert len(seqs(response)) == count


# --- detail, verify, export ---------------------------------------------------------------------------------


def test_detail_shows_the_masked_before_and_after(auditor_client: Client, county_clerk: User) -> None:
    before = {"phone": "13812345678", "unit": "汉滨区民政局"}
    after = {"phone": "13987654321", "unit": "汉滨区民政局"}
    event = events.updated(actor=county_clerk, obj=county_clerk, before=before, after=after)

    response = auditor_client.get(f"/audit/{event.seq}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert [(row.key, row.before, row.after, row.changed) for row in response.context["diff"]] == [
        ("phone", "138****5678", "139****4321", True)
    ]
    assert "138****5678" in body
    assert "13812345678" not in body
    assert "13987654321" not in body


def test_detail_shows_choice_labels_and_field_names(
    auditor_client: Client, security_admin: User, village_cadre: User
) -> None:
    event = events.updated(
        actor=security_admin, obj=village_cadre, before={"role": "town"}, after={"role": "village_team"}
    )

    response = auditor_client.get(f"/audit/{event.seq}/")

    assert [(row.label, row.before, row.after) for row in response.context["diff"]] == [
        ("角色", "乡镇 (town)", "驻村工作队 (village_team)")
    ]


def test_verify_button_reports_a_clean_chain(auditor_client: Client, village_cadre: User) -> None:
    events.login(user=village_cadre, request=None)
    events.logout(user=village_cadre, request=None)

    response = auditor_client.post("/audit/verify/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "审计链完整：2 条" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_verify_button_reports_the_first_broken_link(auditor_client: Client, village_cadre: User) -> None:
    events.login(user=village_cadre, request=None)
    events.logout(user=village_cadre, request=None)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET ip = '1.1.1.1' WHERE seq = 2")  # noqa: S608

    response = auditor_client.post("/audit/verify/")

    body = response.content.decode()
    assert "审计链在第 2 条断开" in body
    assert "第 2 条的内容与其哈希不符（记录被修改）" in body


def test_export_streams_the_filtered_events_and_is_itself_audited(
    auditor_client: Client, auditor: User, mixed_events: None
) -> None:
    response = auditor_client.get("/audit/export/?action=login")

    text = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[0][:4] == ["序号", "时间", "操作人账号", "操作类型"]
    assert [(row[0], row[2], row[3]) for row in rows[1:]] == [
        ("3", "other_county_clerk", "登录"),
        ("1", "village_cadre", "登录"),
    ]
    export_event = AuditEvent.objects.order_by("-seq").first()
    assert export_event is not None
    assert (export_event.seq, export_event.action, export_event.actor_username) == (6, "export", "auditor")
    assert export_event.data == {"what": "audit.auditevent", "count": 2}


def test_export_neutralises_spreadsheet_formulas(auditor_client: Client) -> None:
    events.login_failed(username="=HYPERLINK(1)", request=None, reason="bad_credentials")

    response = auditor_client.get("/audit/export/")

    text = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    # No such account: the typed name is masked, and what is left still starts with "=".
    assert ",'=H**********)," in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("region=abc", "区划代码应为1至12位数字（可填前缀，如 610902）"),
        ("date_to=9999-12-31", "“结束日期”必须在 2000-01-01 至 2100-12-31 之间，收到 9999-12-31。"),
        ("date_from=0001-01-01", "“开始日期”必须在 2000-01-01 至 2100-12-31 之间，收到 0001-01-01。"),
    ],
)
def test_export_with_bad_filters_is_refused_without_an_event(
    auditor_client: Client, query: str, message: str
) -> None:
    response = auditor_client.get(f"/audit/export/?{query}")

    assert response.status_code == 400
    assert message in response.content.decode()
    assert AuditEvent.objects.count() == 0


def test_the_range_ends_are_valid_filters(auditor_client: Client, mixed_events: None) -> None:
    response = auditor_client.get("/audit/?date_from=2000-01-01&date_to=2100-12-31")

    assert seqs(response) == [5, 4, 3, 2, 1]

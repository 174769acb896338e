"""Turning pages: the case board, the town's inbox and a village's archive of notices show every row once,
the first row of the next page included (a keyset page starts after the last row shown)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from bangfu.accounts.models import User
from bangfu.monitoring import case_views, identification, lead_views, public_views
from bangfu.monitoring.models import LeadChannel, Notice, NoticeKind
from tests.factories import HouseholdFactory, MemberFactory, ensure_procedure_policy, synthetic_id_number

pytestmark = pytest.mark.django_db

OPENED = dt.date(2026, 9, 29)
VILLAGE = "610902001001"


@pytest.fixture(autouse=True)
def procedure_policy(regions: object) -> None:
    ensure_procedure_policy()


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def walk(c: Client, url: str, pattern: str) -> list[int]:
    """Every row id on every page, following the 下一页 / 更早 links."""
    seen: list[int] = []
    for _page in range(10):
        page = c.get(url).content.decode()
        seen += [int(n) for n in re.findall(pattern, page)]
        after = re.search(r'href="\?([^"]*after=\d+)"', page)
        if after is None:
            return seen
        url = url.split("?")[0] + "?" + after.group(1).replace("&amp;", "&")
    raise AssertionError("too many pages")


def test_the_case_board_pages_through_every_case_once(
    monkeypatch: pytest.MonkeyPatch, village_cadre: User, county_clerk: User
) -> None:
    monkeypatch.setattr(case_views, "PAGE", 2)
    cases = [
        identification.report_by_cadre(
            household=MemberFactory(household=HouseholdFactory()).household,
            by=village_cadre,
            on=OPENED,
            difficulty="住院",
            risk_types=["因病"],
        )
        for _n in range(5)
    ]
    assert walk(client(county_clerk), "/cases/", r'data-case="(\d+)"') == [c.pk for c in cases]


def test_the_inbox_pages_through_every_pending_lead_once(
    monkeypatch: pytest.MonkeyPatch, town_officer: User
) -> None:
    monkeypatch.setattr(lead_views, "PAGE", 2)
    leads = [
        identification.submit_self_report(
            region_code=VILLAGE,
            name=f"来电人{n}",
            phone=f"1398765432{n}",
            id_number=synthetic_id_number(birth=dt.date(1980, 1, 1 + n), sex="male", serial=11 + n),
            difficulty="家中失火",
            risk_types=[],
            on=OPENED,
            by=town_officer,
            channel=LeadChannel.HOTLINE,
        )
        for n in range(5)
    ]
    page = client(town_officer).get("/cases/leads/").content.decode()
    assert "下一页" in page
    seen = walk(client(town_officer), "/cases/leads/", r'href="/cases/leads/(\d+)/"')
    assert seen == [lead.pk for lead in leads]


def test_the_archive_of_notices_is_paged_and_shows_every_notice_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(public_views, "ARCHIVE_PAGE", 2)
    notices = [
        Notice.objects.create(
            region_code=VILLAGE,
            kind=NoticeKind.IDENTIFICATION,
            starts_on=OPENED - dt.timedelta(days=30 * n),
            ends_on=OPENED - dt.timedelta(days=30 * n - 5),
            issuer="东关村村民委员会",
        )
        for n in range(5)
    ]
    first = Client().get(f"/notices/{VILLAGE}/archive/").content.decode()
    assert len(re.findall(r'data-notice="(\d+)"', first)) == 2
    assert "更早的公示公告" in first
    seen = walk(Client(), f"/notices/{VILLAGE}/archive/", r'data-notice="(\d+)"')
    assert seen == [n.pk for n in notices]

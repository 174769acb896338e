"""The weekly clearance report on screen: a county clerk opens last week's report and ECharts draws its three
charts (colours, new and closed, a campaign's burn-down) from the page's own data, with no request to
another host and nothing blocked by the Content-Security-Policy."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from bangfu.accounts.models import User
from bangfu.rectification import reports
from bangfu.rectification.models import WeeklyReport
from tests.browser.conftest import DESKTOP
from tests.factories import TEST_PASSWORD
from tests.rectification.conftest import Clock
from tests.rectification.test_weekly_report import MONDAY, a_week, day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def test_a_county_clerk_reads_last_weeks_report_with_its_charts(
    browser: Browser,
    live_server: Any,
    clock: Any,
    town_officer: User,
    village_cadre: User,
    county_clerk: User,
) -> None:
    a_week(clock, town_officer, village_cadre, county_clerk)
    clock.set(day(7))
    reports.make_weekly_reports(week_start=MONDAY)
    report = WeeklyReport.objects.get(week="2026-W47", region_code="610902000000", sector="")

    context = browser.new_context(viewport=DESKTOP, base_url=str(live_server))
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    elsewhere: list[str] = []
    page.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith(str(live_server)) else None)
    page.goto(f"/accounts/login/?next=/rectification/reports/{report.pk}/")
    page.get_by_label("用户名").fill(county_clerk.username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("[data-report-chart]")).to_have_count(3)
    for chart in ("colours", "bars", "burndown"):
        # ECharts draws into a canvas of its own size inside each container.
        canvas = page.locator(f'[data-report-chart="{chart}"] canvas')
        expect(canvas).to_have_count(1)
        box = canvas.bounding_box()
        assert box is not None
        assert box["width"] > 100
        assert box["height"] > 100
    # Kept for a person to look at after the run (the layout is not asserted pixel by pixel).
    page.screenshot(path="/tmp/weekly-report.png", full_page=True)  # noqa: S108
    assert blocked == []
    assert elsewhere == []
    context.close()

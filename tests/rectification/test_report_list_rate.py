"""The list of weekly reports: a week with nothing assigned has no clearance rate, shown as "—" (never a
stray "null%")."""

from __future__ import annotations

import datetime as dt

import pytest

from bangfu.rectification import reports
from tests.factories import ensure_problem_categories, ensure_rectification_policy
from tests.permissions import client_for

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 16)  # 2026-W47
VILLAGE = "610902001001"


def test_a_week_with_nothing_assigned_shows_no_rate(clock, regions, village_cadre) -> None:  # type: ignore[no-untyped-def]
    ensure_rectification_policy()
    ensure_problem_categories()
    clock.set(MONDAY + dt.timedelta(days=7))
    assert reports.make_weekly_reports(week_start=MONDAY, region_codes=[VILLAGE]) == 1
    page = client_for(village_cadre).get("/rectification/reports/").content.decode()
    assert "2026-W47" in page
    assert "null" not in page
    assert '<td class="text-end">—</td>' in " ".join(page.split()).replace("> —", ">—").replace("— <", "—<")

"""Policy pages beyond tests/policy/test_views.py's matrix, with versions set for 东关村 itself: the
village's own values are shown to those whose scope holds the village or lies inside it, never to another
village or county, whose request falls back to their own region.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from bangfu.policy.models import OfficialCalendarYear, PolicyValue
from tests.permissions import BUSINESS_OVER_VILLAGE, BUSINESS_PERSONAS, VILLAGE, PermissionMatrix, Route

pytestmark = pytest.mark.django_db

CITY_HQ = frozenset({"city_hq"})
SYSTEM_ADMIN = frozenset({"system_admin"})
LINE_NOTE = "东关村专项测试依据"
HOME_CHECK_NOTE = "东关村入户核查测试依据"
PROVINCE = "61"  # 陕西省


def village_versions() -> Mapping[str, object]:
    """东关村's own monitoring line and home-check deadline (9 working days) from 2026-01-01, beside
    province-wide values (so that every persona's own region has one, whatever the seed sets)."""
    for key, prefix, value, note in (
        ("monitoring_line", PROVINCE, 7900, "省级测试依据"),
        ("deadline.home_check", PROVINCE, {"days": 5, "unit": "working"}, "省级测试依据"),
        ("monitoring_line", VILLAGE, 9100, LINE_NOTE),
        ("deadline.home_check", VILLAGE, {"days": 9, "unit": "working"}, HOME_CHECK_NOTE),
    ):
        PolicyValue.objects.create(
            key=key, region_prefix=prefix, effective_from=dt.date(2025, 6, 15), value=value, source_note=note
        )
    return {}


def policy_rows() -> list[tuple[object, ...]]:
    return list(
        PolicyValue.objects.order_by("pk").values_list("key", "region_prefix", "effective_from", "value")
    )


def calendar_rows() -> list[tuple[object, ...]]:
    return list(
        OfficialCalendarYear.objects.order_by("pk").values_list("year", "version", "holidays", "workdays")
    )


class TestPolicyScopedPages(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        # The history lists the village's version to the scopes that hold or are inside the village.
        Route(
            "/policy/monitoring_line/",
            allowed=BUSINESS_PERSONAS,
            setup=village_versions,
            marker=LINE_NOTE,
            shown_to=BUSINESS_OVER_VILLAGE,
        ),
        # The list's fragment for the village: another village or county gets its own region's values.
        Route(
            f"/policy/?region={VILLAGE}&on=2026-06-01",
            allowed=BUSINESS_PERSONAS,
            htmx=True,
            setup=village_versions,
            marker=LINE_NOTE,
            shown_to=BUSINESS_OVER_VILLAGE,
        ),
        Route("/policy/deadline.home_check/new/", allowed=CITY_HQ),
        # Writes refused to everyone but the city HQ (and for the calendar the system admin) change nothing.
        Route(
            "/policy/deadline.home_check/new/",
            method="post",
            data={
                "region_prefix": VILLAGE,
                "effective_from": "2099-01-01",  # a new version may not start in the past
                "days": "7",
                "unit": "working",
                "source_note": "矩阵测试",
            },
            allowed=CITY_HQ,
            ok_status=302,
            state=policy_rows,
        ),
        Route(
            "/policy/calendar/new/",
            method="post",
            data={"year": "2031", "holidays": "2031-01-01", "workdays": "", "source_note": "矩阵测试"},
            allowed=SYSTEM_ADMIN,
            ok_status=302,
            state=calendar_rows,
        ),
        Route("/policy/calendar/new/?year=2026", allowed=SYSTEM_ADMIN),
        Route("/policy/calendar/2031/", allowed=BUSINESS_PERSONAS | SYSTEM_ADMIN),
        # The deadline calculator's result (htmx) for the village: computed for the scopes over it and for
        # the system admin (who keeps the calendar it counts on); refused on the form for the others.
        Route(
            f"/policy/calendar/?key=deadline.home_check&start=2026-12-28&region={VILLAGE}",
            allowed=BUSINESS_PERSONAS | SYSTEM_ADMIN,
            htmx=True,
            setup=village_versions,
            marker=f"东关村（{VILLAGE}）",
            shown_to=BUSINESS_OVER_VILLAGE | SYSTEM_ADMIN,
        ),
    ]

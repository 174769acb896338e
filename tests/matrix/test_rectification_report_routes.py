"""The weekly clearance report pages and API: every business persona reads the snapshots of its scope (a
department only its sector's), an administrator none; the city and county offices correct them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from bangfu.accounts.models import Role, Sector, User
from bangfu.rectification import reports
from bangfu.rectification.models import WeeklyReport
from bangfu.regions.models import Region
from tests.factories import UserFactory, new_problem
from tests.permissions import BUSINESS_PERSONAS, VILLAGE, PermissionMatrix, Route

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 9)
COUNTY = "610902000000"
OUTSIDE = frozenset({"other_village_cadre", "other_county_clerk"})
# Who reads the village's region-wide snapshot: its scope, but not the department (sector snapshots only).
OVER_VILLAGE = BUSINESS_PERSONAS - OUTSIDE - {"department_user"}
# Who reads the county's medical-insurance snapshot.
OVER_SECTOR = frozenset({"city_hq", "county_clerk", "department_user", "inspector"})
CORRECTORS = frozenset({"city_hq", "county_clerk"})


def _snapshots() -> None:
    if WeeklyReport.objects.exists():
        return
    county = User.objects.filter(username="report_county").first() or UserFactory(
        username="report_county", role=Role.COUNTY_OFFICE, region=Region.objects.get(code=COUNTY)
    )
    new_problem(by=county, on=MONDAY)
    new_problem(
        by=county, on=MONDAY, responsible_sector=Sector.MEDICAL_INSURANCE, responsible_unit="区医保局"
    )
    reports.make_weekly_reports(week_start=MONDAY)


def village_report() -> Mapping[str, object]:
    _snapshots()
    return {"pk": WeeklyReport.objects.get(region_code=VILLAGE, sector="").pk}


def sector_report() -> Mapping[str, object]:
    _snapshots()
    return {"pk": WeeklyReport.objects.get(region_code=COUNTY, sector=Sector.MEDICAL_INSURANCE).pk}


def report_state() -> object:
    return sorted(WeeklyReport.objects.values_list("pk", "version"))


class TestWeeklyReportRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route(
            "/rectification/reports/",
            allowed=BUSINESS_PERSONAS,
            setup=village_report,
            marker="东关村",
            shown_to=OVER_VILLAGE,
        ),
        Route(
            "/rectification/reports/{pk}/",
            allowed=OVER_VILLAGE,
            outside=OUTSIDE | {"department_user"},
            setup=village_report,
            marker="东关村",
            shown_to=OVER_VILLAGE,
        ),
        Route(
            "/rectification/reports/{pk}/",
            allowed=OVER_SECTOR,
            outside=BUSINESS_PERSONAS - OVER_SECTOR,
            setup=sector_report,
        ),
        Route(
            "/rectification/reports/{pk}/print/",
            allowed=OVER_VILLAGE,
            outside=OUTSIDE | {"department_user"},
            setup=village_report,
        ),
        Route(
            "/rectification/reports/{pk}/xlsx/",
            allowed=OVER_VILLAGE,
            outside=OUTSIDE | {"department_user"},
            setup=village_report,
        ),
        Route(
            "/rectification/reports/{pk}/correct/",
            method="post",
            data={"reason": "补录"},
            allowed=CORRECTORS,
            outside=frozenset({"other_county_clerk"}),
            ok_status=302,
            setup=village_report,
            state=report_state,
        ),
        Route(
            "/api/v1/reports/weekly",
            api=True,
            allowed=BUSINESS_PERSONAS,
            setup=village_report,
            marker=f'"region_code": "{VILLAGE}"',
            shown_to=OVER_VILLAGE,
        ),
        Route(
            "/api/v1/reports/weekly/{pk}",
            api=True,
            allowed=OVER_VILLAGE,
            outside=OUTSIDE | {"department_user"},
            setup=village_report,
        ),
    ]

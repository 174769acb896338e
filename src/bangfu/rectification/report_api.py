"""The weekly clearance reports (清零周报) in the API: ``GET /api/v1/reports/weekly`` (the latest versions the
caller may read, filtered by week and region, in keyset pages by id) and ``GET /api/v1/reports/weekly/{id}``
(one snapshot, any version, with its figures). Same scope (``visible_to``) and role check as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import AuthorizationError

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.core.schemas import ErrorOut, page_by_id
from bangfu.rectification import access, reports
from bangfu.rectification.models import WeeklyReport
from bangfu.regions.scoping import get_for_user
from bangfu.registry.search import DEFAULT_LIMIT, MAX_LIMIT

router = Router(tags=["rectification"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class WeeklyReportOut(Schema):
    id: int
    week: str = Field(description="ISO 周次，如 2026-W47")
    week_start: dt.date
    week_end: dt.date
    region_code: str = Field(description="区域（12位区划代码）")
    sector: str = Field(description="责任行业部门（空：全区域）")
    version: int = Field(description="版本（更正生成新版本）")
    reason: str = Field(description="更正原因")
    generated_at: dt.datetime

    @staticmethod
    def of(report: WeeklyReport) -> dict[str, Any]:
        return {
            "id": report.pk,
            "week": report.week,
            "week_start": report.week_start,
            "week_end": report.week_end,
            "region_code": report.region_code,
            "sector": report.sector,
            "version": report.version,
            "reason": report.reason,
            "generated_at": report.generated_at,
        }


class WeeklyReportDetailOut(WeeklyReportOut):
    figures: dict[str, Any] = Field(description="周报数据（结构见 bangfu.rectification.reports 的说明）")


class WeeklyReportPage(Schema):
    items: list[WeeklyReportOut]
    next_after: int | None = Field(description="下一页：把它作为 after 传回；没有更多时为 null")


class WeeklyReportQuery(Schema):
    week: str | None = Field(None, description="ISO 周次，如 2026-W47")
    region: str | None = Field(None, description="区划代码或前缀（含下级区域）")
    after: int | None = Field(None, description="上一页的 next_after")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"每页条数（1–{MAX_LIMIT}）")


def _reader(request: HttpRequest) -> User:
    user = current_user(request)
    if user is None or not access.can_read(user):
        raise AuthorizationError(403, _("您的角色不能查看清零周报。"))
    return user


@router.get("/reports/weekly", response={200: WeeklyReportPage, **ERRORS}, summary="清零周报（最新版本）")
def list_weekly_reports(request: HttpRequest, query: Query[WeeklyReportQuery]) -> Any:
    """The latest version of each snapshot in the caller's scope (a department: its sector's)."""
    user = _reader(request)
    rows = WeeklyReport.objects.visible_to(user).latest_versions()  # type: ignore[attr-defined]
    try:
        if query.week:
            reports.parse_week(query.week)
            rows = rows.filter(week=query.week.strip().upper())
        if query.region:
            rows = rows.within(reports.report_prefix(query.region.strip()))
    except ValueError as exc:
        return Status(422, {"code": "invalid", "message": str(exc)})
    found, next_after = page_by_id(rows.defer("figures"), after=query.after, limit=query.limit)
    return {"items": [WeeklyReportOut.of(r) for r in found], "next_after": next_after}


@router.get(
    "/reports/weekly/{report_id}", response={200: WeeklyReportDetailOut, **ERRORS}, summary="一份清零周报"
)
def get_weekly_report(request: HttpRequest, report_id: int) -> Any:
    user = _reader(request)
    report = get_for_user(WeeklyReport.objects.all(), user, pk=report_id)
    return {**WeeklyReportOut.of(report), "figures": report.figures}

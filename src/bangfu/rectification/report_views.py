"""Pages of the weekly clearance report (清零周报): the list of the weeks and regions the user may read
(latest versions), one snapshot with its charts and earlier versions, its print layout and workbook, and the
correction that makes a new version. Rows come through ``WeeklyReport.objects.visible_to`` only (a
department sees its sector's snapshots); the correction goes through ``reports.correct_weekly_report``.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models.fields.json import KT
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bangfu.accounts.models import Sector, User
from bangfu.accounts.permissions import current_user
from bangfu.audit import events
from bangfu.rectification import access, reports
from bangfu.rectification.exceptions import RectificationRefused
from bangfu.rectification.models import Colour, WeeklyReport
from bangfu.regions.scoping import get_for_user

PAGE = 50


def _reader(request: HttpRequest) -> User:
    user = current_user(request, required=True)
    if not access.can_read(user):
        raise PermissionDenied(_("您的角色不能查看清零周报。"))
    return user


def _report(user: User, pk: int) -> WeeklyReport:
    return get_for_user(WeeklyReport.objects.all(), user, pk=pk)


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """The latest version of each snapshot the user may read, newest week first, filtered by week, region
    (a code prefix) and level; 50 a page."""
    user = _reader(request)
    rows = WeeklyReport.objects.visible_to(user).latest_versions()  # type: ignore[attr-defined]
    week = request.GET.get("week", "").strip().upper()
    region = request.GET.get("region", "").strip()
    level = request.GET.get("level", "")
    errors = []
    if week:
        try:
            reports.parse_week(week)
            rows = rows.filter(week=week)
        except ValueError as exc:
            errors.append(str(exc))
    if region:
        try:
            rows = rows.within(reports.report_prefix(region))
        except ValueError as exc:
            errors.append(str(exc))
    if level.isdigit() and int(level) in reports.LEVEL_OF_PREFIX.values():
        rows = rows.filter(figures__level=int(level))
    rows = rows.annotate(
        region_name=KT("figures__region_name"),
        red=KT("figures__open__red"),
        yellow=KT("figures__open__yellow"),
        overdue=KT("figures__overdue"),
        new=KT("figures__new"),
        closed=KT("figures__closed"),
        rate=KT("figures__clearance_rate"),
    ).defer("figures")
    page = Paginator(rows.order_by("-week_start", "region_code", "sector", "-version"), PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "week": week,
        "region": region,
        "level": level,
        "levels": [(int(lv), lv.label) for lv in reports.REPORT_LEVELS],
        "errors": errors,
        "query": "&".join(f"{k}={v}" for k, v in (("week", week), ("region", region), ("level", level)) if v),
    }
    return render(request, "rectification/report_list.html", context)


def _chart(report: WeeklyReport) -> dict[str, Any]:
    """What the charts show (read by static/js/weekly-report.js from json_script), with their labels."""
    f = report.figures
    change = f.get("change", {})
    return {
        "colours": [
            {"name": Colour.RED.label, "value": f["open"]["red"], "colour": "#dc3545"},
            {"name": Colour.YELLOW.label, "value": f["open"]["yellow"], "colour": "#ffc107"},
            {"name": Colour.GREEN.label, "value": f["green"], "colour": "#198754"},
        ],
        "bars": {
            "labels": [_("新增"), _("销号"), _("逾期")],
            "this_week": [f["new"], f["closed"], f["overdue"]],
            "last_week": [
                f["new"] - change.get("new", 0),
                f["closed"] - change.get("closed", 0),
                f["overdue"] - change.get("overdue", 0),
            ],
            "this_label": _("本周"),
            "last_label": _("上周"),
        },
        "campaigns": [
            {
                "name": c["name"],
                "weeks": [p["week"] for p in c["burndown"]],
                "open": [p["open"] for p in c["burndown"]],
            }
            for c in f.get("campaigns", [])
        ],
        "open_label": _("未销号"),
    }


def _context(user: User, report: WeeklyReport) -> dict[str, Any]:
    versions = list(
        WeeklyReport.objects.visible_to(user)
        .filter(week=report.week, region_code=report.region_code, sector=report.sector)
        .order_by("-version")
        .defer("figures")
    )
    return {
        "report": report,
        "f": report.figures,
        "title": reports.title(report),
        "summary": list(reports.summary_rows(report)),
        "versions": versions,
        "latest": versions[0].pk == report.pk if versions else True,
        "can_correct": access.can_correct_reports(user),
        "chart": _chart(report),
        "sector_label": Sector(report.sector).label if report.sector else "",
    }


@login_required
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    return render(request, "rectification/report_detail.html", _context(user, _report(user, pk)))


@login_required
@require_GET
def report_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The snapshot laid out for A4 paper (the browser prints it)."""
    user = _reader(request)
    return render(request, "rectification/report_print.html", _context(user, _report(user, pk)))


@login_required
@require_GET
def report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The snapshot as a workbook (summary, overdue list, burn-down); the download is audited."""
    user = _reader(request)
    report = _report(user, pk)
    buffer = io.BytesIO()
    reports.write_xlsx(report, buffer)
    events.exported(
        actor=user,
        what="rectification.weeklyreport",
        count=1,
        region_code=report.region_code,
        request=request,
    )
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"weekly-report-{report.week}-{report.region_code}{'-' + report.sector if report.sector else ''}"
    response["Content-Disposition"] = f'attachment; filename="{name}-v{report.version}.xlsx"'
    return response


@login_required
@require_POST
def report_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """A corrected new version of the snapshot, recomputed from the facts as now recorded, with a reason."""
    user = _reader(request)
    if not access.can_correct_reports(user):
        raise PermissionDenied(_("您的角色不能更正清零周报。"))
    report = _report(user, pk)
    try:
        corrected = reports.correct_weekly_report(
            report=report, by=user, reason=request.POST.get("reason", ""), request=request
        )
    except RectificationRefused as exc:
        messages.error(request, exc.message)
        return redirect("rectification:report-detail", pk=report.pk)
    messages.success(request, _("已生成更正后的第%(version)d版。") % {"version": corrected.version})
    return redirect("rectification:report-detail", pk=corrected.pk)

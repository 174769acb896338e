"""Public pages: the self-report form (农户自主申报), reached by the QR code posted in each village, and the
poster that carries the code; each village's notices (公示 / 公告) and their archive.

The form asks what the Anhui 一码申报 asks (RULES §6.3); the report lands in the town's inbox
(``identification.submit_self_report``, limited per person and per sender). Nothing personal is shown back:
the page confirms receipt and the deadline only. Notices carry only what ``core.masking`` lets through.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bangfu.accounts.permissions import current_user
from bangfu.core import qrcodes
from bangfu.monitoring import access, notices
from bangfu.monitoring.case_forms import SelfReportForm
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.identification import submit_self_report
from bangfu.monitoring.models import Notice
from bangfu.policy import deadlines
from bangfu.policy.exceptions import PolicyError
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from bangfu.regions.scoping import code_visible_to

# Closed notices per archive page.
ARCHIVE_PAGE = 20


def _client_ip(request: HttpRequest) -> str:
    """The sender's address: from the reverse proxy's header when one is configured (the proxy overwrites
    it, so a client cannot choose it), else the connection's."""
    header = settings.CLIENT_IP_HEADER
    forwarded = str(request.META.get(header) or "") if header else ""
    return forwarded.split(",")[0].strip() or str(request.META.get("REMOTE_ADDR") or "")


def _village(code: str) -> Region:
    village = Region.objects.filter(code=code, level=Level.VILLAGE).select_related("parent").first()
    if village is None:
        raise Http404(_("没有这个村"))
    return village


def _risk_choices(village: Region) -> list[str]:
    from bangfu import policy

    try:
        return list(policy.value("codes.risk_types", region=village.code, on=timezone.localdate()))
    except PolicyError:
        return []


@require_http_methods(["GET", "POST"])
def self_report(request: HttpRequest, code: str) -> HttpResponse:
    village = _village(code)
    form = SelfReportForm(request.POST or None, risk_choices=_risk_choices(village))
    if request.method == "POST" and form.is_valid():
        try:
            submit_self_report(
                region_code=village.code,
                on=timezone.localdate(),
                client_ip=_client_ip(request),
                request=request,
                **form.arguments(),
            )
        except MonitoringRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("self-report-done", code=village.code)
    return render(request, "monitoring/self_report.html", {"form": form, "village": village})


@require_GET
def self_report_done(request: HttpRequest, code: str) -> HttpResponse:
    village = _village(code)
    try:
        rule = deadlines.due_date(
            key="deadline.self_report_acceptance", start=timezone.localdate(), region=code
        )
    except PolicyError:
        rule = None
    return render(request, "monitoring/self_report_done.html", {"village": village, "deadline": rule})


@login_required
@require_GET
def report_poster(request: HttpRequest, code: str) -> HttpResponse:
    """The village's A4 poster with the QR code of its public form, to print and post on the wall."""
    user = current_user(request, required=True)
    if not access.can_read_cases(user):
        raise PermissionDenied(_("您的角色不能查看监测对象识别。"))
    village = _village(code)
    if not code_visible_to(user, village.code):
        raise Http404(_("没有这个村"))
    url = request.build_absolute_uri(reverse("self-report", kwargs={"code": village.code}))
    context = {"village": village, "url": url, "qr": qrcodes.svg_data_uri(url, box_size=10)}
    return render(request, "monitoring/report_poster.html", context)


# --- public notices (公示 / 公告) --------------------------------------------------------------------------


@require_GET
def notice_board(request: HttpRequest, code: str) -> HttpResponse:
    """The village's notices now posted; the closed ones are in its archive."""
    village = _village(code)
    shown = list(notices.current(village.code, on=timezone.localdate()))
    context = {"village": village, "notices": shown, "archive": False}
    return render(request, "monitoring/notice_board.html", context)


@require_GET
def notice_archive(request: HttpRequest, code: str) -> HttpResponse:
    """The village's closed notices, the newest first, a page at a time (keyset: ``?after=<id>``)."""
    village = _village(code)
    after = request.GET.get("after", "")
    closed = notices.archive(
        village.code, on=timezone.localdate(), after=int(after) if after.isdigit() else None
    )
    shown = list(closed[: ARCHIVE_PAGE + 1])
    more = shown[ARCHIVE_PAGE - 1].pk if len(shown) > ARCHIVE_PAGE else None
    context = {"village": village, "notices": shown[:ARCHIVE_PAGE], "archive": True, "more": more}
    return render(request, "monitoring/notice_board.html", context)


@require_GET
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One notice as posted on the village wall (A4, printable)."""
    notice = Notice.objects.filter(pk=pk).prefetch_related("entries").first()
    if notice is None:
        raise Http404(_("没有这份公示"))
    village = _village(notice.region_code)
    return render(request, "monitoring/notice_detail.html", {"notice": notice, "village": village})

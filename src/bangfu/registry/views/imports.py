"""Excel in and out: the upload page and the tracked import runs (``ImportRun``), and the household export.

An upload is stored and run by the same service as ``bangfu import-households``
(``importing.start_import``), in the background worker; the run's page polls its progress (htmx, every
second while it is queued or running) and then lists every problem by sheet, row and column, with the
workbook back with the bad cells marked. Runs are scoped by their ``region_code`` like registry rows; the
one who started a run may always see it.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.audit import events
from bangfu.core.htmx import HtmxHttpRequest
from bangfu.regions.scoping import OutOfScope
from bangfu.registry import access, exporting, importing
from bangfu.registry.forms import ExportForm, ImportUploadForm
from bangfu.registry.models import ImportRun, ImportStatus

RUNS_PER_PAGE = 30
PROBLEMS_PER_PAGE = 100
ACTIVE = (ImportStatus.PENDING, ImportStatus.RUNNING)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _importer(request: HttpRequest) -> User:
    user = current_user(request, required=True)
    if not access.can_import(user):
        raise PermissionDenied(_("您的角色不能导入农户信息。"))
    return user


def _runs_for(user: User) -> Any:
    """The runs a user may open: those in their scope, and those they started themselves."""
    visible = ImportRun.objects.visible_to(user).values("pk")
    return ImportRun.objects.filter(Q(pk__in=visible) | Q(created_by=user))


def _run_for(user: User, pk: int) -> ImportRun:
    run = _runs_for(user).select_related("created_by").filter(pk=pk).first()
    if run is None:
        if ImportRun.objects.filter(pk=pk).exists():
            raise OutOfScope(model=ImportRun, lookup={"pk": pk})
        raise Http404
    return run


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest) -> HttpResponse:
    """The upload form and the runs of the user's scope, newest first (keyset pages)."""
    user = _importer(request)
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory(prefix="bangfu-upload-") as directory:
            # start_import keeps its own copy under MEDIA_ROOT/imports; the temporary one goes away here.
            run = importing.start_import(
                by=user,
                path=importing.write_upload(upload, Path(directory)),
                file_name=PurePath(upload.name).name,
                dry_run=form.cleaned_data["dry_run"],
            )
        messages.success(request, _("已上传“%(name)s”，正在排队处理。") % {"name": run.file_name})
        return redirect("registry:import-detail", pk=run.pk)
    before_text = request.GET.get("before", "")
    before = int(before_text) if before_text.isascii() and before_text.isdigit() else None
    runs = _runs_for(user).filter(kind=importing.KIND).select_related("created_by").order_by("-pk")
    if before is not None:
        runs = runs.filter(pk__lt=before)
    page = list(runs[: RUNS_PER_PAGE + 1])
    next_before = page[RUNS_PER_PAGE - 1].pk if len(page) > RUNS_PER_PAGE else None
    context = {
        "form": form,
        "runs": page[:RUNS_PER_PAGE],
        "next_before": next_before,
        "max_mb": settings.BANGFU_IMPORT_MAX_MB,
        "can_export": access.can_export(user),
    }
    # A refused upload answers 200 with the form's Chinese message beside the file input.
    return render(request, "registry/import_list.html", context)


def _progress(run: ImportRun) -> dict[str, Any]:
    percent = None
    if run.total_rows:
        percent = min(100, run.processed_rows * 100 // run.total_rows)
    elif run.status not in ACTIVE:
        percent = 100
    return {
        "run": run,
        "active": run.status in ACTIVE,
        "percent": percent,
    }


# The importer's result figures (``ImportRun.summary``), labelled for the page in the importer's order.
SUMMARY_LABELS = {
    "year": gettext_lazy("收支年度"),
    "households_created": gettext_lazy("新增农户"),
    "households_updated": gettext_lazy("更新农户"),
    "households_unchanged": gettext_lazy("无变化的农户"),
    "members_created": gettext_lazy("新增成员"),
    "members_updated": gettext_lazy("更新成员"),
    "members_left": gettext_lazy("离户成员"),
    "statements": gettext_lazy("收支情况"),
    "indicators": gettext_lazy("指标核查记录"),
    "programmes_started": gettext_lazy("开始享受政策"),
    "programmes_ended": gettext_lazy("停止享受政策"),
    "programmes_changed": gettext_lazy("政策类别变更"),
    "employments_created": gettext_lazy("新增务工"),
    "employments_updated": gettext_lazy("更新务工"),
    "employments_ended": gettext_lazy("结束务工"),
    "household_years": gettext_lazy("年度信息"),
}


def _summary_items(run: ImportRun) -> list[tuple[str, Any]]:
    """The run's result figures with their labels (a figure the page does not know is left out)."""
    summary = run.summary if isinstance(run.summary, dict) else {}
    return [
        (str(label), summary[key])
        for key, label in SUMMARY_LABELS.items()
        if isinstance(summary.get(key), int) and not isinstance(summary.get(key), bool)
    ]


def _problems_page(request: HttpRequest, run: ImportRun) -> Any:
    problems = run.problems if isinstance(run.problems, list) else []
    return Paginator(problems, PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))


@login_required
@require_GET
def import_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The run: status and progress; once finished, its summary, problems and the annotated workbook.

    htmx polls ``_import_progress.html`` every second while the run is queued or running; the partial it
    gets back for a finished run carries no trigger, so the polling stops and the results appear.
    """
    user = _importer(request)
    run = _run_for(user, pk)
    context = {
        **_progress(run),
        "summary_items": _summary_items(run),
        "problems": _problems_page(request, run) if run.status not in ACTIVE else None,
        "has_errors_file": run.status not in ACTIVE
        and importing.errors_path(run) is not None
        and _may_download_errors_file(user, run),
    }
    if request.htmx:
        return render(request, "registry/_import_progress.html", context)
    return render(request, "registry/import_detail.html", context)


def _may_download_errors_file(user: User, run: ImportRun) -> bool:
    """The annotated workbook is the uploaded file itself, with full ID numbers: the uploader may have it
    back; anyone else in scope needs the reveal grant (and the download is audited as a reveal)."""
    return run.created_by_id == user.pk or access.can_reveal(user)


@login_required
@require_GET
def import_errors_file(request: HttpRequest, pk: int) -> FileResponse:
    """The uploaded workbook back with a 错误说明 column and the bad cells filled (``importing``)."""
    user = _importer(request)
    run = _run_for(user, pk)
    if not _may_download_errors_file(user, run):
        raise PermissionDenied(
            _("标注问题的工作簿含完整的身份证号码，只有上传人或有查看完整个人信息权限的用户可以下载。")
        )
    path = importing.errors_path(run)
    if path is None or not path.is_file():
        raise Http404(_("这次导入没有标注问题的工作簿。"))
    if run.created_by_id != user.pk:
        # Someone else's workbook carries full ID numbers: seeing it is a reveal, recorded as one.
        events.revealed(actor=user, obj=run, field="errors_file", request=request)
    stem = PurePath(run.file_name).stem or "import"
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=f"{stem}_问题标注.xlsx", content_type=XLSX
    )


# --- export -------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def export_households(request: HttpRequest) -> HttpResponse | FileResponse:
    """GET: the form (region within the scope; 完整证件号码 only for holders of the reveal grant).
    POST: the workbook in the national layout, masked unless revealed; ``exporting`` audits it."""
    user = current_user(request, required=True)
    if not access.can_export(user):
        raise PermissionDenied(_("您的角色不能导出农户信息。"))
    may_reveal = access.can_reveal(user)
    form = ExportForm(request.POST if request.method == "POST" else None, user=user, may_reveal=may_reveal)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "registry/export_form.html", {"form": form}, status=400)
        region = form.cleaned_data["region"]
        reveal = bool(form.cleaned_data.get("reveal")) and may_reveal
        # The workbook is built on disk (xlsxwriter's constant-memory mode) and the file unlinked at once:
        # the open handle keeps it readable for the response, and no copy with personal data stays behind.
        with tempfile.NamedTemporaryFile(prefix="bangfu-export-", suffix=".xlsx", delete=False) as handle:
            path = Path(handle.name)
        try:
            exporting.export_households(by=user, region_code=region.code, out=path, reveal=reveal)
            stream = path.open("rb")
        except exporting.ExportRefused as exc:
            form.add_error("region", str(exc))
            return render(request, "registry/export_form.html", {"form": form}, status=400)
        finally:
            path.unlink(missing_ok=True)
        today: dt.date = timezone.localdate()
        return FileResponse(
            stream,
            as_attachment=True,
            filename=f"农户信息_{region.code}_{today:%Y%m%d}.xlsx",
            content_type=XLSX,
        )
    return render(request, "registry/export_form.html", {"form": form})

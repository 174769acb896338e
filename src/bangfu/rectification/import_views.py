"""Ledger import pages under /rectification/ (名称空间 ``rectification``): the upload form of a draft problem
list, the run's page (progress polled by htmx while queued or running, then its problems by row and column,
the list's problems and the annotated workbook), and that workbook's download.

Only users who issue lists (``access.can_issue``) reach them; the list through
``ProblemList.objects.visible_to`` (another region's list is not found), a run by its region or its uploader.
The import itself is ``importing.start_ledger_import`` (the worker runs it, like ``bangfu import-problems``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user, role_required
from bangfu.core.htmx import HtmxHttpRequest
from bangfu.rectification import access, importing, layout
from bangfu.rectification.exceptions import RectificationRefused
from bangfu.rectification.models import ListState, Problem, ProblemList
from bangfu.regions.scoping import get_for_user
from bangfu.registry.forms import ImportUploadForm
from bangfu.registry.importing import write_upload
from bangfu.registry.models import ImportRun, ImportStatus

ACTIVE = (ImportStatus.PENDING, ImportStatus.RUNNING)
PROBLEMS_PER_PAGE = 100
LIST_PROBLEMS_SHOWN = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUMMARY_LABELS = {
    "created": gettext_lazy("新增问题"),
    "to_create": gettext_lazy("正式导入将新增问题"),
}


def _issuer(request: HttpRequest) -> User:
    user = current_user(request, required=True)
    if not access.can_issue(user):
        raise PermissionDenied(_("您的角色不能导入整改台账。"))
    return user


def _form(request: HttpRequest) -> ImportUploadForm:
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    form.fields["file"].label = _("整改台账工作簿")
    return form


@role_required(*access.ISSUER_ROLES)
@require_http_methods(["GET", "POST"])
def list_import(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the upload form of a draft list (its columns explained). POST: store the ledger, queue its run
    and go to the run's page; a refused file answers 200 with the form's message beside the input."""
    user = _issuer(request)
    problem_list = get_for_user(ProblemList.objects.select_related("campaign"), user, pk=pk)
    form = _form(request)
    refusal = ""
    if problem_list.state != ListState.DRAFT:
        refusal = _("问题清单“%(title)s”已交办，不能再导入问题。") % {"title": problem_list.title}
    if request.method == "POST" and not refusal and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with tempfile.TemporaryDirectory(prefix="bangfu-upload-") as directory:
                # The run keeps its own copy under MEDIA_ROOT/imports; the temporary one goes away here.
                run = importing.start_ledger_import(
                    by=user,
                    path=write_upload(upload, Path(directory)),
                    file_name=PurePath(upload.name).name,
                    problem_list=problem_list,
                    dry_run=form.cleaned_data["dry_run"],
                )
        except RectificationRefused as exc:
            refusal = exc.message
        else:
            messages.success(request, _("已上传“%(name)s”，正在校验导入。") % {"name": run.file_name})
            return redirect("rectification:import-detail", pk=run.pk)
    runs = list(
        ImportRun.objects.filter(kind=importing.KIND, summary__list=problem_list.pk)
        .select_related("created_by")
        .order_by("-pk")[:20]
    )
    context = {
        "problem_list": problem_list,
        "form": form,
        "refusal": refusal,
        "columns": layout.COLUMNS,
        "runs": runs,
        "max_mb": settings.BANGFU_IMPORT_MAX_MB,
    }
    status = 409 if refusal and request.method == "POST" else 200
    return render(request, "rectification/import_form.html", context, status=status)


def _run_for(user: User, pk: int) -> ImportRun:
    """A ledger run of the user's scope; another region's is not found (404, audited as out of scope)."""
    return get_for_user(
        ImportRun.objects.filter(kind=importing.KIND).select_related("created_by"), user, pk=pk
    )


def _context(request: HttpRequest, user: User, run: ImportRun) -> dict[str, Any]:
    active = run.status in ACTIVE
    percent = None
    if run.total_rows:
        percent = min(100, run.processed_rows * 100 // run.total_rows)
    elif not active:
        percent = 100
    list_id = importing.list_of(run)
    problem_list = ProblemList.objects.visible_to(user).filter(pk=list_id).first() if list_id else None
    list_problems: list[Problem] = []
    if problem_list is not None and not active and run.status == ImportStatus.SUCCEEDED:
        list_problems = list(
            Problem.objects.visible_to(user)
            .filter(problem_list=problem_list)
            .select_related("category")
            .order_by("id")[:LIST_PROBLEMS_SHOWN]
        )
    summary = run.summary if isinstance(run.summary, dict) else {}
    problems = run.problems if isinstance(run.problems, list) else []
    return {
        "run": run,
        "active": active,
        "percent": percent,
        "problem_list": problem_list,
        "list_problems": list_problems,
        "list_problems_limit": LIST_PROBLEMS_SHOWN,
        "unchanged": bool(summary.get("unchanged")),
        "summary_items": [
            (str(label), summary[key])
            for key, label in SUMMARY_LABELS.items()
            if isinstance(summary.get(key), int)
        ],
        "problems": None
        if active
        else Paginator(problems, PROBLEMS_PER_PAGE).get_page(request.GET.get("page")),
        "has_errors_file": not active and importing.errors_path(run) is not None,
    }


@role_required(*access.ISSUER_ROLES)
@require_GET
def import_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The run: status and progress; once finished, the outcome, its located problems and the list's
    problems. htmx asks for the ``progress`` partial every second while the run is queued or running; the
    partial of a finished run carries no trigger, so the polling stops."""
    user = _issuer(request)
    run = _run_for(user, pk)
    template = "rectification/import_detail.html"
    return render(request, f"{template}#progress" if request.htmx else template, _context(request, user, run))


@role_required(*access.ISSUER_ROLES)
@require_GET
def import_errors(request: HttpRequest, pk: int) -> FileResponse:
    """The uploaded ledger back with a 错误说明 column and its bad cells red (``importing``)."""
    user = _issuer(request)
    run = _run_for(user, pk)
    path = importing.errors_path(run)
    if path is None:
        raise Http404(_("这次导入没有标注问题的工作簿。"))
    stem = PurePath(run.file_name).stem or "ledger"
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=f"{stem}_问题标注.xlsx", content_type=XLSX
    )

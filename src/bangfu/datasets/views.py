"""Department data pages under /datasets/ (名称空间 ``datasets``): the versions of the user's scope (a
department: its own sector's) with the upload form, and one version with the rows that did not match the
registry cleanly, for the department to check. Rows through ``visible_to``; the import through
``importing``. ID numbers are shown masked."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bangfu.accounts.models import Role, User
from bangfu.accounts.permissions import current_user
from bangfu.core.masking import mask_id_number
from bangfu.datasets import access
from bangfu.datasets.forms import DatasetUploadForm
from bangfu.datasets.importing import RUN_KIND_PREFIX, start_dataset_import
from bangfu.datasets.models import DatasetRecord, DatasetVersion, MatchStatus
from bangfu.regions.scoping import code_visible_to, get_for_user
from bangfu.registry.importing import location_text
from bangfu.registry.models import ImportRun, ImportStatus

VERSIONS_PER_PAGE = 50
PROBLEMS_PER_PAGE = 100
ROWS_SHOWN = 200


def _reader(request: HttpRequest) -> User:
    user = current_user(request, required=True)
    if not access.can_read(user):
        raise PermissionDenied(_("您的角色不能查看部门数据。"))
    return user


@login_required
@require_http_methods(["GET", "POST"])
def dataset_list(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    kinds = access.importable_kinds(user)
    form = DatasetUploadForm(request.POST or None, request.FILES or None, kinds=kinds) if kinds else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("您没有上传部门数据的权限。"))
        if form.is_valid():
            with tempfile.TemporaryDirectory(prefix="bangfu-upload-") as directory:
                # The run keeps its own copy until it has been imported; the temporary one goes away here.
                run = start_dataset_import(by=user, **form.import_arguments(Path(directory)))
            messages.success(request, _("已上传“%(name)s”，正在校验导入。") % {"name": run.file_name})
            return redirect("datasets:run-detail", pk=run.pk)
    # Paged: a county's uploads grow by every department every month; the older ones stay reachable.
    versions = Paginator(
        DatasetVersion.objects.visible_to(user).select_related("uploaded_by").order_by("-id"),
        VERSIONS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    context = {"form": form, "versions": versions}
    return render(request, "datasets/dataset_list.html", context)


@login_required
@require_GET
def dataset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    version = get_for_user(DatasetVersion.objects.select_related("uploaded_by", "run"), user, pk=pk)
    unclean = (
        DatasetRecord.objects.filter(version=version)
        .exclude(match=MatchStatus.MATCHED)
        .order_by("row")
        .only("row", "name", "id_number", "match")[:ROWS_SHOWN]
    )
    rows = [
        {
            "row": r.row,
            "name": r.name,
            "id_number": mask_id_number(r.id_number),
            "match": r.get_match_display(),
        }
        for r in unclean
    ]
    context = {"version": version, "rows": rows, "limit": ROWS_SHOWN}
    return render(request, "datasets/dataset_detail.html", context)


def _run_for(user: User, pk: int) -> ImportRun:
    """A department upload's run: its uploader's, or in the scope of a reader who is no department (a
    department sees its own uploads only); anything else is not found."""
    run = (
        ImportRun.objects.filter(pk=pk, kind__startswith=RUN_KIND_PREFIX).select_related("created_by").first()
    )
    if run is None or not (
        run.created_by_id == user.pk
        or (user.role != Role.DEPARTMENT and code_visible_to(user, run.region_code))
    ):
        raise Http404
    return run


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An upload being checked and imported: its status (htmx asks again every two seconds while it is
    queued or running), then its problems by row and column, or the version it stored."""
    user = _reader(request)
    run = _run_for(user, pk)
    active = run.status in (ImportStatus.PENDING, ImportStatus.RUNNING)
    version = None
    if run.status == ImportStatus.SUCCEEDED:
        # The version this run stored, else (the same file uploaded again) the one stored before.
        version = (
            DatasetVersion.objects.filter(run=run).first()
            or DatasetVersion.objects.filter(
                kind=run.kind.removeprefix(RUN_KIND_PREFIX),
                region_code=run.region_code,
                number=run.summary.get("version"),
            ).first()
        )
    # A file wrong in every row has a problem per row: they are paged, like the registry import's.
    problems = Paginator(run.problems, PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "run": run,
        "active": active,
        "version": version,
        "page": problems,
        "problems": [
            {"where": location_text(p), "level": p["level"], "message": p["message"]} for p in problems
        ],
    }
    template = (
        "datasets/_run_status.html" if request.headers.get("HX-Request") else "datasets/run_detail.html"
    )
    return render(request, template, context)

"""Department data in the API (/api/v1/datasets): the versions of the caller's scope, and an upload — a
department's system sends its monthly file the way a clerk uploads it on the page (same form, same import,
same permissions)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import AuthorizationError

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.core.schemas import ErrorOut
from bangfu.datasets import access
from bangfu.datasets.forms import DatasetUploadForm
from bangfu.datasets.importing import import_dataset
from bangfu.datasets.models import DatasetVersion
from bangfu.registry.models import ImportStatus

router = Router(tags=["datasets"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
PAGE = 100


class VersionOut(Schema):
    id: int
    kind: str
    sector: str
    region_code: str
    number: int
    period_start: dt.date
    period_end: dt.date
    is_current: bool
    row_count: int
    matched_count: int
    name_differs_count: int
    former_member_count: int
    unmatched_count: int

    @staticmethod
    def of(version: DatasetVersion) -> VersionOut:
        return VersionOut(
            id=version.pk,
            kind=version.kind,
            sector=version.sector,
            region_code=version.region_code,
            number=version.number,
            period_start=version.period_start,
            period_end=version.period_end,
            is_current=version.is_current,
            row_count=version.row_count,
            matched_count=version.matched_count,
            name_differs_count=version.name_differs_count,
            former_member_count=version.former_member_count,
            unmatched_count=version.unmatched_count,
        )


class ProblemOut(Schema):
    sheet: str
    row: int
    column: str
    level: str
    message: str


class UploadOut(Schema):
    status: str = Field(description="succeeded 已导入 / checked 试导入通过 / rejected 未通过（未写入）")
    rows: int
    problems: list[ProblemOut]
    summary: dict[str, Any] = Field(description="版本号、行数、已匹配、姓名不一致、已离户人员、未匹配")
    version: int | None = Field(description="导入的版本（试导入或未通过时为 null）")


class InvalidUploadOut(Schema):
    code: str
    message: str
    errors: dict[str, list[str]] = Field(description="表单字段 -> 中文说明")


def _reader(request: HttpRequest) -> User:
    user = current_user(request)
    if user is None or not access.can_read(user):
        raise AuthorizationError(403, _("您的角色不能查看部门数据。"))
    return user


@router.get("/datasets", response={200: list[VersionOut], **ERRORS}, summary="部门数据版本")
def list_versions(request: HttpRequest, before: int | None = None) -> Any:
    """The uploads of the caller's scope (a department: its own sector's), newest first, 100 per page;
    ``before`` is the last id of the previous page."""
    versions = DatasetVersion.objects.visible_to(_reader(request))
    if before is not None:
        versions = versions.filter(pk__lt=before)
    return [VersionOut.of(v) for v in versions.order_by("-pk")[:PAGE]]


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["kind", "period_start", "period_end", "file"],
                    "properties": {
                        "kind": {"type": "string", "description": "数据类型（medical、assistance …）"},
                        "period_start": {"type": "string", "format": "date", "description": "数据期间起"},
                        "period_end": {"type": "string", "format": "date", "description": "数据期间止"},
                        "dry_run": {"type": "boolean", "description": "只校验，不写入"},
                        "file": {"type": "string", "format": "binary", "description": "工作簿"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/datasets",
    response={200: UploadOut, 422: InvalidUploadOut, **ERRORS},
    summary="上传部门数据",
    openapi_extra=UPLOAD_BODY,
)
def upload(request: HttpRequest) -> Any:
    """Check the file and, without errors and unless ``dry_run``, store it as a new version (then screened).
    A form that cannot be read answers 422 with the fields; a file with problems answers 200 with
    ``status=rejected`` and every problem located (row, column), nothing stored."""
    user = _reader(request)
    kinds = access.importable_kinds(user)
    if not kinds:
        raise AuthorizationError(403, _("您没有上传部门数据的权限。"))
    form = DatasetUploadForm(request.POST, request.FILES, kinds=kinds)
    if not form.is_valid():
        errors = {name: [str(e) for e in messages] for name, messages in form.errors.items()}
        return Status(422, {"code": "invalid", "message": _("上传的表单不完整"), "errors": errors})
    with tempfile.TemporaryDirectory(prefix="bangfu-upload-") as directory:
        run = import_dataset(by=user, **form.import_arguments(Path(directory)))
    # The same file again stores nothing new: the version it names is the one stored the first time.
    version = None
    if run.status == ImportStatus.SUCCEEDED:
        version = (
            DatasetVersion.objects.filter(
                kind=form.cleaned_data["kind"], region_code=run.region_code, number=run.summary.get("version")
            )
            .values_list("pk", flat=True)
            .first()
        )
    return UploadOut(
        status=run.status,
        rows=run.total_rows,
        problems=[ProblemOut(**p) for p in run.problems],
        summary=run.summary if run.status == ImportStatus.SUCCEEDED else {},
        version=version,
    )

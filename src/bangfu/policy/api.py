"""Policy API: the value in force (GET /policy/{key}) and a deadline's due date (GET /calendar/due-date).

Both answer for a region in or above the caller's scope (a region elsewhere is "not found", as for every
scoped route); without ``region`` they answer for the caller's own region. Errors are ``ErrorOut`` JSON with a
Chinese message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from bangfu.core.schemas import ErrorOut
from bangfu.policy import access, catalogue
from bangfu.policy.deadlines import due_date
from bangfu.policy.exceptions import InvalidRegion, NotADeadline, PolicyError, PolicyNotSet, UnknownPolicyKey
from bangfu.policy.resolution import normalize_region, version_in_force

router = Router(tags=["policy"])


class PolicyValueOut(Schema):
    key: str
    label: str
    value: Any
    display: str
    source: str
    effective_from: dt.date
    region_prefix: str


class PolicyQuery(Schema):
    region: str = ""
    on: dt.date | None = None


class DeadlineOut(Schema):
    key: str
    region_prefix: str
    start: dt.date
    days: int
    unit: str
    date: dt.date
    provisional: bool


class DeadlineQuery(Schema):
    key: str
    start: dt.date
    region: str = ""


def _error(exc: PolicyError) -> dict[str, str]:
    return {"code": exc.code, "message": exc.message}


def _resolve_region(request: HttpRequest, region: str) -> Status[dict[str, str]] | str:
    """The caller's region prefix to answer for, or an error response."""
    user = request.user
    if not access.can_read_policy(user):
        return Status(403, {"code": "forbidden", "message": _("没有权限查看政策参数")})
    try:
        prefix = normalize_region(region) if region else user.scope_prefixes()[0]  # type: ignore[union-attr]
    except InvalidRegion as exc:
        return Status(422, _error(exc))
    if not access.region_readable(user, prefix):
        return Status(404, {"code": "not_found", "message": _("未找到该区划，或不在您的管辖范围内")})
    return prefix


@router.get(
    "/policy/{key}",
    response={200: PolicyValueOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="政策参数的现行取值",
)
def policy_value(request: HttpRequest, key: str, query: Query[PolicyQuery]) -> Any:
    """The version of ``key`` in force for ``region`` (default: the caller's own) on ``on`` (default: today,
    Asia/Shanghai): value, source, effective date and the region prefix it was set for."""
    try:
        spec = catalogue.get(key)
    except UnknownPolicyKey as exc:
        return Status(404, _error(exc))
    resolved = _resolve_region(request, query.region)
    if not isinstance(resolved, str):
        return resolved
    on = query.on or timezone.localdate()
    try:
        row = version_in_force(key, region=resolved, on=on)
    except PolicyNotSet as exc:
        return Status(404, _error(exc))
    return Status(
        200,
        {
            "key": key,
            "label": str(spec.label),
            "value": row.value,
            "display": spec.display(row.value),
            "source": row.source_note,
            "effective_from": row.effective_from,
            "region_prefix": row.region_prefix,
        },
    )


@router.get(
    "/calendar/due-date",
    response={200: DeadlineOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="按政策期限计算截止日期",
)
def calendar_due_date(request: HttpRequest, query: Query[DeadlineQuery]) -> Any:
    """The due date of the deadline ``key`` started on ``start`` in ``region``; ``provisional`` is true when
    working days of a year without a known official schedule were counted Monday–Friday."""
    try:
        catalogue.get(query.key)
    except UnknownPolicyKey as exc:
        return Status(404, _error(exc))
    resolved = _resolve_region(request, query.region)
    if not isinstance(resolved, str):
        return resolved
    try:
        deadline = due_date(key=query.key, start=query.start, region=resolved)
    except NotADeadline as exc:
        return Status(422, _error(exc))
    except PolicyNotSet as exc:
        return Status(404, _error(exc))
    return Status(
        200,
        {
            "key": query.key,
            "region_prefix": resolved,
            "start": deadline.start,
            "days": deadline.days,
            "unit": deadline.unit.value,
            "date": deadline.date,
            "provisional": deadline.provisional,
        },
    )

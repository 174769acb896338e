"""Policy API: the value in force (GET /policy/{key}) and a deadline's due date (GET /calendar/due-date).

Both answer for a region in or above the caller's scope (a region elsewhere is "not found", as for every
scoped route); without ``region`` they answer for the caller's own region. Dates are accepted from 2000-01-01
to 2100-12-31 (``bangfu.policy.dates`` says why). Errors are ``ErrorOut`` JSON with a Chinese message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from bangfu.accounts.permissions import current_user
from bangfu.core.schemas import ErrorOut
from bangfu.core.workdays import DateOutOfRange
from bangfu.policy import access, catalogue, dates
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


DATE_RANGE = f"{dates.EARLIEST.isoformat()} 至 {dates.LATEST.isoformat()}"


class PolicyQuery(Schema):
    region: str = Field("", description="区划代码或前缀；默认为调用者本人的区划")
    on: dt.date | None = Field(None, description=f"取值日期（{DATE_RANGE}）；默认为今天")


class DeadlineOut(Schema):
    key: str
    region_prefix: str
    start: dt.date
    days: int
    unit: str
    date: dt.date
    provisional: bool


class DeadlineQuery(Schema):
    key: str = Field(description="期限参数，如 deadline.home_check")
    start: dt.date = Field(description=f"起算日期（{DATE_RANGE}）")
    region: str = Field("", description="区划代码或前缀；默认为调用者本人的区划")


def _error(exc: PolicyError) -> dict[str, str]:
    return {"code": exc.code, "message": exc.message}


def _date_error(day: dt.date | None, *, name: str, label: str) -> Status[dict[str, str]] | None:
    """422 for a date outside 2000–2100, naming the parameter; None for a good (or absent) date."""
    if day is None or dates.in_range(day):
        return None
    message = dates.out_of_range_message(day, label=f"{label}（{name}）")
    return Status(422, {"code": "date_out_of_range", "message": message})


def _resolve_region(request: HttpRequest, region: str) -> Status[dict[str, str]] | str:
    """The caller's region prefix to answer for, or an error response."""
    user = current_user(request)
    if user is None or not access.can_read_policy(user):
        return Status(403, {"code": "forbidden", "message": _("没有权限查看政策参数")})
    try:
        prefix = normalize_region(region) if region else user.scope_prefixes()[0]
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
    if refused := _date_error(query.on, name="on", label=_("取值日期")):
        return refused
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
    if refused := _date_error(query.start, name="start", label=_("起算日期")):
        return refused
    try:
        deadline = due_date(key=query.key, start=query.start, region=resolved)
    except NotADeadline as exc:
        return Status(422, _error(exc))
    except PolicyNotSet as exc:
        return Status(404, _error(exc))
    except DateOutOfRange as exc:  # bounded above; kept so that no date can ever answer 500
        return Status(422, {"code": "date_out_of_range", "message": exc.message})
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

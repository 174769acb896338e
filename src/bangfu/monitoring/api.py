"""Warnings and screening rules in the API (/api/v1/warnings, /api/v1/screening/rules): the same scope
(``visible_to``), permissions (``access``) and services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import AuthorizationError

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.core.schemas import ErrorOut, page_by_id
from bangfu.monitoring import access, services
from bangfu.monitoring.models import ScreeningRule, ScreeningWarning, WarningStatus
from bangfu.monitoring.screening import rules_in_force
from bangfu.regions.scoping import get_for_user
from bangfu.registry.search import DEFAULT_LIMIT, MAX_LIMIT

router = Router(tags=["monitoring"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class WarningOut(Schema):
    id: int
    household_id: int
    household_number: str
    region_code: str = Field(description="所在村")
    rule_code: str
    risk_type: str
    sector: str = Field(description="推送部门（数据所属行业）")
    status: WarningStatus
    screened_on: dt.date
    due_on: dt.date = Field(description="反馈期限")
    overdue: bool = Field(description="待核查且已过反馈期限")
    facts: dict[str, Any] = Field(description="触发依据：数据、期间、取值、阈值（不含身份证号）")
    answer_reason: str

    @staticmethod
    def of(warning: ScreeningWarning, today: dt.date) -> WarningOut:
        return WarningOut(
            id=warning.pk,
            household_id=warning.household_id,
            household_number=warning.household.household_number,
            region_code=warning.region_code,
            rule_code=warning.rule_code,
            risk_type=warning.risk_type,
            sector=warning.sector,
            status=WarningStatus(warning.status),
            screened_on=warning.screened_on,
            due_on=warning.due_on,
            overdue=warning.status == WarningStatus.NEW and warning.due_on < today,
            facts=warning.facts,
            answer_reason=warning.answer_reason,
        )


class WarningPage(Schema):
    items: list[WarningOut]
    next_after: int | None = Field(description="下一页：把它作为 after 传回；没有更多时为 null")


class WarningQuery(Schema):
    status: WarningStatus | None = Field(None, description="状态；缺省为全部")
    overdue: bool = Field(False, description="只看待核查且已逾期的")
    rule: str | None = Field(None, description="规则编码")
    after: int | None = Field(None, description="上一页的 next_after")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"每页条数（1–{MAX_LIMIT}）")


class AnswerIn(Schema):
    status: WarningStatus = Field(description="included 纳入识别 / excluded 排除 / returned 退回部门")
    reason: str = Field("", description="核查说明（排除、退回时必填）")


class RuleOut(Schema):
    code: str
    name: str
    source: str
    risk_type: str
    condition: list[Any]
    window_days: int
    region_prefix: str
    effective_from: dt.date
    effective_to: dt.date | None
    enabled: bool
    in_force: bool = Field(description="今天生效的版本")


def _reader(request: HttpRequest) -> User:
    user = current_user(request)
    if user is None or not access.can_read(user):
        raise AuthorizationError(403, _("您的角色不能查看预警线索。"))
    return user


@router.get("/warnings", response={200: WarningPage, **ERRORS}, summary="预警线索")
def list_warnings(request: HttpRequest, query: Query[WarningQuery]) -> Any:
    """The warnings of the caller's scope (a department: those its data raised), in keyset pages by id."""
    user = _reader(request)
    today = timezone.localdate()
    warnings = ScreeningWarning.objects.visible_to(user).select_related("household")
    if query.status is not None:
        warnings = warnings.filter(status=query.status.value)
    if query.overdue:
        warnings = warnings.filter(Q(status=WarningStatus.NEW) & Q(due_on__lt=today))
    if query.rule:
        warnings = warnings.filter(rule_code=query.rule)
    rows, next_after = page_by_id(warnings, after=query.after, limit=query.limit)
    return WarningPage(items=[WarningOut.of(w, today) for w in rows], next_after=next_after)


@router.get("/warnings/{warning_id}", response={200: WarningOut, **ERRORS}, summary="预警线索详情")
def get_warning(request: HttpRequest, warning_id: int) -> Any:
    user = _reader(request)
    warning = get_for_user(ScreeningWarning.objects.select_related("household"), user, pk=warning_id)
    return WarningOut.of(warning, timezone.localdate())


@router.post(
    "/warnings/{warning_id}/answer",
    response={200: WarningOut, 422: ErrorOut, **ERRORS},
    summary="登记预警核查结果",
)
def answer_warning(request: HttpRequest, warning_id: int, payload: AnswerIn) -> Any:
    """The village team's (or the town's) answer, once: include, exclude with a reason, or return to the
    department as a data error with a reason."""
    user = _reader(request)
    if not access.can_answer(user):
        raise AuthorizationError(403, _("只有驻村工作队或乡镇可以核查预警线索。"))
    warning = get_for_user(ScreeningWarning.objects.select_related("household"), user, pk=warning_id)
    try:
        answered = services.answer_warning(
            warning=warning, by=user, status=payload.status.value, reason=payload.reason, request=request
        )
    except PermissionDenied as exc:
        return Status(403, {"code": "forbidden", "message": str(exc)})
    except services.MonitoringRefused as exc:
        return Status(422, {"code": "invalid", "message": exc.message})
    answered.household = warning.household
    return WarningOut.of(answered, timezone.localdate())


@router.get("/screening/rules", response={200: list[RuleOut], **ERRORS}, summary="筛查规则")
def list_rules(request: HttpRequest) -> Any:
    """Every version of every rule, with the versions in force today marked."""
    _reader(request)
    today = timezone.localdate()
    in_force = {rule.pk for rule in rules_in_force(on=today, include_disabled=True)}
    return [
        RuleOut(
            code=rule.code,
            name=rule.name,
            source=rule.source,
            risk_type=rule.risk_type,
            condition=rule.condition,
            window_days=rule.window_days,
            region_prefix=rule.region_prefix,
            effective_from=rule.effective_from,
            effective_to=rule.effective_to,
            enabled=rule.enabled,
            in_force=rule.pk in in_force,
        )
        for rule in ScreeningRule.objects.order_by("code", "region_prefix", "-effective_from")
    ]

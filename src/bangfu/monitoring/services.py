"""Writes of the monitoring app: answering a warning, adding a rule version. Each is one audited
transaction that re-checks the user's role and scope."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.monitoring import access, identification, rules
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.models import (
    SOURCE_CHOICES,
    WARNING_TRANSITIONS,
    ScreeningRule,
    ScreeningWarning,
    WarningStatus,
)
from bangfu.regions.codes import is_scope_prefix
from bangfu.regions.scoping import code_visible_to

if TYPE_CHECKING:
    from bangfu.accounts.models import User


def answer_warning(
    *,
    warning: ScreeningWarning,
    by: User,
    status: str,
    reason: str = "",
    on: dt.date | None = None,
    request: Any = None,
) -> ScreeningWarning:
    """The village's answer: include it (an identification case opens), exclude it with a reason, or
    return it to the department as a data error with a reason. Answered once."""
    if not access.can_answer(by):
        raise PermissionDenied(_("只有驻村工作队或乡镇可以核查预警线索。"))
    reason = (reason or "").strip()
    if status in {WarningStatus.EXCLUDED, WarningStatus.RETURNED} and not reason:
        raise MonitoringRefused(_("排除或退回时须写明核查说明"))
    if len(reason) > 500:
        raise MonitoringRefused(_("核查说明最多500字"))
    with transaction.atomic():
        locked = ScreeningWarning.objects.select_for_update().get(pk=warning.pk)
        if not code_visible_to(by, locked.region_code):
            raise PermissionDenied(_("该预警线索不在您的管辖范围内。"))
        if status not in WARNING_TRANSITIONS[locked.status]:
            raise MonitoringRefused(
                _("该预警线索当前为“%(status)s”，不能再处理") % {"status": locked.get_status_display()}
            )
        before = {"status": locked.status}
        locked.status = status
        locked.answer_reason = reason
        locked.answered_by = by
        locked.answered_at = timezone.now()
        locked.save(update_fields=["status", "answer_reason", "answered_by", "answered_at"])
        events.updated(
            actor=by,
            obj=locked,
            before=before,
            after={"status": status, "answer_reason": reason},
            request=request,
        )
        if status == WarningStatus.INCLUDED:
            # The identification procedure starts (or the warning joins the household's open case).
            identification.lead_from_warning(
                warning=locked, by=by, on=on or timezone.localdate(), request=request
            )
    return locked


def add_rule(
    *,
    by: User,
    code: str,
    name: str,
    source: str,
    condition: list[Any],
    risk_type: str,
    effective_from: dt.date,
    window_days: int = 365,
    region_prefix: str = "",
    enabled: bool = True,
    description: str = "",
    request: Any = None,
) -> ScreeningRule:
    """A new rule, or a new version of a rule from ``effective_from`` (the earlier versions stay)."""
    if not access.can_edit_rules(by):
        raise PermissionDenied(_("只有市级指挥部可以维护筛查规则。"))
    if source not in dict(SOURCE_CHOICES):
        raise MonitoringRefused(_("数据来源无效：%(source)s") % {"source": source})
    if not code.strip() or not name.strip() or not risk_type.strip():
        raise MonitoringRefused(_("规则编码、名称和风险类型都须填写"))
    if region_prefix and not is_scope_prefix(region_prefix):
        raise MonitoringRefused(
            _("适用范围须为区划代码前缀（如 61、6109、610902）：%(prefix)s") % {"prefix": region_prefix},
            field="region_prefix",
        )
    try:
        rules.check(condition, source=source)
    except rules.RuleError as exc:
        raise MonitoringRefused(str(exc), field="condition") from exc
    with transaction.atomic():
        rule = ScreeningRule.objects.create(
            code=code.strip(),
            name=name.strip(),
            description=description,
            source=source,
            condition=condition,
            risk_type=risk_type.strip(),
            window_days=window_days,
            region_prefix=region_prefix,
            effective_from=effective_from,
            enabled=enabled,
            created_by=by,
        )
        events.created(actor=by, obj=rule, after=events.snapshot(rule), request=request)
    return rule

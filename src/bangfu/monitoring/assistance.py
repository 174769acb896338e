"""The assistance plan (一户一策, RULES §9): measures from the catalogue per monitored household, the
coverage check that every risk has a measure answering it ("缺什么补什么"), and the household's contact
cadre (帮扶联系人). Each write is one audited transaction that re-checks role and scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from bangfu.accounts.models import Role
from bangfu.audit import events
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.models import ELIMINATION_STATES, CaseState, Measure, MeasureCategory, MonitoringCase
from bangfu.regions.scoping import code_visible_to, reads_business_data

if TYPE_CHECKING:
    from bangfu.accounts.models import User

# Who plans and records measures (the village team and the town), who names the contact cadre (the town).
PLANNER_ROLES = frozenset({Role.VILLAGE_TEAM, Role.TOWN})
CONTACT_ASSIGNER_ROLES = frozenset({Role.TOWN})
# Who may be a household's contact cadre.
CONTACT_ROLES = frozenset({Role.VILLAGE_TEAM, Role.TOWN})
# A plan is made once the county has approved the household (RULES §9.1: after identification).
PLANNED_STATES = frozenset({CaseState.ANNOUNCEMENT, CaseState.MONITORED}) | ELIMINATION_STATES


def can_plan(user: Any, case: MonitoringCase) -> bool:
    return (
        reads_business_data(user)
        and getattr(user, "role", None) in PLANNER_ROLES
        and code_visible_to(user, case.region_code)
        and case.state in PLANNED_STATES
    )


def can_assign_contact(user: Any, case: MonitoringCase) -> bool:
    return (
        reads_business_data(user)
        and getattr(user, "role", None) in CONTACT_ASSIGNER_ROLES
        and code_visible_to(user, case.region_code)
        and case.state in PLANNED_STATES
    )


def coverage(case: MonitoringCase, measures: list[Measure] | None = None) -> list[tuple[str, list[Measure]]]:
    """Each of the case's risk types with the measures whose category answers it (in the case's order)."""
    if measures is None:
        measures = list(case.measures.select_related("category").order_by("starts_on", "id"))
    return [(risk, [m for m in measures if risk in m.category.risk_types]) for risk in case.risk_types]


def uncovered(case: MonitoringCase, measures: list[Measure] | None = None) -> list[str]:
    """The risk types no measure answers yet ("缺什么补什么")."""
    return [risk for risk, answering in coverage(case, measures) if not answering]


def add_measure(
    *,
    case: MonitoringCase,
    by: User,
    category: str,
    description: str,
    responsible_unit: str,
    responsible_person: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    amount: Decimal | None = None,
    evidence: str = "",
    evidence_file: UploadedFile | None = None,
    request: Any = None,
) -> Measure:
    """A measure of the household's plan. A household without labour gets protective measures only (RULES
    §9.1: 开发式帮扶 needs someone who can work)."""
    if not can_plan(by, case):
        raise PermissionDenied(_("只有驻村工作队或乡镇可以为本辖区已认定的监测户制定帮扶措施。"))
    chosen = MeasureCategory.objects.filter(code=category).first()
    if chosen is None:
        raise MonitoringRefused(_("请选择帮扶措施类别"), field="category")
    if chosen.developmental and case.no_labour:
        raise MonitoringRefused(
            _("该户整户无劳动力，应安排保障性措施，不能安排“%(name)s”") % {"name": chosen.name},
            field="category",
        )
    texts = {
        "description": (description, _("措施内容"), 200),
        "responsible_unit": (responsible_unit, _("责任单位"), 100),
        "responsible_person": (responsible_person, _("责任人"), 50),
    }
    cleaned: dict[str, str] = {}
    for field, (value, label, limit) in texts.items():
        value = (value or "").strip()
        if not value:
            raise MonitoringRefused(_("请填写%(label)s") % {"label": label}, field=field)
        if len(value) > limit:
            raise MonitoringRefused(
                _("%(label)s最多%(limit)d字") % {"label": label, "limit": limit}, field=field
            )
        cleaned[field] = value
    if ends_on is not None and ends_on < starts_on:
        raise MonitoringRefused(_("结束日期不能早于开始日期"), field="ends_on")
    if amount is not None:
        try:
            amount = Decimal(str(amount)).quantize(Decimal("0.01"))
        except InvalidOperation as exc:
            raise MonitoringRefused(_("金额应为数字（元）"), field="amount") from exc
        if not amount.is_finite() or amount < 0:
            raise MonitoringRefused(_("金额不能为负数"), field="amount")
    with transaction.atomic():
        measure = Measure.objects.create(
            case=case,
            region_code=case.region_code,
            category=chosen,
            starts_on=starts_on,
            ends_on=ends_on,
            amount=amount,
            evidence=(evidence or "").strip()[:500],
            evidence_file=evidence_file,
            created_by=by,
            **cleaned,
        )
        events.created(actor=by, obj=measure, after=events.snapshot(measure), request=request)
    return measure


def assign_contact(*, case: MonitoringCase, by: User, cadre: User, request: Any = None) -> MonitoringCase:
    """The town names the household's contact cadre: a village team member or town cadre whose area holds
    the household."""
    if not can_assign_contact(by, case):
        raise PermissionDenied(_("只有乡镇可以为本辖区已认定的监测户确定帮扶联系人。"))
    if cadre.role not in CONTACT_ROLES or not cadre.is_active or not code_visible_to(cadre, case.region_code):
        raise MonitoringRefused(_("帮扶联系人须为该村驻村工作队员或所在乡镇干部"), field="cadre")
    with transaction.atomic():
        locked = MonitoringCase.objects.select_for_update().get(pk=case.pk)
        before = {"contact_cadre": locked.contact_cadre_id}
        locked.contact_cadre = cadre
        locked.save(update_fields=["contact_cadre"])
        events.updated(
            actor=by, obj=locked, before=before, after={"contact_cadre": cadre.pk}, request=request
        )
    return locked

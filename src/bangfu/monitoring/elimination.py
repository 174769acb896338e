"""Risk elimination (风险消除, RULES §8): proposed for a monitored household when the conditions hold
(帮扶消除) or as natural elimination with a reason (自然消除), then the same appraisal, notice, town and
county review as identification; the county's approval is announced. The county may roll an elimination
back (风险消除回退); a later lead for an eliminated household opens a new case (re-entry), the history kept.

Checks (RULES §8.1, §8.4): elimination by assistance needs per-capita income above the monitoring line, stable
for the policy's months, the basic needs and water secured and the risks removed; a household without
labour is not eliminated by assistance (it keeps being tracked under its safety-net measures); an
elimination by assistance within two months of identification is flagged (not refused).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu import policy
from bangfu.monitoring import identification, notices
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.identification import BASIC_NEEDS, MAX_REASON, clean_money, clean_text, run_transition
from bangfu.monitoring.models import ENDED_STATES, EliminationMethod, MonitoringCase, NoticeKind
from bangfu.policy.exceptions import PolicyError

if TYPE_CHECKING:
    from bangfu.accounts.models import User

# RULES §8.4: an elimination by assistance this many months (or fewer) after identification is a data problem
# to look at (the Guizhou platform's check).
EARLY_MONTHS = 2
NEED_NAMES = {
    "food_clothing": gettext_lazy("不愁吃穿"),
    "education": gettext_lazy("义务教育"),
    "medical": gettext_lazy("基本医疗"),
    "housing": gettext_lazy("住房安全"),
    "water": gettext_lazy("饮水安全"),
}


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start``'s month to ``end``'s (the national system's month difference)."""
    return (end.year - start.year) * 12 + end.month - start.month


def propose_elimination(
    *,
    case: MonitoringCase,
    by: User,
    on: dt.date,
    method: str,
    net_income_per_capita: Any = None,
    stable_months: int | None = None,
    needs_met: Mapping[str, bool] | None = None,
    risks_resolved: bool = False,
    reason: str = "",
    request: Any = None,
) -> MonitoringCase:
    """A monitored household proposed for elimination, with the conditions as checked at home."""
    reason = clean_text(reason, limit=MAX_REASON, field="reason", label=_("消除理由"))
    flags: list[str] = []
    record: dict[str, Any] = {"method": method, "reason": reason}
    if method == EliminationMethod.BY_ASSISTANCE:
        if case.no_labour:
            raise MonitoringRefused(
                _("整户无劳动力的监测户在落实兜底保障后继续跟踪，不标注帮扶消除"), field="method"
            )
        if net_income_per_capita in (None, ""):
            raise MonitoringRefused(_("请填写人均纯收入"), field="net_income_per_capita")
        income = clean_money(net_income_per_capita, field="net_income_per_capita", label=_("人均纯收入"))
        try:
            line = Decimal(str(policy.value("monitoring_line", region=case.region_code, on=on)))
            least = int(policy.value("elimination.min_stable_months", region=case.region_code, on=on))
        except PolicyError as exc:
            raise MonitoringRefused(exc.message) from exc
        if income <= line:
            raise MonitoringRefused(
                _("人均纯收入 %(income)s 元未高于监测范围 %(line)s 元，不能帮扶消除")
                % {"income": income, "line": line},
                field="net_income_per_capita",
            )
        if stable_months is None or stable_months < least:
            raise MonitoringRefused(
                _("收入须持续稳定至少%(months)d个月方可帮扶消除") % {"months": least}, field="stable_months"
            )
        unmet = [str(NEED_NAMES[need]) for need in BASIC_NEEDS if not (needs_met or {}).get(need)]
        if unmet:
            raise MonitoringRefused(
                _("以下方面尚未保障，不能消除风险：%(needs)s") % {"needs": "、".join(unmet)},
                field="needs_met",
            )
        if not risks_resolved:
            raise MonitoringRefused(_("识别时的风险尚未稳定消除，或出现了新的风险"), field="risks_resolved")
        if case.monitored_from is not None and months_between(case.monitored_from, on) <= EARLY_MONTHS:
            flags.append(_("纳入监测后%(months)d个月内即帮扶消除，请核实") % {"months": EARLY_MONTHS})
        record.update(
            {
                "net_income_per_capita": income,
                "monitoring_line": line,
                "stable_months": stable_months,
                "needs_met": dict.fromkeys(BASIC_NEEDS, True),
            }
        )
    elif method == EliminationMethod.NATURAL:
        if not reason:
            raise MonitoringRefused(_("自然消除须写明理由（如整户死亡、迁出）"), field="reason")
    else:
        raise MonitoringRefused(_("请选择风险消除方式"), field="method")
    record["flags"] = flags

    def pending(locked: MonitoringCase) -> None:
        locked.elimination_method = method

    return run_transition(
        case, name="propose_elimination", by=by, on=on, record=record, before_save=pending, request=request
    )


def record_elimination_appraisal(
    *,
    case: MonitoringCase,
    by: User,
    on: dt.date,
    attendees: Sequence[str],
    minutes: str,
    request: Any = None,
) -> MonitoringCase:
    """民主评议 of the elimination; its public notice starts."""
    return identification.record_appraisal(
        case=case,
        by=by,
        on=on,
        attendees=attendees,
        minutes=minutes,
        request=request,
        transition="record_elimination_appraisal",
        notice_kind=NoticeKind.ELIMINATION,
    )


def close_elimination_notice(
    *,
    case: MonitoringCase,
    by: User,
    on: dt.date,
    objections: Sequence[Mapping[str, str]] = (),
    request: Any = None,
) -> MonitoringCase:
    return identification.close_notice(
        case=case, by=by, on=on, objections=objections, request=request, transition="close_elimination_notice"
    )


def town_accept_elimination(
    *, case: MonitoringCase, by: User, on: dt.date, opinion: str = "", request: Any = None
) -> MonitoringCase:
    """乡镇审核（验收） of the elimination."""
    return identification.town_approve(
        case=case, by=by, on=on, opinion=opinion, request=request, transition="town_accept_elimination"
    )


def approve_elimination(
    *, case: MonitoringCase, by: User, on: dt.date, opinion: str = "", request: Any = None
) -> MonitoringCase:
    """县级审定: the risk is eliminated from ``on`` and announced. The household's record stays."""

    def eliminated(locked: MonitoringCase) -> None:
        locked.eliminated_on = on

    with transaction.atomic():
        case = identification.town_approve(
            case=case,
            by=by,
            on=on,
            opinion=opinion,
            request=request,
            transition="approve_elimination",
            before_save=eliminated,
        )
        notices.publish(case, kind=NoticeKind.ELIMINATION_ANNOUNCEMENT, on=on)
    return case


def roll_back_elimination(
    *, case: MonitoringCase, by: User, on: dt.date, reason: str, request: Any = None
) -> MonitoringCase:
    """风险消除回退 by the county, with a reason: the household is monitored again."""
    reason = clean_text(reason, limit=MAX_REASON, field="reason", label=_("回退理由"), required=True)

    def monitored_again(locked: MonitoringCase) -> None:
        locked.eliminated_on = None
        locked.elimination_method = ""

    def no_newer_case(locked: MonitoringCase) -> None:
        newer = MonitoringCase.objects.filter(household_id=locked.household_id).exclude(pk=locked.pk)
        if newer.exclude(state__in=ENDED_STATES).exists():
            raise MonitoringRefused(_("该户已重新进入识别或监测（新的案件），不能回退本次风险消除"))

    return run_transition(
        case,
        name="roll_back_elimination",
        by=by,
        on=on,
        reason=reason,
        check=no_newer_case,
        before_save=monitored_again,
        request=request,
    )

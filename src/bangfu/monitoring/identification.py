"""Writes of the identification procedure (识别认定): leads from every channel, their acceptance, and each
step of a case (``models.cases``: the state machine and its ``STEPS``).

Every function is one transaction that re-checks the user's role and scope (the transition's permission),
locks the case, records a ``CaseEvent`` for the timeline and an audit event, and sets the next step's
deadline from policy (calendar or working days, RULES §6.2). Dates are explicit (``on=``): the day the step
was done, never earlier than the day the case reached it. Refusals carry a Chinese message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from bangfu import policy
from bangfu.audit import events
from bangfu.core import idnumbers
from bangfu.core.crypto import blind_index
from bangfu.core.masking import scrub
from bangfu.datasets.models import DatasetKind, DatasetRecord
from bangfu.monitoring import access, notices
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.models import (
    ENDED_STATES,
    MAX_RISK_TYPES,
    STEPS,
    CaseEvent,
    CaseState,
    Category,
    Lead,
    LeadChannel,
    LeadStatus,
    MonitoringCase,
    NoticeKind,
    ScreeningWarning,
)
from bangfu.policy import deadlines
from bangfu.policy.exceptions import PolicyError
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from bangfu.regions.scoping import code_visible_to
from bangfu.registry.models import Household, HouseholdStatus, Member
from bangfu.registry.validation import is_phone, normalize_phone

if TYPE_CHECKING:
    from bangfu.accounts.models import User

MAX_TEXT = 1000
MAX_REASON = 500
# The basic needs checked at home (两不愁三保障 and water), RULES §7.
BASIC_NEEDS = ("food_clothing", "education", "medical", "housing", "water")


def _deadline(key: str, *, start: dt.date, region: str) -> deadlines.Deadline:
    try:
        return deadlines.due_date(key=key, start=start, region=region)
    except PolicyError as exc:
        raise MonitoringRefused(exc.message) from exc


def _risk_types(values: Iterable[str], *, region: str, on: dt.date, required: bool) -> list[str]:
    """Ordered, distinct, at most five, each from the code table in force (codes.risk_types)."""
    chosen: list[str] = []
    for value in values:
        value = str(value).strip()
        if value and value not in chosen:
            chosen.append(value)
    if required and not chosen:
        raise MonitoringRefused(_("请至少选择一种风险类型"), field="risk_types")
    if len(chosen) > MAX_RISK_TYPES:
        raise MonitoringRefused(
            _("风险类型最多填写%(count)d种（按主次排序）") % {"count": MAX_RISK_TYPES}, field="risk_types"
        )
    try:
        known = policy.value("codes.risk_types", region=region, on=on)
    except PolicyError as exc:
        raise MonitoringRefused(exc.message) from exc
    unknown = [value for value in chosen if value not in known]
    if unknown:
        raise MonitoringRefused(
            _("风险类型不在代码表中：%(values)s") % {"values": "、".join(unknown)}, field="risk_types"
        )
    return chosen


def clean_text(value: str, *, limit: int, field: str, label: str, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise MonitoringRefused(_("请填写%(label)s") % {"label": label}, field=field)
    if len(value) > limit:
        raise MonitoringRefused(_("%(label)s最多%(limit)d字") % {"label": label, "limit": limit}, field=field)
    return value


def income_window(*, region: str, on: dt.date) -> tuple[dt.date, dt.date]:
    """The income period of a judgement made on ``on``: the policy's number of whole months before the month
    of ``on`` (RULES §3.2: the 12 months up to the month before identification)."""
    try:
        months = int(policy.value("income_window_months", region=region, on=on))
    except PolicyError as exc:
        raise MonitoringRefused(exc.message) from exc
    first = on.year * 12 + on.month - 1 - months
    return dt.date(first // 12, first % 12 + 1, 1), on.replace(day=1) - dt.timedelta(days=1)


# --- leads ------------------------------------------------------------------------------------------------


def _lead_snapshot(lead: Lead) -> dict[str, Any]:
    """The lead for the audit trail: its personal fields are masked by the trail; the free text a person
    typed is scrubbed of ID-number- and phone-like digits too."""
    return {**events.snapshot(lead), "difficulty": scrub(lead.difficulty)}


def _home_of(id_number: str) -> Household | None:
    """The active household the person is a current member of, found by the blind index."""
    member = (
        Member.objects.current()
        .filter(id_number_index=blind_index(id_number, kind="id_number"))
        .select_related("household")
        .first()
    )
    if member is None or member.household.status != HouseholdStatus.ACTIVE:
        return None
    return member.household


def submit_self_report(
    *,
    region_code: str,
    name: str,
    phone: str,
    id_number: str,
    difficulty: str,
    risk_types: Sequence[str],
    on: dt.date,
    by: User | None = None,
    channel: str = LeadChannel.SELF_REPORT,
    client_ip: str = "",
    request: Any = None,
) -> Lead:
    """A household's own report (the public form reached by the village's QR code), or a hotline call that
    staff enter for the caller (``channel=hotline``, ``by`` the staff member). Lands in the town's inbox,
    to be accepted within ``deadline.self_report_acceptance``. A public report is limited per person and
    per sender address (``client_ip``, kept only as a blind index)."""
    if channel == LeadChannel.HOTLINE:
        if not access.can_enter_hotline(by):
            raise PermissionDenied(_("只有乡镇及以上工作人员可以登记热线来电。"))
        if not code_visible_to(by, region_code):
            raise PermissionDenied(_("该村不在您的管辖范围内。"))
    elif channel != LeadChannel.SELF_REPORT:
        raise ValueError(f"not a report channel: {channel}")
    if not Region.objects.filter(code=region_code, level=Level.VILLAGE).exists():
        raise MonitoringRefused(_("请选择所在村"), field="region_code")
    name = clean_text(name, limit=50, field="name", label=_("申报人姓名"), required=True)
    phone = normalize_phone(phone or "")
    if not is_phone(phone):
        raise MonitoringRefused(_("手机号码应为11位数字"), field="phone")
    try:
        number = idnumbers.parse(id_number, on=on).number
    except idnumbers.InvalidIdNumber as exc:
        raise MonitoringRefused(str(exc), field="id_number") from exc
    difficulty = clean_text(
        difficulty, limit=MAX_TEXT, field="difficulty", label=_("困难情况"), required=True
    )
    chosen = _risk_types(risk_types, region=region_code, on=on, required=False)
    due = _deadline("deadline.self_report_acceptance", start=on, region=region_code)
    person = blind_index(number, kind="id_number")
    client = blind_index(client_ip, kind="client_ip") if client_ip else ""
    household = _home_of(number)
    if household is not None and by is not None and not code_visible_to(by, household.region_code):
        # Staff entering a call learn nothing about a household outside their area: the town links it.
        household = None
    with transaction.atomic():
        if channel == LeadChannel.SELF_REPORT:
            _throttle(person=person, client=client, village=region_code)
        lead = Lead.objects.create(
            channel=channel,
            region_code=household.region_code if household is not None else region_code,
            household=household,
            applicant_name=name,
            phone=phone,
            id_number=number,
            id_number_index=person,
            client_index=client,
            difficulty=difficulty,
            risk_types=chosen,
            received_on=on,
            due_on=due.date,
            reported_by=by,
        )
        events.created(actor=by, obj=lead, after=_lead_snapshot(lead), request=request)
    return lead


# A public report: at most this many per person a day, per sender address an hour, and per village a day (a
# cap that holds even when many phones share one address).
REPORTS_PER_PERSON_PER_DAY = 3
REPORTS_PER_CLIENT_PER_HOUR = 10
REPORTS_PER_VILLAGE_PER_DAY = 30


def _throttle(*, person: str, client: str, village: str) -> None:
    """Called inside the report's transaction (on PostgreSQL the village's earlier reports are locked, so
    two reports at once are counted one after the other)."""
    now = timezone.now()
    recent = Lead.objects.filter(channel=LeadChannel.SELF_REPORT)
    day = now - dt.timedelta(days=1)
    if len(recent.select_for_update().filter(region_code=village, created_at__gte=day).values_list("pk")) >= (
        REPORTS_PER_VILLAGE_PER_DAY
    ):
        raise MonitoringRefused(_("本村今日申报已达上限，请联系村委会或拨打热线"))
    if recent.filter(id_number_index=person, created_at__gte=day).count() >= REPORTS_PER_PERSON_PER_DAY:
        raise MonitoringRefused(
            _("同一身份证号码24小时内最多申报%(n)d次，请等待乡镇受理") % {"n": REPORTS_PER_PERSON_PER_DAY}
        )
    if client and recent.filter(client_index=client, created_at__gte=now - dt.timedelta(hours=1)).count() >= (
        REPORTS_PER_CLIENT_PER_HOUR
    ):
        raise MonitoringRefused(_("提交过于频繁，请稍后再试"))


def report_by_cadre(
    *,
    household: Household,
    by: User,
    on: dt.date,
    difficulty: str,
    risk_types: Sequence[str],
    request: Any = None,
) -> MonitoringCase:
    """基层干部排查: a cadre reports a household found at risk; the case opens at once (the village's own
    finding needs no acceptance)."""
    if not access.can_report(by):
        raise PermissionDenied(_("只有驻村工作队或乡镇可以报告监测线索。"))
    if not code_visible_to(by, household.region_code):
        raise PermissionDenied(_("该户不在您的管辖范围内。"))
    difficulty = clean_text(
        difficulty, limit=MAX_TEXT, field="difficulty", label=_("困难情况"), required=True
    )
    chosen = _risk_types(risk_types, region=household.region_code, on=on, required=True)
    with transaction.atomic():
        lead = Lead.objects.create(
            channel=LeadChannel.CADRE_REPORT,
            region_code=household.region_code,
            household=household,
            difficulty=difficulty,
            risk_types=chosen,
            received_on=on,
            due_on=on,
            status=LeadStatus.ACCEPTED,
            reported_by=by,
            decided_by=by,
            decided_at=timezone.now(),
        )
        events.created(actor=by, obj=lead, after=_lead_snapshot(lead), request=request)
        return _open_case(lead, household=household, by=by, on=on, request=request)


def lead_from_warning(
    *, warning: ScreeningWarning, by: User, on: dt.date, request: Any = None
) -> MonitoringCase:
    """部门筛查预警: a warning the village included after checking it opens a case (called inside
    ``answer_warning``'s transaction)."""
    household = warning.household
    if on > timezone.localdate() or on < warning.screened_on:
        raise MonitoringRefused(_("纳入日期须在筛查日期与今天之间"), field="on")
    lead = Lead.objects.create(
        channel=LeadChannel.DEPARTMENT_WARNING,
        region_code=household.region_code,
        household=household,
        warning=warning,
        difficulty=_("预警规则 %(code)s") % {"code": warning.rule_code},
        risk_types=[warning.risk_type] if warning.risk_type else [],
        received_on=warning.screened_on,
        due_on=warning.due_on,
        status=LeadStatus.ACCEPTED,
        reported_by=None,
        decided_by=by,
        decided_at=timezone.now(),
    )
    events.created(actor=by, obj=lead, after=_lead_snapshot(lead), request=request)
    return _open_case(lead, household=household, by=by, on=on, request=request)


def _deciding(lead: Lead, by: User) -> Lead:
    if not access.can_decide_leads(by):
        raise PermissionDenied(_("只有乡镇可以受理线索。"))
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if not code_visible_to(by, locked.region_code):
        raise PermissionDenied(_("该线索不在您的管辖范围内。"))
    if locked.status != LeadStatus.PENDING:
        raise MonitoringRefused(
            _("该线索当前为“%(status)s”，不能再处理") % {"status": locked.get_status_display()}
        )
    return locked


def accept_lead(
    *, lead: Lead, by: User, on: dt.date, household: Household | None = None, request: Any = None
) -> MonitoringCase:
    """The town accepts a reported lead: a case opens for its household (the one the ID number matched, or
    the one the town found for it)."""
    with transaction.atomic():
        locked = _deciding(lead, by)
        household = household or locked.household
        if household is None:
            raise MonitoringRefused(
                _("申报人不是系统中在册农户的成员：请先找到其所在农户（或先登记农户），再受理"),
                field="household",
            )
        if not code_visible_to(by, household.region_code) or household.status != HouseholdStatus.ACTIVE:
            raise MonitoringRefused(_("所选农户不在您的管辖范围内或已注销"), field="household")
        if on < locked.received_on:
            raise MonitoringRefused(_("受理日期不能早于收到日期"), field="on")
        if on > timezone.localdate():
            raise MonitoringRefused(_("办理日期不能晚于今天"), field="on")
        before = {"status": locked.status, "household": locked.household_id}
        locked.status = LeadStatus.ACCEPTED
        locked.household = household
        locked.region_code = household.region_code
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "household", "region_code", "decided_by", "decided_at"])
        events.updated(
            actor=by,
            obj=locked,
            before=before,
            after={"status": locked.status, "household": household.pk},
            request=request,
        )
        return _open_case(locked, household=household, by=by, on=on, request=request)


def decline_lead(*, lead: Lead, by: User, reason: str, request: Any = None) -> Lead:
    """The town declines a reported lead with a reason (e.g. not a rural household, a duplicate report)."""
    reason = clean_text(reason, limit=MAX_REASON, field="reason", label=_("不予受理理由"), required=True)
    with transaction.atomic():
        locked = _deciding(lead, by)
        locked.status = LeadStatus.DECLINED
        locked.decline_reason = reason
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decline_reason", "decided_by", "decided_at"])
        events.updated(
            actor=by,
            obj=locked,
            before={"status": LeadStatus.PENDING},
            after={"status": locked.status, "decline_reason": reason},
            request=request,
        )
    return locked


def _open_case(lead: Lead, *, household: Household, by: User, on: dt.date, request: Any) -> MonitoringCase:
    """A new case for the lead's household — or, when the household is already being identified or
    monitored, the lead joins that case's timeline (a new risk for the same household is not a new case)."""
    region = household.region_code
    current = _current_case(household)
    if current is None:
        overall = _deadline("deadline.identification", start=on, region=region)
        first = _deadline(STEPS[CaseState.APPLICATION].deadline, start=on, region=region)
        try:
            with transaction.atomic():
                case = MonitoringCase.objects.create(
                    household=household,
                    lead=lead,
                    region_code=region,
                    opened_on=on,
                    due_on=overall.date,
                    step_started_on=on,
                    step_due_on=first.date,
                    due_provisional=overall.provisional or first.provisional,
                    risk_types=list(lead.risk_types),
                )
        except IntegrityError:  # a concurrent lead opened it first
            current = _current_case(household)
            if current is None:
                raise
        else:
            CaseEvent.objects.create(
                case=case,
                region_code=region,
                action="open",
                to_state=case.state,
                on=on,
                by=by,
                record={"channel": lead.channel, "lead": lead.pk},
            )
            events.created(actor=by, obj=case, after=events.snapshot(case), request=request)
            return case
    CaseEvent.objects.create(
        case=current,
        region_code=current.region_code,
        action="lead",
        from_state=current.state,
        to_state=current.state,
        on=on,
        by=by,
        record={"channel": lead.channel, "lead": lead.pk, "risk_types": lead.risk_types},
    )
    return current


def _current_case(household: Household) -> MonitoringCase | None:
    return MonitoringCase.objects.filter(household=household).exclude(state__in=ENDED_STATES).first()


# --- the steps ---------------------------------------------------------------------------------------------


def run_transition(
    case: MonitoringCase,
    *,
    name: str,
    by: User,
    on: dt.date,
    record: Mapping[str, Any] | None = None,
    reason: str = "",
    attachment: UploadedFile | None = None,
    args: Sequence[Any] = (),
    before_save: Callable[[MonitoringCase], None] | None = None,
    check: Callable[[MonitoringCase], None] | None = None,
    request: Any = None,
) -> MonitoringCase:
    """Run transition ``name`` on the locked case: checks, state change, next deadline, timeline, audit."""
    with transaction.atomic():
        locked = MonitoringCase.objects.select_for_update().get(pk=case.pk)
        method = getattr(locked, name)
        if not can_proceed(method):
            raise MonitoringRefused(
                _("该户当前处于“%(state)s”环节，不能办理此操作") % {"state": locked.get_state_display()}
            )
        if not has_transition_perm(method, by):
            raise PermissionDenied(
                _("您不能办理该户当前的“%(state)s”环节。") % {"state": locked.get_state_display()}
            )
        if on < locked.step_started_on:
            raise MonitoringRefused(
                _("办理日期不能早于本环节开始日期 %(day)s") % {"day": locked.step_started_on.isoformat()},
                field="on",
            )
        if on > timezone.localdate():
            raise MonitoringRefused(_("办理日期不能晚于今天"), field="on")
        if check is not None:
            check(locked)
        from_state = locked.state
        before = events.snapshot(locked, STATE_FIELDS)
        method(*args)
        if before_save is not None:
            before_save(locked)
        _set_step_deadline(locked, on)
        locked.save()
        CaseEvent.objects.create(
            case=locked,
            region_code=locked.region_code,
            action=name,
            from_state=from_state,
            to_state=locked.state,
            on=on,
            by=by,
            reason=reason,
            record=events.json_safe(dict(record or {})),
            attachment=attachment,
        )
        events.updated(
            actor=by, obj=locked, before=before, after=events.snapshot(locked, STATE_FIELDS), request=request
        )
    return locked


NOTICE_STATES = frozenset({CaseState.VILLAGE_NOTICE, CaseState.ELIMINATION_NOTICE})
STATE_FIELDS = (
    "state",
    "step_started_on",
    "step_due_on",
    "risk_types",
    "category",
    "no_labour",
    "notice_starts_on",
    "notice_ends_on",
    "monitored_from",
    "closed_on",
    "elimination_method",
    "eliminated_on",
    "restarted_on",
)


def _set_step_deadline(case: MonitoringCase, on: dt.date) -> None:
    """The new step begins on ``on``; its deadline from policy (none once the procedure has ended). A step
    counted from the opening counts from the last return instead, once the case has been sent back."""
    case.step_started_on = on
    step = STEPS.get(case.state)
    if step is None:
        # The procedure ended (monitored, not included, eliminated): the first end is when it closed.
        case.step_due_on = None
        if case.closed_on is None:
            case.closed_on = on
        return
    if case.state in NOTICE_STATES and case.notice_ends_on is not None:
        case.step_due_on = case.notice_ends_on
        return
    start = max(case.opened_on, case.restarted_on or case.opened_on) if step.from_opening else on
    due = _deadline(step.deadline, start=start, region=case.region_code)
    case.step_due_on = due.date
    case.due_provisional = case.due_provisional or due.provisional


def sign_application(
    *,
    case: MonitoringCase,
    by: User,
    on: dt.date,
    pledge_photo: UploadedFile | None = None,
    proxy_name: str = "",
    proxy_relation: str = "",
    request: Any = None,
) -> MonitoringCase:
    """《监测对象申请及承诺授权查询书》: a photo of the signed (fingerprinted) pledge, or — for an applicant
    who cannot write — the proxy who filled it in and read it back (RULES §6.3)."""
    proxy_name = clean_text(proxy_name, limit=50, field="proxy_name", label=_("代填人姓名"))
    proxy_relation = clean_text(proxy_relation, limit=50, field="proxy_relation", label=_("代填人身份"))
    if pledge_photo is None and not proxy_name:
        raise MonitoringRefused(
            _("请上传签字（按手印）的申请及承诺书照片，或填写代填人"), field="pledge_photo"
        )
    if proxy_name and not proxy_relation:
        raise MonitoringRefused(_("请填写代填人身份（如村干部、网格员、近亲属）"), field="proxy_relation")
    record = {"proxy_name": proxy_name, "proxy_relation": proxy_relation} if proxy_name else {}
    return run_transition(
        case, name="sign_application", by=by, on=on, record=record, attachment=pledge_photo, request=request
    )


def clean_money(value: Any, *, field: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise MonitoringRefused(_("%(label)s应为金额（元）") % {"label": label}, field=field) from exc
    if not amount.is_finite():
        raise MonitoringRefused(_("%(label)s应为金额（元）") % {"label": label}, field=field)
    return amount


def record_home_check(
    *,
    case: MonitoringCase,
    by: User,
    on: dt.date,
    members: int,
    net_income: Any,
    out_of_pocket: Any,
    needs_met: Mapping[str, bool],
    risk_types: Sequence[str],
    note: str = "",
    request: Any = None,
) -> MonitoringCase:
    """入户核查: household size on the day, net income over the policy's window (months before the check)
    and the compliant out-of-pocket spending in it, each basic need met or not, the risk types in order."""
    if members < 1:
        raise MonitoringRefused(_("家庭人口数至少为1"), field="members")
    income = clean_money(net_income, field="net_income", label=_("家庭纯收入"))
    spending = clean_money(out_of_pocket, field="out_of_pocket", label=_("合规自付支出"))
    if spending < 0:
        raise MonitoringRefused(_("合规自付支出不能为负数"), field="out_of_pocket")
    missing = [need for need in BASIC_NEEDS if need not in needs_met]
    if missing:
        raise MonitoringRefused(_("请逐项填写两不愁三保障及饮水安全情况"), field="needs_met")
    chosen = _risk_types(risk_types, region=case.region_code, on=on, required=True)
    note = clean_text(note, limit=MAX_TEXT, field="note", label=_("核查说明"))
    start, end = income_window(region=case.region_code, on=on)
    per_capita = (income / members).quantize(Decimal("0.01"))
    record = {
        "members": members,
        "window": [start, end],
        "net_income": income,
        "net_income_per_capita": per_capita,
        "out_of_pocket": spending,
        "needs_met": {need: bool(needs_met[need]) for need in BASIC_NEEDS},
        "risk_types": chosen,
        "note": note,
    }

    def keep(locked: MonitoringCase) -> None:
        locked.risk_types = chosen

    return run_transition(
        case, name="record_home_check", by=by, on=on, record=record, before_save=keep, request=request
    )


# 信息比对 compares the household with the asset checks (vehicles, property, business, public payroll) and
# the social-assistance lists; health, disability and other department records stay with their departments.
COMPARED_KINDS = (DatasetKind.ASSETS, DatasetKind.ASSISTANCE)


def comparison_findings(case: MonitoringCase, *, on: dt.date) -> list[dict[str, Any]]:
    """信息比对: what the current asset checks and assistance lists hold on the household's members dated
    from the income window's start to ``on`` — assets (vehicles, property, business, public payroll)
    first. No ID numbers."""
    since, _end = income_window(region=case.region_code, on=on)
    rows = (
        DatasetRecord.objects.filter(
            household_id=case.household_id, version__is_current=True, kind__in=COMPARED_KINDS
        )
        .filter(event_date__gte=since, event_date__lte=on)
        .select_related("member")
        .order_by("kind", "event_date", "id")
    )
    labels = dict(DatasetKind.choices)
    findings = [
        {
            "kind": row.kind,
            "kind_label": str(labels.get(row.kind, row.kind)),
            "member": row.member.name if row.member is not None else row.name,
            "date": row.event_date,
            "category": row.category,
            "grade": row.grade,
            "amount": row.amount,
            "text": row.text,
        }
        for row in rows
    ]
    findings.sort(key=lambda item: item["kind"] != DatasetKind.ASSETS)
    return findings


def compare_data(*, case: MonitoringCase, by: User, on: dt.date, request: Any = None) -> MonitoringCase:
    """Run the automatic comparison and attach its findings to the case (the village reads them at the
    appraisal)."""
    findings = comparison_findings(case, on=on)
    record = {"findings": findings, "assets_found": any(f["kind"] == DatasetKind.ASSETS for f in findings)}
    return run_transition(case, name="compare_data", by=by, on=on, record=record, request=request)


def record_appraisal(
    *,
    case: MonitoringCase,
    by: User,
    on: dt.date,
    attendees: Sequence[str],
    minutes: str,
    request: Any = None,
    transition: str = "record_appraisal",
    notice_kind: str = NoticeKind.IDENTIFICATION,
) -> MonitoringCase:
    """民主评议 held on ``on`` and agreed (a meeting that finds the household ineligible ends the case with
    ``reject``); the village notice starts the same day, lasts the policy's minimum and is published.
    (``transition`` and ``notice_kind``: the same meeting for an elimination, ``monitoring.elimination``.)"""
    names = [name.strip() for name in attendees if name and name.strip()]
    if len(names) < 3:
        raise MonitoringRefused(_("民主评议参会人员至少3人"), field="attendees")
    minutes = clean_text(minutes, limit=5000, field="minutes", label=_("会议记录"), required=True)
    ends = _deadline("deadline.village_notice", start=on, region=case.region_code)

    def notice(locked: MonitoringCase) -> None:
        locked.notice_starts_on = on
        locked.notice_ends_on = ends.date

    with transaction.atomic():
        case = run_transition(
            case,
            name=transition,
            by=by,
            on=on,
            record={"attendees": names, "minutes": minutes},
            before_save=notice,
            request=request,
        )
        notices.publish(case, kind=notice_kind, on=on)
    return case


def close_notice(
    *,
    case: MonitoringCase,
    by: User,
    on: dt.date,
    objections: Sequence[Mapping[str, str]] = (),
    request: Any = None,
    transition: str = "close_notice",
) -> MonitoringCase:
    """村内公示 over with the objections received and how each was handled (an upheld objection sends the case
    back to the home check instead: ``send_back``); to the town."""
    kept = []
    for objection in objections:
        content = clean_text(
            objection.get("content", ""), limit=MAX_REASON, field="objections", label=_("异议内容")
        )
        handling = clean_text(
            objection.get("handling", ""), limit=MAX_REASON, field="objections", label=_("处理情况")
        )
        if content and not handling:
            raise MonitoringRefused(_("每条异议都须写明处理情况"), field="objections")
        if content:
            kept.append({"content": content, "handling": handling})

    def over(locked: MonitoringCase) -> None:
        if locked.notice_ends_on is None or on < locked.notice_ends_on:
            raise MonitoringRefused(
                _("公示期未满：%(day)s 起方可报送乡镇审核")
                % {"day": locked.notice_ends_on.isoformat() if locked.notice_ends_on else "—"},
                field="on",
            )

    return run_transition(
        case, name=transition, by=by, on=on, record={"objections": kept}, check=over, request=request
    )


def town_approve(
    *,
    case: MonitoringCase,
    by: User,
    on: dt.date,
    opinion: str = "",
    request: Any = None,
    transition: str = "town_approve",
    before_save: Callable[[MonitoringCase], None] | None = None,
) -> MonitoringCase:
    """乡镇审核 passed, with the town's opinion (``transition``: any review that records an opinion only)."""
    opinion = clean_text(opinion, limit=MAX_REASON, field="opinion", label=_("审核意见"))
    return run_transition(
        case,
        name=transition,
        by=by,
        on=on,
        record={"opinion": opinion},
        before_save=before_save,
        request=request,
    )


def check_category(category: str, household: Household) -> None:
    """RULES §1.2: 脱贫不稳定户 only for a former registered-poor household, 边缘易致贫户 only for one that
    was not; 突发严重困难户 for either."""
    if category not in Category.values:
        raise MonitoringRefused(_("请选择监测对象类别"), field="category")
    if category == Category.UNSTABLE_EXITED and not household.is_exited_poor:
        raise MonitoringRefused(_("该户不是脱贫户，不能认定为脱贫不稳定户"), field="category")
    if category == Category.EDGE and household.is_exited_poor:
        raise MonitoringRefused(
            _("该户是脱贫户，不能认定为边缘易致贫户（应为脱贫不稳定户或突发严重困难户）"), field="category"
        )


def county_approve(
    *,
    case: MonitoringCase,
    by: User,
    on: dt.date,
    category: str,
    risk_types: Sequence[str],
    no_labour: bool,
    opinion: str = "",
    request: Any = None,
) -> MonitoringCase:
    """县级审定: the category (checked against the household), the risk types in order and whether the whole
    household is without labour (such households are not eliminated by income alone, RULES §8)."""
    household = Household.objects.get(pk=case.household_id)
    check_category(category, household)
    chosen = _risk_types(risk_types, region=case.region_code, on=on, required=True)
    opinion = clean_text(opinion, limit=MAX_REASON, field="opinion", label=_("审定意见"))

    def confirm(locked: MonitoringCase) -> None:
        locked.category = category
        locked.risk_types = chosen
        locked.no_labour = no_labour

    return run_transition(
        case,
        name="county_approve",
        by=by,
        on=on,
        record={"category": category, "risk_types": chosen, "no_labour": no_labour, "opinion": opinion},
        before_save=confirm,
        request=request,
    )


def announce(*, case: MonitoringCase, by: User, on: dt.date, request: Any = None) -> MonitoringCase:
    """结果公告 posted in the village in the town's name (published): the household is monitored from
    ``on``."""

    def monitored(locked: MonitoringCase) -> None:
        locked.monitored_from = on

    with transaction.atomic():
        case = run_transition(case, name="announce", by=by, on=on, before_save=monitored, request=request)
        notices.publish(case, kind=NoticeKind.ANNOUNCEMENT, on=on)
    return case


def send_back(
    *, case: MonitoringCase, by: User, on: dt.date, to: str, reason: str, request: Any = None
) -> MonitoringCase:
    """Back to an earlier step, with a reason (an upheld objection, a review that found the check wrong)."""
    reason = clean_text(reason, limit=MAX_REASON, field="reason", label=_("退回理由"), required=True)

    def allowed(locked: MonitoringCase) -> None:
        if to not in STEPS[locked.state].returns_to:
            raise MonitoringRefused(
                _("不能从“%(state)s”退回到该环节") % {"state": locked.get_state_display()}, field="to"
            )

    def withdrawn(locked: MonitoringCase) -> None:
        locked.restarted_on = on
        # An elimination sent back: the household stays monitored, no elimination pending.
        if to == CaseState.MONITORED:
            locked.elimination_method = ""

    return run_transition(
        case,
        name="send_back",
        by=by,
        on=on,
        reason=reason,
        args=(to,),
        check=allowed,
        before_save=withdrawn,
        request=request,
    )


def reject(
    *, case: MonitoringCase, by: User, on: dt.date, reason: str, request: Any = None
) -> MonitoringCase:
    """不予纳入, with a reason; the household may be reported again later (a new lead, a new case)."""
    reason = clean_text(reason, limit=MAX_REASON, field="reason", label=_("不予纳入理由"), required=True)
    return run_transition(case, name="reject", by=by, on=on, reason=reason, request=request)

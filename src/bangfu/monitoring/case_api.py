"""Cases, leads and visits in the API (/api/v1/cases, /api/v1/leads, /api/v1/visits): the same scope
(``visible_to``), permissions (``access`` and the transitions' own) and services as the pages; a step's
fields are checked by the page's form for that step, so both accept and refuse the same input."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import AuthorizationError

from bangfu import policy
from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.core.masking import mask_id_number, mask_phone
from bangfu.core.schemas import ErrorOut, page_by_id
from bangfu.monitoring import access, identification, visits
from bangfu.monitoring.case_forms import (
    STEP_FORMS,
    EliminationForm,
    RejectForm,
    RollBackForm,
    SendBackForm,
    StepForm,
)
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.models import (
    STEPS,
    CaseEvent,
    CaseState,
    IncomeChange,
    Lead,
    LeadChannel,
    LeadStatus,
    MonitoringCase,
    Visit,
)
from bangfu.monitoring.models.cases import late_q
from bangfu.monitoring.steps import SERVICES
from bangfu.policy.exceptions import PolicyError
from bangfu.regions.scoping import get_for_user
from bangfu.registry.models import Household
from bangfu.registry.search import DEFAULT_LIMIT, MAX_LIMIT

router = Router(tags=["cases"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class CaseOut(Schema):
    id: int
    household_id: int
    household_number: str
    region_code: str = Field(description="所在村")
    channel: LeadChannel = Field(description="线索来源渠道")
    state: CaseState = Field(description="当前环节")
    opened_on: dt.date
    step_due_on: dt.date | None = Field(description="本环节期限（已办结为 null）")
    due_on: dt.date = Field(description="识别认定办结期限")
    late: bool = Field(description="本环节或整体已逾期（未办结）")
    provisional: bool = Field(description="期限按尚未公布的放假安排暂定")
    risk_types: list[str] = Field(description="风险类型，按主次排序")
    category: str = Field(description="监测对象类别（县级审定后）")
    no_labour: bool = Field(description="整户无劳动力")
    monitored_from: dt.date | None
    elimination_method: str = Field(description="风险消除方式（帮扶消除 by_assistance / 自然消除 natural）")
    eliminated_on: dt.date | None

    @staticmethod
    def of(case: MonitoringCase, today: dt.date) -> CaseOut:
        return CaseOut(
            id=case.pk,
            household_id=case.household_id,
            household_number=case.household.household_number,
            region_code=case.region_code,
            channel=LeadChannel(case.lead.channel),
            state=CaseState(case.state),
            opened_on=case.opened_on,
            step_due_on=case.step_due_on,
            due_on=case.due_on,
            late=case.is_late(today),
            provisional=case.due_provisional,
            risk_types=list(case.risk_types),
            category=case.category,
            no_labour=case.no_labour,
            monitored_from=case.monitored_from,
            elimination_method=case.elimination_method,
            eliminated_on=case.eliminated_on,
        )


class EventOut(Schema):
    action: str
    from_state: str
    to_state: str
    on: dt.date
    by: str
    reason: str
    record: dict[str, Any] = Field(description="本环节记录（核查结果、参会人员、异议等；不含身份证号）")


class CaseDetailOut(CaseOut):
    events: list[EventOut]


class CasePage(Schema):
    items: list[CaseOut]
    next_after: int | None = Field(description="下一页：把它作为 after 传回；没有更多时为 null")


class CaseQuery(Schema):
    state: CaseState | None = Field(None, description="环节；缺省为全部正在识别的")
    late: bool = Field(False, description="只看已逾期的")
    after: int | None = Field(None, description="上一页的 next_after")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"每页条数（1–{MAX_LIMIT}）")


class StepIn(Schema):
    action: str = Field(
        description="本环节的办理动作（如 record_home_check），或 send_back 退回、reject 不予纳入；"
        "监测中的农户 propose_elimination 提出风险消除，已消除的 roll_back_elimination 回退"
    )
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description="与页面表单相同的字段，如 on、members、net_income、risk_1…；申请承诺书照片只能在页面上传",
    )


class LeadOut(Schema):
    id: int
    channel: LeadChannel
    status: LeadStatus
    region_code: str
    household_id: int | None
    applicant_name: str
    id_number: str = Field(description="身份证号码（脱敏）")
    phone: str = Field(description="联系电话（脱敏）")
    difficulty: str
    risk_types: list[str]
    received_on: dt.date
    due_on: dt.date = Field(description="受理期限")
    late: bool
    decline_reason: str

    @staticmethod
    def of(lead: Lead, today: dt.date) -> LeadOut:
        return LeadOut(
            id=lead.pk,
            channel=LeadChannel(lead.channel),
            status=LeadStatus(lead.status),
            region_code=lead.region_code,
            household_id=lead.household_id,
            applicant_name=lead.applicant_name,
            id_number=mask_id_number(lead.id_number),
            phone=mask_phone(lead.phone),
            difficulty=lead.difficulty,
            risk_types=list(lead.risk_types),
            received_on=lead.received_on,
            due_on=lead.due_on,
            late=lead.status == LeadStatus.PENDING and lead.due_on < today,
            decline_reason=lead.decline_reason,
        )


class LeadPage(Schema):
    items: list[LeadOut]
    next_after: int | None


class LeadQuery(Schema):
    status: LeadStatus | None = Field(None, description="状态；缺省为全部")
    after: int | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class HotlineIn(Schema):
    region_code: str = Field(description="来电人所在村（12位区划代码）")
    name: str
    phone: str
    id_number: str
    difficulty: str
    risk_types: list[str] = Field(default_factory=list)


class AcceptIn(Schema):
    on: dt.date = Field(description="受理日期")
    household_id: int | None = Field(None, description="申报人不是在册成员时：其所在农户")


class DeclineIn(Schema):
    reason: str


class ReportIn(Schema):
    household_id: int
    on: dt.date
    difficulty: str
    risk_types: list[str]


def _reader(request: HttpRequest) -> User:
    user = current_user(request)
    if user is None or not access.can_read_cases(user):
        raise AuthorizationError(403, _("您的角色不能查看监测对象识别。"))
    return user


def _refused(exc: MonitoringRefused) -> Status[dict[str, str]]:
    message = exc.message if not exc.field else f"{exc.field}: {exc.message}"
    return Status(422, {"code": "invalid", "message": message})


def _cases() -> Any:
    return MonitoringCase.objects.select_related("household", "lead")


@router.get("/cases", response={200: CasePage, **ERRORS}, summary="监测对象识别")
def list_cases(request: HttpRequest, query: Query[CaseQuery]) -> Any:
    """The open cases of the caller's scope (or those of one step), in keyset pages by id."""
    user = _reader(request)
    today = timezone.localdate()
    cases = _cases().visible_to(user)
    cases = cases.filter(state=query.state.value) if query.state is not None else cases.open()
    if query.late:
        cases = cases.open().filter(late_q(today))
    rows, next_after = page_by_id(cases, after=query.after, limit=query.limit)
    return CasePage(items=[CaseOut.of(case, today) for case in rows], next_after=next_after)


# Declared before /cases/{case_id}: the API matches paths in the order they are declared.
@router.post(
    "/cases/report", response={200: CaseOut, 422: ErrorOut, **ERRORS}, summary="报告监测线索（基层干部排查）"
)
def report_case(request: HttpRequest, payload: ReportIn) -> Any:
    user = _reader(request)
    if not access.can_report(user):
        raise AuthorizationError(403, _("只有驻村工作队或乡镇可以报告监测线索。"))
    household = get_for_user(Household.objects.all(), user, pk=payload.household_id)
    try:
        case = identification.report_by_cadre(
            household=household,
            by=user,
            on=payload.on,
            difficulty=payload.difficulty,
            risk_types=payload.risk_types,
            request=request,
        )
    except MonitoringRefused as exc:
        return _refused(exc)
    return CaseOut.of(_cases().get(pk=case.pk), timezone.localdate())


def _detail(case: MonitoringCase) -> CaseDetailOut:
    events = [
        EventOut(
            action=event.action,
            from_state=event.from_state,
            to_state=event.to_state,
            on=event.on,
            by=str(event.by),
            reason=event.reason,
            record=event.record,
        )
        for event in CaseEvent.objects.filter(case=case).select_related("by").order_by("at", "id")
    ]
    return CaseDetailOut(**CaseOut.of(case, timezone.localdate()).dict(), events=events)


@router.get("/cases/{case_id}", response={200: CaseDetailOut, **ERRORS}, summary="识别详情及办理记录")
def get_case(request: HttpRequest, case_id: int) -> Any:
    user = _reader(request)
    return _detail(get_for_user(_cases(), user, pk=case_id))


def _form_for(case: MonitoringCase, action: str, fields: dict[str, Any]) -> StepForm | None:
    today = timezone.localdate()
    if action == "send_back":
        return SendBackForm(fields, state=case.state)
    if action == "reject":
        return RejectForm(fields)
    if action == "propose_elimination" and case.state == CaseState.MONITORED:
        return EliminationForm(fields)
    if action == "roll_back_elimination" and case.state == CaseState.ELIMINATED:
        return RollBackForm(fields)
    forward = STEP_FORMS.get(case.state)
    if forward is None or forward[0] != action:
        return None
    try:
        choices = list(policy.value("codes.risk_types", region=case.region_code, on=today))
    except PolicyError:
        choices = []
    kwargs: dict[str, Any] = {"risk_choices": choices}
    if action == "county_approve":
        kwargs["initial_risks"] = case.risk_types
    return forward[1](fields, **kwargs)


@router.post(
    "/cases/{case_id}/steps",
    response={200: CaseDetailOut, 422: ErrorOut, **ERRORS},
    summary="办理当前环节（或退回、不予纳入）",
)
def do_step(request: HttpRequest, case_id: int, payload: StepIn) -> Any:
    """The current step's action with the same fields as its form on the case page; the step's level within
    its scope only (403 otherwise)."""
    user = _reader(request)
    case = get_for_user(_cases(), user, pk=case_id)
    form = _form_for(case, payload.action, payload.fields)
    if form is None and case.state not in STEPS:
        return Status(422, {"code": "invalid", "message": _("该户的识别已办结")})
    if form is None:
        return Status(
            422,
            {
                "code": "invalid",
                "message": _("该户当前处于“%(state)s”环节，应办理 %(action)s")
                % {"state": case.get_state_display(), "action": STEP_FORMS[case.state][0]},
            },
        )
    if not form.is_valid():
        message = "；".join(f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items())
        return Status(422, {"code": "invalid", "message": message})
    try:
        SERVICES[payload.action](case=case, by=user, request=request, **form.arguments())
    except PermissionDenied as exc:
        return Status(403, {"code": "forbidden", "message": str(exc)})
    except MonitoringRefused as exc:
        return _refused(exc)
    return _detail(get_for_user(_cases(), user, pk=case_id))


@router.get("/leads", response={200: LeadPage, **ERRORS}, summary="申报线索")
def list_leads(request: HttpRequest, query: Query[LeadQuery]) -> Any:
    """Leads of the caller's scope from every channel, identifiers masked, in keyset pages by id."""
    user = _reader(request)
    today = timezone.localdate()
    leads = Lead.objects.visible_to(user)
    if query.status is not None:
        leads = leads.filter(status=query.status.value)
    rows, next_after = page_by_id(leads, after=query.after, limit=query.limit)
    return LeadPage(items=[LeadOut.of(lead, today) for lead in rows], next_after=next_after)


@router.post("/leads", response={200: LeadOut, 422: ErrorOut, **ERRORS}, summary="登记热线来电")
def enter_hotline(request: HttpRequest, payload: HotlineIn) -> Any:
    """A hotline call entered for the caller; it waits in the town's inbox like a self-report."""
    user = _reader(request)
    if not access.can_enter_hotline(user):
        raise AuthorizationError(403, _("只有乡镇及以上工作人员可以登记热线来电。"))
    try:
        lead = identification.submit_self_report(
            region_code=payload.region_code,
            name=payload.name,
            phone=payload.phone,
            id_number=payload.id_number,
            difficulty=payload.difficulty,
            risk_types=payload.risk_types,
            on=timezone.localdate(),
            by=user,
            channel=LeadChannel.HOTLINE,
            request=request,
        )
    except PermissionDenied as exc:
        return Status(403, {"code": "forbidden", "message": str(exc)})
    except MonitoringRefused as exc:
        return _refused(exc)
    return LeadOut.of(lead, timezone.localdate())


def _decider(request: HttpRequest, lead_id: int) -> tuple[User, Lead]:
    user = _reader(request)
    if not access.can_decide_leads(user):
        raise AuthorizationError(403, _("只有乡镇可以受理线索。"))
    return user, get_for_user(Lead.objects.all(), user, pk=lead_id)


@router.post(
    "/leads/{lead_id}/accept", response={200: CaseOut, 422: ErrorOut, **ERRORS}, summary="受理线索，开始识别"
)
def accept_lead(request: HttpRequest, lead_id: int, payload: AcceptIn) -> Any:
    user, lead = _decider(request, lead_id)
    household = (
        get_for_user(Household.objects.all(), user, pk=payload.household_id)
        if payload.household_id is not None
        else None
    )
    try:
        case = identification.accept_lead(
            lead=lead, by=user, on=payload.on, household=household, request=request
        )
    except MonitoringRefused as exc:
        return _refused(exc)
    return CaseOut.of(_cases().get(pk=case.pk), timezone.localdate())


@router.post("/leads/{lead_id}/decline", response={200: LeadOut, 422: ErrorOut, **ERRORS}, summary="不予受理")
def decline_lead(request: HttpRequest, lead_id: int, payload: DeclineIn) -> Any:
    user, lead = _decider(request, lead_id)
    try:
        declined = identification.decline_lead(lead=lead, by=user, reason=payload.reason, request=request)
    except MonitoringRefused as exc:
        return _refused(exc)
    return LeadOut.of(declined, timezone.localdate())


class VisitOut(Schema):
    id: int
    case_id: int
    region_code: str
    on: dt.date
    by: str
    needs_met: dict[str, bool] = Field(description="两不愁三保障及饮水：是否有保障")
    income_change: str
    new_risk: bool
    note: str
    has_photo: bool
    latitude: Decimal | None
    longitude: Decimal | None

    @staticmethod
    def of(visit: Visit) -> VisitOut:
        return VisitOut(
            id=visit.pk,
            case_id=visit.case_id,
            region_code=visit.region_code,
            on=visit.on,
            by=str(visit.by),
            needs_met=visit.needs_met,
            income_change=visit.income_change,
            new_risk=visit.new_risk,
            note=visit.note,
            has_photo=bool(visit.photo),
            latitude=visit.latitude,
            longitude=visit.longitude,
        )


class VisitPage(Schema):
    items: list[VisitOut]
    next_after: int | None


class VisitQuery(Schema):
    case: int | None = Field(None, description="只看这一户的走访")
    after: int | None = None
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class VisitIn(Schema):
    case_id: int
    on: dt.date
    client_id: uuid.UUID = Field(description="由手机生成；重复发送同一走访只记录一次")
    needs_met: dict[str, bool]
    income_change: IncomeChange = IncomeChange.NONE
    new_risk: bool = False
    risk_types: list[str] = Field(default_factory=list)
    note: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None


@router.get("/visits", response={200: VisitPage, **ERRORS}, summary="走访记录")
def list_visits(request: HttpRequest, query: Query[VisitQuery]) -> Any:
    """Visits to the households of the caller's scope, newest id first pages by id (keyset)."""
    user = _reader(request)
    found = Visit.objects.visible_to(user).select_related("by")
    if query.case is not None:
        found = found.filter(case_id=query.case)
    rows, next_after = page_by_id(found, after=query.after, limit=query.limit)
    return VisitPage(items=[VisitOut.of(visit) for visit in rows], next_after=next_after)


@router.post(
    "/visits", response={200: VisitOut, 422: ErrorOut, **ERRORS}, summary="记录走访（照片只能在页面上传）"
)
def log_visit(request: HttpRequest, payload: VisitIn) -> Any:
    user = _reader(request)
    if not access.can_visit(user):
        raise AuthorizationError(403, _("只有驻村工作队或乡镇干部走访监测户。"))
    case = get_for_user(_cases(), user, pk=payload.case_id)
    try:
        visit, _new = visits.log_visit(
            case=case,
            by=user,
            on=payload.on,
            client_id=payload.client_id,
            needs_met=payload.needs_met,
            income_change=payload.income_change.value,
            new_risk=payload.new_risk,
            risk_types=payload.risk_types,
            note=payload.note,
            latitude=payload.latitude,
            longitude=payload.longitude,
            request=request,
        )
    except PermissionDenied as exc:
        return Status(403, {"code": "forbidden", "message": str(exc)})
    except MonitoringRefused as exc:
        return _refused(exc)
    return VisitOut.of(visit)

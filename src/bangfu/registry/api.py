"""Registry API: households, members, their income, indicators and change requests (``/api/v1/…``).

The same rules as the pages, in the same places: every id is looked up with ``get_for_user`` (another
region's row is a 404, audited by the API's ``Http404`` handler), ``bangfu.registry.access`` says who may do
what, and every write goes through ``bangfu.registry.services``. A village work team's change of
composition, identity or income is never applied directly: the API submits a change request
(``services.submit_change``) and answers **202** with it; the town approves it (``…/approve``). Sector
departments and the three admin roles (三员) get 403 on every route.

Answers: ids are integers, dates ISO text, money a string with two decimals (``"1234.50"``), choices their
stored code with a ``…_label`` sibling in the caller's language. ID numbers and phones are always masked;
the full value only comes from the ``reveal`` routes, for users holding the grant, and each reveal is an
audit event. A refused write answers 422 ``{"code": "invalid", "message", "errors": [{field, message,
level}]}`` with Chinese messages, a refused permission 403 ``{"code": "forbidden", "message"}``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal, cast

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import AuthorizationError
from pydantic import PlainSerializer, WithJsonSchema

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.audit import events
from bangfu.core import crypto
from bangfu.core.masking import mask_id_number, mask_phone
from bangfu.core.schemas import ErrorOut, page_by_id
from bangfu.regions.models import Region
from bangfu.regions.scoping import get_for_user
from bangfu.registry import access, income, services
from bangfu.registry.models import (
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    DisabilityGrade,
    Education,
    Employment,
    Health,
    Household,
    HouseholdStatus,
    HouseholdType,
    IncomeComponent,
    IncomeLine,
    IncomeStatement,
    Indicator,
    IndicatorObservation,
    IndicatorValue,
    LabourCapacity,
    LeftReason,
    Member,
    PeriodKind,
    PoliticalStatus,
    ProgrammeEnrolment,
    ProgrammeKind,
    Relation,
    SchoolStatus,
    Sex,
    WorkChannel,
    WorkPlace,
)
from bangfu.registry.search import DEFAULT_LIMIT, MAX_LIMIT, search_households
from bangfu.registry.validation import Problem

router = Router(tags=["registry"])

# --- shared pieces of the schemas ---------------------------------------------------------------------------

CENT = Decimal("0.01")


def _money_text(value: Decimal) -> str:
    return str(value.quantize(CENT))


# Money leaves the API as text with exactly two decimals: a JSON number would be a binary float to most
# clients, and 0.1 + 0.2 is not a sum anyone wants in an income statement.
Money = Annotated[
    Decimal,
    PlainSerializer(_money_text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["1234.50"]}),
]


class ProblemOut(Schema):
    field: str = Field(description="出错的字段（模型字段名；空表示整条记录）")
    message: str = Field(description="中文说明")
    level: Literal["error", "warning"] = Field(description="error 拒绝保存；warning 仅提示")


class InvalidOut(Schema):
    """A write refused by the registry's rules: every problem found, each with its field."""

    code: str = Field(description="invalid：数据未通过校验，未作任何修改")
    message: str
    errors: list[ProblemOut]


ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 422: InvalidOut}


def _label(choices: type[Enum], value: str) -> str:
    """The display label of a stored code; an unknown code (old data) is shown as itself."""
    try:
        return str(choices(value).label)  # type: ignore[attr-defined]
    except ValueError:
        return value


def _code(value: Any) -> Any:
    """A choice received as an enum member, as its stored code (services and JSON payloads want text)."""
    return value.value if isinstance(value, Enum) else value


def _codes(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _code(value) for key, value in values.items()}


# --- who is asking ------------------------------------------------------------------------------------------


def _reader(request: HttpRequest) -> User:
    """The caller if they may read the registry; 403 for sector departments and the admin roles.

    Role checks raise ``AuthorizationError``, answered by the API's handler as ``{"code": "forbidden"}``
    with its standard sentence; a refusal decided by a service keeps the service's own sentence."""
    user = current_user(request)
    if user is None or not access.can_read(user):
        raise AuthorizationError(403, _("您的角色无权查看农户信息。"))
    return user


def _writer(request: HttpRequest, *, allowed: Callable[[Any], bool]) -> User:
    """A reader who may also make this kind of write (directly or by change request), else 403 — before the
    object is looked up, so that a reader without the right learns nothing more than a 403."""
    user = _reader(request)
    if not allowed(user):
        raise AuthorizationError(403, _("您没有修改农户信息的权限。"))
    return user


def _edits_or_requests(user: Any) -> bool:
    return access.can_edit_directly(user) or access.can_request_changes(user)


def _refusal(exc: PermissionDenied | services.RegistryRefused) -> Status[dict[str, Any]]:
    """A service's refusal as the API's JSON: 403 with its sentence, or 422 with every problem."""
    if isinstance(exc, services.RegistryRefused):
        return Status(422, _invalid(exc.problems, message=str(exc)))
    return Status(403, {"code": "forbidden", "message": str(exc) or _("没有权限执行此操作")})


def _invalid(problems: Sequence[Problem], *, message: str = "") -> dict[str, Any]:
    return {
        "code": "invalid",
        "message": message or "；".join(p.message for p in problems),
        "errors": [{"field": p.field, "message": p.message, "level": p.level} for p in problems],
    }


def _region_in_scope(user: User, code: str) -> None:
    """A region named in a request body must lie in the caller's scope: 404 otherwise (audited when it
    exists), exactly as for an id in the path."""
    if code and not access.in_scope(user, code):
        get_for_user(Region.objects.all(), user, code=code)


# --- members ------------------------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    household_id: int
    region_code: str = Field(description="所在村的12位区划代码")
    name: str = Field(description="姓名")
    id_number: str = Field(description="证件号码（脱敏；完整号码见 POST /members/{id}/reveal）")
    sex: str
    sex_label: str
    birth_date: dt.date | None
    relation: str = Field(description="与户主关系")
    relation_label: str
    ethnicity: str = Field(description="民族")
    political_status: str
    political_status_label: str
    education: str = Field(description="文化程度；空表示未填")
    education_label: str
    school_status: str = Field(description="在校生情况")
    school_status_label: str
    health: str = Field(description="健康状况")
    health_label: str
    disability_grade: str = Field(description="残疾等级 1–4；空表示无")
    disability_grade_label: str
    labour_capacity: str = Field(description="劳动技能")
    labour_capacity_label: str
    skill: str = Field(description="掌握技能")
    resident_medical_insurance: bool = Field(description="参加城乡居民基本医疗保险")
    employee_medical_insurance: bool = Field(description="参加职工基本医疗保险")
    critical_illness_insurance: bool = Field(description="参加大病保险")
    resident_pension: bool = Field(description="参加城乡居民基本养老保险")
    employee_pension: bool = Field(description="参加职工基本养老保险")
    joined_on: dt.date | None = Field(description="入户日期；空表示一直在户")
    left_on: dt.date | None = Field(description="离户日期；空表示仍在户")
    left_reason: str
    left_reason_label: str
    is_current: bool = Field(description="仍在户")

    @staticmethod
    def of(member: Member) -> MemberOut:
        return MemberOut(
            id=member.pk,
            household_id=member.household_id,
            region_code=member.region_code,
            name=member.name,
            id_number=mask_id_number(member.id_number),
            sex=member.sex,
            sex_label=_label(Sex, member.sex),
            birth_date=member.birth_date,
            relation=member.relation,
            relation_label=_label(Relation, member.relation),
            ethnicity=member.ethnicity,
            political_status=member.political_status,
            political_status_label=_label(PoliticalStatus, member.political_status),
            education=member.education,
            education_label=_label(Education, member.education) if member.education else "",
            school_status=member.school_status,
            school_status_label=_label(SchoolStatus, member.school_status),
            health=member.health,
            health_label=_label(Health, member.health),
            disability_grade=member.disability_grade,
            disability_grade_label=(
                _label(DisabilityGrade, member.disability_grade) if member.disability_grade else ""
            ),
            labour_capacity=member.labour_capacity,
            labour_capacity_label=_label(LabourCapacity, member.labour_capacity),
            skill=member.skill,
            resident_medical_insurance=member.resident_medical_insurance,
            employee_medical_insurance=member.employee_medical_insurance,
            critical_illness_insurance=member.critical_illness_insurance,
            resident_pension=member.resident_pension,
            employee_pension=member.employee_pension,
            joined_on=member.joined_on,
            left_on=member.left_on,
            left_reason=member.left_reason,
            left_reason_label=_label(LeftReason, member.left_reason) if member.left_reason else "",
            is_current=member.left_on is None,
        )


class MemberListItem(Schema):
    id: int
    household_id: int
    household_number: str = Field(description="所在户的户编号")
    region_code: str
    name: str
    id_number: str = Field(description="证件号码（脱敏）")
    sex: str
    sex_label: str
    birth_date: dt.date | None
    relation: str
    relation_label: str
    is_current: bool
    left_on: dt.date | None


class MemberPage(Schema):
    items: list[MemberListItem]
    next_after: int | None = Field(description="下一页的游标（作为 after 传入）；最后一页为 null")


class MemberQuery(Schema):
    id_number: str = Field("", description="身份证号码，精确查找（经盲索引，号码不落库比对）")
    q: str = Field("", description="姓名前缀")
    current: bool | None = Field(None, description="true 仅在户成员，false 仅已离户成员；缺省为全部")
    after: int | None = Field(None, description="上一页的 next_after")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"每页条数（1–{MAX_LIMIT}）")


class MemberFields(Schema):
    """A member's editable fields; in a change only the fields sent are changed."""

    name: str | None = Field(None, description="姓名")
    id_number: str | None = Field(None, description="18位身份证号码")
    sex: Sex | None = Field(None, description="性别；新增成员缺省时取自身份证号码")
    birth_date: dt.date | None = Field(None, description="出生日期；新增成员缺省时取自身份证号码")
    relation: Relation | None = Field(None, description="与户主关系")
    ethnicity: str | None = Field(None, description="民族，如“汉族”")
    political_status: PoliticalStatus | None = None
    education: Education | None = None
    school_status: SchoolStatus | None = None
    health: Health | None = None
    disability_grade: DisabilityGrade | None = Field(None, description="健康状况为残疾时必填")
    labour_capacity: LabourCapacity | None = None
    skill: str | None = None
    resident_medical_insurance: bool | None = None
    employee_medical_insurance: bool | None = None
    critical_illness_insurance: bool | None = None
    resident_pension: bool | None = None
    employee_pension: bool | None = None
    joined_on: dt.date | None = Field(None, description="入户日期")


class MemberIn(MemberFields):
    """A new member: name and relation at least (sex and birth date come from a valid ID number)."""

    name: str = Field(description="姓名")
    relation: Relation = Field(description="与户主关系")


class MemberCreateIn(MemberIn):
    reason: str = Field("", description="变更理由（驻村工作队提交变更申请时必填）")


class MemberPatchIn(MemberFields):
    former_head_relation: Relation | None = Field(
        None, description="把本成员改为户主时：原户主改为的与户主关系"
    )
    reason: str = Field("", description="变更理由（驻村工作队修改身份信息时必填）")


class LeaveIn(Schema):
    left_on: dt.date = Field(description="离户日期")
    left_reason: LeftReason = Field(description="离户原因")
    new_head: int | None = Field(None, description="户主离户时：成为新户主的本户成员 id")
    reason: str = Field("", description="变更理由（驻村工作队提交变更申请时必填）")


class RevealedIdOut(Schema):
    id_number: str = Field(description="完整的证件号码（本次查看已记入审计日志）")


class RevealedPhoneOut(Schema):
    phone: str = Field(description="完整的联系电话（本次查看已记入审计日志）")


# --- households ---------------------------------------------------------------------------------------------


class HouseholdListItem(Schema):
    id: int
    household_number: str
    region_code: str
    village_name: str
    natural_village: str
    head_name: str = Field(description="户主姓名")
    head_id_number: str = Field(description="户主证件号码（脱敏）")
    size: int = Field(description="在户人数")
    household_type: str
    household_type_label: str
    is_exited_poor: bool
    status: str
    status_label: str
    matched_name: str = Field(description="按姓名或证件号码查到的成员（不是户主时）")


class HouseholdPageOut(Schema):
    items: list[HouseholdListItem]
    next_after: int | None = Field(description="下一页的游标（作为 after 传入）；最后一页为 null")


class HouseholdQuery(Schema):
    q: str = Field("", description="身份证号码、手机号码、户编号或姓名（自动识别）")
    region: str = Field("", description="区划代码或前缀；管辖范围以外的区划得到空页")
    household_type: HouseholdType | None = Field(None, description="户类型")
    programme: ProgrammeKind | None = Field(None, description="今天正在享受的政策项目")
    indicator: Indicator | Literal["any"] | None = Field(
        None, description="最近一次核查有问题的指标；any 表示任一指标"
    )
    status: Literal["active", "closed", "all"] = Field("active", description="农户状态")
    after: int | None = Field(None, description="上一页的 next_after")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"每页条数（1–{MAX_LIMIT}）")


class ProgrammeOut(Schema):
    id: int
    kind: str
    kind_label: str
    grade: str = Field(description="类别，如低保一类")
    member_id: int | None = Field(description="享受的成员；空表示整户")
    start_date: dt.date
    end_date: dt.date | None
    monthly_amount: Money | None = Field(description="月发放金额（元）")
    note: str


class IndicatorOut(Schema):
    id: int
    indicator: str
    indicator_label: str
    value: str
    value_label: str
    is_problem: bool
    observed_on: dt.date
    note: str


class IncomeLineOut(Schema):
    id: int
    component: str
    component_label: str
    item: str = Field(description="明细，如务工收入、低保金")
    amount: Money
    note: str = Field(description="说明")
    counted: bool = Field(description="是否计入收入（不计入的项目如危房改造补助为 false）")


class StatementOut(Schema):
    id: int
    year: int = Field(description="统计期间截止的年份")
    period_kind: str
    period_kind_label: str
    period_start: dt.date
    period_end: dt.date
    household_size: int
    wages: Money = Field(description="工资性收入")
    business: Money = Field(description="生产经营性收入")
    property: Money = Field(description="财产性收入")
    transfers: Money = Field(description="转移性收入")
    business_expenditure: Money = Field(description="生产经营性支出")
    insurance_payout: Money = Field(description="理赔收入")
    compliant_out_of_pocket: Money = Field(description="合规自付支出")
    net_income: Money = Field(description="家庭纯收入（计算所得）")
    net_income_per_capita: Money | None = Field(description="家庭人均纯收入（计算所得）")
    lines: list[IncomeLineOut]

    @staticmethod
    def of(statement: IncomeStatement, lines: Iterable[IncomeLine]) -> StatementOut:
        return StatementOut(
            id=statement.pk,
            year=statement.period_end.year,
            period_kind=statement.period_kind,
            period_kind_label=_label(PeriodKind, statement.period_kind),
            period_start=statement.period_start,
            period_end=statement.period_end,
            household_size=statement.household_size,
            wages=statement.wages,
            business=statement.business,
            property=statement.property,
            transfers=statement.transfers,
            business_expenditure=statement.business_expenditure,
            insurance_payout=statement.insurance_payout,
            compliant_out_of_pocket=statement.compliant_out_of_pocket,
            net_income=statement.net_income,
            net_income_per_capita=statement.net_income_per_capita,
            lines=[
                IncomeLineOut(
                    id=line.pk,
                    component=line.component,
                    component_label=_label(IncomeComponent, line.component),
                    item=line.item,
                    amount=line.amount,
                    note=line.note,
                    counted=line.component != IncomeComponent.EXCLUDED,
                )
                for line in lines
            ],
        )


class EmploymentOut(Schema):
    id: int
    member_id: int
    member_name: str
    employer: str
    industry: str
    place: str
    place_label: str
    place_detail: str
    channel: str
    channel_label: str
    start_date: dt.date
    end_date: dt.date | None
    months: int | None
    transport_subsidy: Money


class HouseholdOut(Schema):
    id: int
    household_number: str = Field(description="户编号")
    region_code: str = Field(description="所在村的12位区划代码")
    village_name: str
    natural_village: str
    address: str
    household_type: str
    household_type_label: str
    is_exited_poor: bool
    relocated: bool
    resettlement_site: str
    phone: str = Field(description="联系电话（脱敏；完整号码见 POST /households/{id}/reveal-phone）")
    status: str
    status_label: str
    closed_on: dt.date | None
    closed_reason: str
    size: int = Field(description="在户人数")
    members: list[MemberOut] = Field(description="家庭成员：在户成员在前（户主第一），已离户成员在后")
    programmes: list[ProgrammeOut] = Field(description="今天正在享受的政策项目")
    indicators: list[IndicatorOut] = Field(description="三保障及饮水各项指标最近一次的核查结果")
    income_statements: list[StatementOut] = Field(description="收支情况，按统计期间从新到旧")
    employments: list[EmploymentOut] = Field(description="务工记录，从新到旧")


class HouseholdFields(Schema):
    """A household's editable fields; in a change only the fields sent are changed."""

    region_code: str | None = Field(None, description="所在村的12位区划代码")
    household_number: str | None = Field(None, description="户编号")
    natural_village: str | None = Field(None, description="自然村（组）")
    address: str | None = Field(None, description="住址")
    household_type: HouseholdType | None = Field(None, description="户类型")
    is_exited_poor: bool | None = Field(None, description="是否脱贫户")
    relocated: bool | None = Field(None, description="是否易地扶贫搬迁集中安置")
    resettlement_site: str | None = Field(None, description="安置点")
    phone: str | None = Field(None, description="联系电话")


class HouseholdCreateIn(HouseholdFields):
    members: list[MemberIn] = Field(description="家庭成员，须有且只有一名户主")
    reason: str = Field("", description="变更理由（驻村工作队提交新增申请时必填）")


class HouseholdPatchIn(HouseholdFields):
    reason: str = Field("", description="变更理由（驻村工作队修改户编号、户类型等时必填）")


class IncomeLineIn(Schema):
    component: IncomeComponent = Field(description="收支项；excluded 记录但不计入收入")
    item: str = Field("", description="明细")
    amount: Decimal = Field(description="金额（元），两位小数")
    note: str = Field("", description="说明")


class IncomeIn(Schema):
    period_kind: PeriodKind = Field(description="统计口径")
    period_start: dt.date | None = Field(
        None, description="起始日期；与截止日期都缺省时按统计口径取截至今天的统计期间"
    )
    period_end: dt.date | None = Field(None, description="截止日期")
    household_size: int | None = Field(None, description="家庭人口数；缺省为截止日期的在户人数")
    lines: list[IncomeLineIn] = Field(description="收支明细，整体替换该期间原有的明细")
    reason: str = Field("", description="变更理由（驻村工作队提交变更申请时必填）")


class IndicatorIn(Schema):
    indicator: Indicator
    value: IndicatorValue = Field(description="住房为 A–D；其他指标为 met/unmet")
    observed_on: dt.date | None = Field(None, description="核查日期；缺省为今天")
    note: str = Field("", description="说明")


# --- change requests ----------------------------------------------------------------------------------------


class ChangeRequestOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    region_code: str
    household_id: int | None
    member_id: int | None
    reason: str = Field(description="变更理由")
    submitted_by_id: int
    submitted_by_name: str
    submitted_at: dt.datetime
    reviewed_by_id: int | None
    reviewed_by_name: str
    reviewed_at: dt.datetime | None
    review_note: str = Field(description="审核意见或退回理由")

    @staticmethod
    def fields_of(change: ChangeRequest) -> dict[str, Any]:
        return {
            "id": change.pk,
            "kind": change.kind,
            "kind_label": _label(ChangeKind, change.kind),
            "status": change.status,
            "status_label": _label(ChangeStatus, change.status),
            "region_code": change.region_code,
            "household_id": change.household_id,
            "member_id": change.member_id,
            "reason": change.reason,
            "submitted_by_id": change.submitted_by_id,
            "submitted_by_name": str(change.submitted_by),
            "submitted_at": change.submitted_at,
            "reviewed_by_id": change.reviewed_by_id,
            "reviewed_by_name": str(change.reviewed_by) if change.reviewed_by else "",
            "reviewed_at": change.reviewed_at,
            "review_note": change.review_note,
        }

    @staticmethod
    def of(change: ChangeRequest) -> ChangeRequestOut:
        return ChangeRequestOut(**ChangeRequestOut.fields_of(change))


class ChangeRequestDetailOut(ChangeRequestOut):
    changes: dict[str, Any] = Field(description="申请的内容（证件号码、电话脱敏）")
    base: dict[str, Any] = Field(description="提交时的原值，审核时用于发现冲突（证件号码、电话脱敏）")
    can_review: bool = Field(description="调用者可以通过或退回")
    can_withdraw: bool = Field(description="调用者可以撤回")


class ChangeRequestPage(Schema):
    items: list[ChangeRequestOut]
    next_after: int | None


class ChangeRequestQuery(Schema):
    status: ChangeStatus | None = Field(None, description="状态；缺省为全部")
    household: int | None = Field(None, description="只看某户的申请")
    after: int | None = Field(None, description="上一页的 next_after")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"每页条数（1–{MAX_LIMIT}）")


class ApproveIn(Schema):
    note: str = Field("", description="审核意见")


class RejectIn(Schema):
    reason: str = Field("", description="退回理由（必填）")


# --- reading ------------------------------------------------------------------------------------------------


def _households() -> QuerySet[Household]:
    village = Region.objects.filter(code=OuterRef("region_code")).values("name")[:1]
    return Household.objects.annotate(village_name=Subquery(village))


def _household_out(household: Household, *, on: dt.date) -> HouseholdOut:
    """The household and everything recorded about it, in six queries whatever its size (members,
    programmes, observations, statements, their lines, employment)."""
    members = sorted(
        Member.objects.filter(household=household),
        key=lambda m: (m.left_on is not None, m.relation != Relation.HEAD, m.pk),
    )
    names = {m.pk: m.name for m in members}
    programmes = (
        ProgrammeEnrolment.objects.filter(household=household).active_on(on).order_by("-start_date", "-pk")
    )
    # Newest first within each indicator: the first row seen of an indicator is its latest observation.
    latest: dict[str, IndicatorObservation] = {}
    for observation in IndicatorObservation.objects.filter(household=household, observed_on__lte=on).order_by(
        "indicator", "-observed_on", "-pk"
    ):
        latest.setdefault(observation.indicator, observation)
    order = {value: index for index, value in enumerate(Indicator.values)}
    statements = IncomeStatement.objects.filter(household=household).prefetch_related(
        Prefetch("lines", queryset=IncomeLine.objects.order_by("pk"))
    )
    employments = Employment.objects.filter(household=household).order_by("-start_date", "-pk")
    return HouseholdOut(
        id=household.pk,
        household_number=household.household_number,
        region_code=household.region_code,
        village_name=getattr(household, "village_name", None) or "",
        natural_village=household.natural_village,
        address=household.address,
        household_type=household.household_type,
        household_type_label=_label(HouseholdType, household.household_type),
        is_exited_poor=household.is_exited_poor,
        relocated=household.relocated,
        resettlement_site=household.resettlement_site,
        phone=mask_phone(household.phone),
        status=household.status,
        status_label=_label(HouseholdStatus, household.status),
        closed_on=household.closed_on,
        closed_reason=household.closed_reason,
        size=sum(1 for m in members if m.left_on is None),
        members=[MemberOut.of(m) for m in members],
        programmes=[
            ProgrammeOut(
                id=p.pk,
                kind=p.kind,
                kind_label=_label(ProgrammeKind, p.kind),
                grade=p.grade,
                member_id=p.member_id,
                start_date=p.start_date,
                end_date=p.end_date,
                monthly_amount=p.monthly_amount,
                note=p.note,
            )
            for p in programmes
        ],
        indicators=[
            _indicator_out(o)
            for o in sorted(latest.values(), key=lambda o: order.get(o.indicator, len(order)))
        ],
        income_statements=[
            StatementOut.of(s, s.lines.all())
            for s in sorted(statements, key=lambda s: (s.period_end, s.period_start), reverse=True)
        ],
        employments=[
            EmploymentOut(
                id=e.pk,
                member_id=e.member_id,
                member_name=names.get(e.member_id, ""),
                employer=e.employer,
                industry=e.industry,
                place=e.place,
                place_label=_label(WorkPlace, e.place),
                place_detail=e.place_detail,
                channel=e.channel,
                channel_label=_label(WorkChannel, e.channel),
                start_date=e.start_date,
                end_date=e.end_date,
                months=e.months,
                transport_subsidy=e.transport_subsidy,
            )
            for e in employments
        ],
    )


def _indicator_out(observation: IndicatorObservation) -> IndicatorOut:
    return IndicatorOut(
        id=observation.pk,
        indicator=observation.indicator,
        indicator_label=_label(Indicator, observation.indicator),
        value=observation.value,
        value_label=_label(IndicatorValue, observation.value),
        is_problem=observation.is_problem,
        observed_on=observation.observed_on,
        note=observation.note,
    )


def _visible_household(user: User, household_id: int) -> Household:
    return get_for_user(_households(), user, pk=household_id)


@router.get("/households", response={200: HouseholdPageOut, **ERRORS}, summary="查找农户")
def list_households(request: HttpRequest, query: Query[HouseholdQuery]) -> Any:
    """One keyset page of the caller's households that match ``q`` and the filters, by id. ``q`` is read as
    an ID number (exact), a mobile number (exact), a household number (prefix) or a member's name (prefix).
    Pass ``next_after`` back as ``after`` for the next page; there are no page numbers or totals."""
    user = _reader(request)
    page = search_households(
        user,
        q=query.q,
        region=query.region,
        household_type=_code(query.household_type) or "",
        programme=_code(query.programme) or "",
        indicator=_code(query.indicator) or "",
        status=query.status,
        after=query.after,
        limit=query.limit,
    )
    items = [
        HouseholdListItem(
            id=row.id,
            household_number=row.household_number,
            region_code=row.region_code,
            village_name=row.village_name,
            natural_village=row.natural_village,
            head_name=row.head_name,
            head_id_number=row.head_id_masked,
            size=row.size,
            household_type=row.household_type,
            household_type_label=row.household_type_label,
            is_exited_poor=row.is_exited_poor,
            status=row.status,
            status_label=_label(HouseholdStatus, row.status),
            matched_name=row.matched_name,
        )
        for row in page.rows
    ]
    return HouseholdPageOut(items=items, next_after=page.next_after)


@router.get("/households/{household_id}", response={200: HouseholdOut, **ERRORS}, summary="农户详情")
def get_household(request: HttpRequest, household_id: int) -> Any:
    """A household with its members (ID numbers and phone masked), the programmes it is in today, the latest
    result of each indicator, its income statements with their lines, and its employment."""
    user = _reader(request)
    household = _visible_household(user, household_id)
    return _household_out(household, on=timezone.localdate())


@router.get("/members", response={200: MemberPage, **ERRORS}, summary="查找家庭成员")
def list_members(request: HttpRequest, query: Query[MemberQuery]) -> Any:
    """Members in the caller's scope, by id: an exact ID number (compared through its blind index) and/or a
    name prefix; keyset pages as for households. ID numbers are masked."""
    user = _reader(request)
    members = Member.objects.visible_to(user)
    if query.id_number.strip():
        members = members.filter(id_number_index=crypto.blind_index(query.id_number, kind="id_number"))
    if name := "".join(query.q.split()):
        members = members.filter(name__startswith=name)
    if query.current is not None:
        members = members.filter(left_on__isnull=query.current)
    if query.after is not None:
        members = members.filter(pk__gt=query.after)
    # The household's phone is not needed: not loading it saves a decryption per row.
    rows = list(
        members.select_related("household")
        .only(
            "pk",
            "household_id",
            "household__household_number",
            "region_code",
            "name",
            "id_number",
            "sex",
            "birth_date",
            "relation",
            "left_on",
        )
        .order_by("pk")[: query.limit + 1]
    )
    items = [
        MemberListItem(
            id=m.pk,
            household_id=m.household_id,
            household_number=m.household.household_number,
            region_code=m.region_code,
            name=m.name,
            id_number=mask_id_number(m.id_number),
            sex=m.sex,
            sex_label=_label(Sex, m.sex),
            birth_date=m.birth_date,
            relation=m.relation,
            relation_label=_label(Relation, m.relation),
            is_current=m.left_on is None,
            left_on=m.left_on,
        )
        for m in rows[: query.limit]
    ]
    next_after = items[-1].id if len(rows) > query.limit else None
    return MemberPage(items=items, next_after=next_after)


@router.get("/members/{member_id}", response={200: MemberOut, **ERRORS}, summary="家庭成员")
def get_member(request: HttpRequest, member_id: int) -> Any:
    """One member (ID number masked)."""
    user = _reader(request)
    return MemberOut.of(get_for_user(Member.objects.all(), user, pk=member_id))


def _revealer(request: HttpRequest) -> User:
    user = _reader(request)
    if not access.can_reveal(user):
        raise AuthorizationError(403, _("您没有查看完整个人信息的权限，请联系安全管理员授权。"))
    return user


@router.post(
    "/members/{member_id}/reveal", response={200: RevealedIdOut, **ERRORS}, summary="查看完整证件号码"
)
def reveal_member_id(request: HttpRequest, member_id: int) -> Any:
    """The member's full ID number, for users granted it by the security admin; every call is recorded in
    the audit trail (who, whose, when — never the number)."""
    user = _revealer(request)
    member = get_for_user(Member.objects.all(), user, pk=member_id)
    with transaction.atomic():
        events.revealed(actor=user, obj=member, field="id_number", request=request)
    return RevealedIdOut(id_number=member.id_number or "")


@router.post(
    "/households/{household_id}/reveal-phone",
    response={200: RevealedPhoneOut, **ERRORS},
    summary="查看完整联系电话",
)
def reveal_household_phone(request: HttpRequest, household_id: int) -> Any:
    """The household's full phone number, for users granted it; every call is an audit event."""
    user = _revealer(request)
    household = get_for_user(Household.objects.all(), user, pk=household_id)
    with transaction.atomic():
        events.revealed(actor=user, obj=household, field="phone", request=request)
    return RevealedPhoneOut(phone=household.phone or "")


# --- writing: households ------------------------------------------------------------------------------------


def _submitted(change: ChangeRequest) -> Status[ChangeRequestOut]:
    """202: the change waits for the town's review; nothing of it is applied yet."""
    return Status(202, ChangeRequestOut.of(change))


@router.post(
    "/households",
    response={201: HouseholdOut, 202: ChangeRequestOut, **WRITE_ERRORS},
    summary="新增农户",
)
def create_household(request: HttpRequest, payload: HouseholdCreateIn) -> Any:
    """Register a household with its members. Town and above: created at once (201). A village work team:
    a change request for the town to review (202); ``region_code`` defaults to the team's village."""
    user = _writer(request, allowed=_edits_or_requests)
    values = _codes(payload.model_dump(exclude_unset=True, exclude={"members", "reason"}))
    members = [_codes(m.model_dump(exclude_unset=True)) for m in payload.members]
    _region_in_scope(user, values.get("region_code") or "")
    today = timezone.localdate()
    outcome = _edit(
        request,
        user,
        kind=ChangeKind.CREATE_HOUSEHOLD,
        payload={"household": values, "members": members},
        reason=payload.reason,
    )
    if not isinstance(outcome, services.Edit):
        return outcome
    household = cast(Household, outcome.saved)
    return Status(201, _household_out(_visible_household(user, household.pk), on=today))


def _edit(
    request: HttpRequest,
    user: User,
    *,
    kind: str,
    payload: Mapping[str, Any],
    reason: str,
    household: Household | None = None,
    member: Member | None = None,
) -> services.Edit | Any:
    """``services.edit``: the ``Edit`` when written at once; the 202 answer when it became a change request,
    the refusal (403/422) when refused."""
    try:
        outcome = services.edit(
            by=user,
            kind=kind,
            payload=payload,
            reason=reason,
            household=household,
            member=member,
            on=timezone.localdate(),
            request=request,
        )
    except (PermissionDenied, services.RegistryRefused) as exc:
        return _refusal(exc)
    return _submitted(outcome.change) if outcome.change is not None else outcome


@router.patch(
    "/households/{household_id}",
    response={200: HouseholdOut, 202: ChangeRequestOut, **WRITE_ERRORS},
    summary="修改农户信息",
)
def update_household(request: HttpRequest, household_id: int, payload: HouseholdPatchIn) -> Any:
    """Change the fields sent. A village work team changes contact and living details directly (200); a
    change of household number, type, exited-poor flag or village becomes a change request (202)."""
    user = _writer(request, allowed=access.can_record_details)
    household = _visible_household(user, household_id)
    values = _codes(payload.model_dump(exclude_unset=True, exclude={"reason"}))
    _region_in_scope(user, values.get("region_code") or "")
    outcome = _edit(
        request,
        user,
        kind=ChangeKind.UPDATE_HOUSEHOLD,
        payload=values,
        reason=payload.reason,
        household=household,
    )
    if not isinstance(outcome, services.Edit):
        return outcome
    return _household_out(_visible_household(user, household_id), on=timezone.localdate())


@router.put(
    "/households/{household_id}/income",
    response={200: StatementOut, 202: ChangeRequestOut, **WRITE_ERRORS},
    summary="填写收支情况",
)
def set_income(request: HttpRequest, household_id: int, payload: IncomeIn) -> Any:
    """The household's income and expense statement for one period, its lines replacing those recorded for
    that period; totals, net and per-capita income are computed. Town and above: saved (200). A village work
    team: a change request (202)."""
    user = _writer(request, allowed=_edits_or_requests)
    household = _visible_household(user, household_id)
    today = timezone.localdate()
    kind = _code(payload.period_kind)
    start, end = payload.period_start, payload.period_end
    if start is None and end is None:
        start, end = income.income_window(on=today, kind=kind)
    if start is None or end is None:
        problem = Problem(
            "period_start" if start is None else "period_end", _("请同时填写起始日期和截止日期")
        )
        return Status(422, _invalid([problem]))
    values: dict[str, Any] = {
        "period_kind": kind,
        "period_start": start,
        "period_end": end,
        "lines": [_codes(line.model_dump()) for line in payload.lines],
    }
    if payload.household_size is not None:
        values["household_size"] = payload.household_size
    outcome = _edit(
        request, user, kind=ChangeKind.SET_INCOME, payload=values, reason=payload.reason, household=household
    )
    if not isinstance(outcome, services.Edit):
        return outcome
    statement = cast(IncomeStatement, outcome.saved)
    return StatementOut.of(statement, statement.lines.order_by("pk"))


@router.post(
    "/households/{household_id}/indicators",
    response={201: IndicatorOut, **WRITE_ERRORS},
    summary="记录三保障及饮水指标",
)
def record_indicator(request: HttpRequest, household_id: int, payload: IndicatorIn) -> Any:
    """One observation of an indicator (the village work team records it directly, as town and above do)."""
    user = _writer(request, allowed=access.can_record_details)
    household = _visible_household(user, household_id)
    today = timezone.localdate()
    try:
        observation = services.record_indicator(
            household=household,
            by=user,
            indicator=_code(payload.indicator),
            value=_code(payload.value),
            observed_on=payload.observed_on or today,
            note=payload.note,
            on=today,
            request=request,
        )
    except (PermissionDenied, services.RegistryRefused) as exc:
        return _refusal(exc)
    return Status(201, _indicator_out(observation))


# --- writing: members ---------------------------------------------------------------------------------------


@router.post(
    "/households/{household_id}/members",
    response={201: MemberOut, 202: ChangeRequestOut, **WRITE_ERRORS},
    summary="新增家庭成员",
)
def add_member(request: HttpRequest, household_id: int, payload: MemberCreateIn) -> Any:
    """A person joins the household. Town and above: added (201). A village work team: a change request
    (202)."""
    user = _writer(request, allowed=_edits_or_requests)
    household = _visible_household(user, household_id)
    values = _codes(payload.model_dump(exclude_unset=True, exclude={"reason"}))
    outcome = _edit(
        request, user, kind=ChangeKind.ADD_MEMBER, payload=values, reason=payload.reason, household=household
    )
    if not isinstance(outcome, services.Edit):
        return outcome
    return Status(201, MemberOut.of(cast(Member, outcome.saved)))


@router.patch(
    "/members/{member_id}",
    response={200: MemberOut, 202: ChangeRequestOut, **WRITE_ERRORS},
    summary="修改家庭成员信息",
)
def update_member(request: HttpRequest, member_id: int, payload: MemberPatchIn) -> Any:
    """Change the fields sent. A village work team changes schooling, health, labour and insurance directly
    (200); a change of name, ID number, sex, birth date, relation, ethnicity or join date becomes a change
    request (202)."""
    user = _writer(request, allowed=access.can_record_details)
    member = get_for_user(Member.objects.all(), user, pk=member_id)
    values = _codes(payload.model_dump(exclude_unset=True, exclude={"reason", "former_head_relation"}))
    if former_head_relation := _code(payload.former_head_relation):
        values["former_head_relation"] = former_head_relation
    outcome = _edit(
        request, user, kind=ChangeKind.UPDATE_MEMBER, payload=values, reason=payload.reason, member=member
    )
    if not isinstance(outcome, services.Edit):
        return outcome
    return MemberOut.of(cast(Member, outcome.saved))


@router.post(
    "/members/{member_id}/leave",
    response={200: MemberOut, 202: ChangeRequestOut, **WRITE_ERRORS},
    summary="家庭成员离户",
)
def member_leaves(request: HttpRequest, member_id: int, payload: LeaveIn) -> Any:
    """The member leaves the household on ``left_on`` (the record is kept). When the head leaves and others
    remain, ``new_head`` names the new head. Town and above: done (200); a village work team: a change
    request (202)."""
    user = _writer(request, allowed=_edits_or_requests)
    member = get_for_user(Member.objects.all(), user, pk=member_id)
    new_head: Member | None = None
    if payload.new_head is not None:
        # Only a member of the same household can become its head; any other id is a refused value.
        new_head = Member.objects.filter(pk=payload.new_head, household_id=member.household_id).first()
        if new_head is None:
            return Status(422, _invalid([Problem("new_head", _("新户主须是本户的其他在户成员"))]))
    proposed: dict[str, Any] = {"left_on": payload.left_on, "reason": _code(payload.left_reason)}
    if new_head is not None:
        proposed["new_head"] = new_head.pk
    outcome = _edit(
        request, user, kind=ChangeKind.REMOVE_MEMBER, payload=proposed, reason=payload.reason, member=member
    )
    if not isinstance(outcome, services.Edit):
        return outcome
    return MemberOut.of(cast(Member, outcome.saved))


# --- change requests ----------------------------------------------------------------------------------------


def _changes() -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.select_related("submitted_by", "reviewed_by")


def _masked(value: Any, key: str = "") -> Any:
    """A payload with every ID number and phone masked, however deeply nested (new members of a household)."""
    if isinstance(value, Mapping):
        return {k: _masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, key) for v in value]
    if key == "id_number" and isinstance(value, str):
        return mask_id_number(value)
    if key == "phone" and isinstance(value, str):
        return mask_phone(value)
    return value


def _change_detail(change: ChangeRequest, user: User) -> ChangeRequestDetailOut:
    pending = change.status == ChangeStatus.PENDING
    return ChangeRequestDetailOut(
        **ChangeRequestOut.fields_of(change),
        changes=_masked(services.change_payload(change)),
        base=_masked(services.change_base(change)),
        can_review=pending and access.can_review(user, change),
        can_withdraw=pending and change.submitted_by_id == user.pk,
    )


@router.get("/change-requests", response={200: ChangeRequestPage, **ERRORS}, summary="变更申请")
def list_change_requests(request: HttpRequest, query: Query[ChangeRequestQuery]) -> Any:
    """The change requests of the caller's scope, oldest first (the order they are reviewed in), in keyset
    pages; ``status=pending`` is a town's inbox."""
    user = _reader(request)
    changes = _changes().visible_to(user)  # type: ignore[attr-defined]
    if access.can_request_changes(user):
        # As on the page: a village team's list is its own requests; reviewers and inspectors see the scope's.
        changes = changes.filter(submitted_by=user)
    if query.status is not None:
        changes = changes.filter(status=_code(query.status))
    if query.household is not None:
        changes = changes.filter(household_id=query.household)
    rows, next_after = page_by_id(changes, after=query.after, limit=query.limit)
    return ChangeRequestPage(items=[ChangeRequestOut.of(change) for change in rows], next_after=next_after)


@router.get(
    "/change-requests/{change_id}", response={200: ChangeRequestDetailOut, **ERRORS}, summary="变更申请详情"
)
def get_change_request(request: HttpRequest, change_id: int) -> Any:
    """One change request with the proposed values and the values they were based on (personal data
    masked), and whether the caller may review or withdraw it."""
    user = _reader(request)
    return _change_detail(get_for_user(_changes(), user, pk=change_id), user)


def _reviewer(request: HttpRequest) -> User:
    user = _reader(request)
    if not access.can_edit_directly(user):
        raise AuthorizationError(403, _("只有乡镇及以上用户可以审核变更申请。"))
    return user


@router.post(
    "/change-requests/{change_id}/approve",
    response={200: ChangeRequestDetailOut, **WRITE_ERRORS},
    summary="通过变更申请",
)
def approve_change_request(request: HttpRequest, change_id: int, payload: ApproveIn) -> Any:
    """Approve a pending change: it is applied at once, as if the reviewer had made it. Refused (422) when
    the record changed since the change was submitted — the message names the fields."""
    user = _reviewer(request)
    change = get_for_user(_changes(), user, pk=change_id)
    try:
        change = services.approve_change(
            change=change, by=user, on=timezone.localdate(), note=payload.note, request=request
        )
    except (PermissionDenied, services.RegistryRefused) as exc:
        return _refusal(exc)
    return _change_detail(get_for_user(_changes(), user, pk=change.pk), user)


@router.post(
    "/change-requests/{change_id}/reject",
    response={200: ChangeRequestDetailOut, **WRITE_ERRORS},
    summary="退回变更申请",
)
def reject_change_request(request: HttpRequest, change_id: int, payload: RejectIn) -> Any:
    """Return a pending change to the village with a reason (required); nothing of it is applied."""
    user = _reviewer(request)
    change = get_for_user(_changes(), user, pk=change_id)
    try:
        services.reject_change(change=change, by=user, note=payload.reason, request=request)
    except (PermissionDenied, services.RegistryRefused) as exc:
        return _refusal(exc)
    return _change_detail(get_for_user(_changes(), user, pk=change.pk), user)


@router.post(
    "/change-requests/{change_id}/withdraw",
    response={200: ChangeRequestDetailOut, **WRITE_ERRORS},
    summary="撤回变更申请",
)
def withdraw_change_request(request: HttpRequest, change_id: int) -> Any:
    """The submitter takes back a change that is still pending."""
    user = _writer(request, allowed=access.can_request_changes)
    change = get_for_user(_changes(), user, pk=change_id)
    try:
        services.withdraw_change(change=change, by=user, request=request)
    except (PermissionDenied, services.RegistryRefused) as exc:
        return _refusal(exc)
    return _change_detail(get_for_user(_changes(), user, pk=change.pk), user)

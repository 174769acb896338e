"""Every write to the registry: direct edits, change requests (审核制) and their review.

Views, the API, the importer, the demo and approved change requests all call these functions, so a rule lives
in one place (CONVENTIONS §4). Each service takes keyword-only arguments, runs in one transaction, re-checks
the acting user's role and scope (``bangfu.registry.access``), validates with ``bangfu.registry.validation``
(errors raise ``RegistryRefused`` with every problem; nothing is written), keeps the denormalised
``region_code`` of child rows and the blind indexes in step, and writes its audit events as the last step.

Who writes what directly (see ``access`` for the lists of fields):

* town, county office and city HQ — everything in their scope;
* the village work team — indicators (``record_indicator``), programmes and employment, a household's contact
  and living details (address, phone, natural village, relocation) and a member's non-identity details
  (schooling, health, labour, insurance). A change to composition (new household, a member joining or
  leaving), identity (name, ID, sex, birth date, relation, ethnicity; household number, type, exited-poor
  flag, village) or income is refused with ``PermissionDenied``: the village submits it with
  ``submit_change`` and a town user approves it (``approve_change`` applies it through the same direct
  service, acting as the reviewer) or rejects it with a reason.

Exact duplicates: an ID number that belongs to a current member of another household is refused, naming that
household (户编号, village, head) when it lies in the user's scope, and only its county otherwise. Likely
duplicates (same name and birth date in one town, similar pinyin) are listed by ``duplicates``, never merged.

Errors are Chinese (``str(RegistryRefused)``, ``PermissionDenied``); warnings (e.g. an ID issued in another
city) never block and are recorded in the audit event under ``warnings``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.core import idnumbers
from bangfu.core.crypto import blind_index
from bangfu.core.masking import mask_id_number
from bangfu.regions.codes import Level, is_valid_code, level_of
from bangfu.regions.models import Region
from bangfu.registry import access, income, validation
from bangfu.registry.models import (
    PROBLEM_VALUES,
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    DuplicateCandidate,
    Employment,
    Household,
    HouseholdStatus,
    HouseholdYear,
    IncomeLine,
    IncomeStatement,
    IndicatorObservation,
    LeftReason,
    Member,
    ProgrammeEnrolment,
    ProgrammeKind,
    Relation,
    Source,
)
from bangfu.registry.validation import Problem

if TYPE_CHECKING:
    from django.http import HttpRequest

    from bangfu.accounts.models import User

__all__ = [
    "TRANSITIONS",
    "RegistryRefused",
    "add_employment",
    "add_member",
    "approve_change",
    "change_payload",
    "close_household",
    "create_household",
    "end_employment",
    "end_programme",
    "enrol_programme",
    "exact_duplicates",
    "member_leaves",
    "record_indicator",
    "reject_change",
    "set_income_statement",
    "submit_change",
    "update_household",
    "update_member",
    "withdraw_change",
]

# Fields a new member must have (the ID number may be missing: some elderly people and infants have none).
MEMBER_REQUIRED: Final = ("name", "sex", "birth_date", "relation")
EMPLOYMENT_FIELDS: Final = frozenset(
    {
        "employer",
        "industry",
        "place",
        "place_detail",
        "channel",
        "start_date",
        "end_date",
        "months",
        "transport_subsidy",
    }
)
# Auto-maintained timestamps are left out of audit snapshots: they change on every save and say nothing.
_UNAUDITED = frozenset({"created_at", "updated_at", "submitted_at", "found_at", "recorded_at"})


class RegistryRefused(Exception):
    """A write refused for the listed problems (every one found, errors and warnings); ``str()`` is the
    Chinese text of the errors, for a message on a page or in an API error."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        shown = validation.errors(self.problems) or self.problems
        return "；".join(problem.message for problem in shown)


# --- shared steps --------------------------------------------------------------------------------------


def _refuse_on_errors(problems: Sequence[Problem]) -> list[Problem]:
    """Raise when any problem is an error; otherwise return the warnings."""
    if validation.errors(problems):
        raise RegistryRefused(problems)
    return validation.warnings(problems)


def _label(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def _missing(
    model: type[Model], typed: Mapping[str, Any], names: Iterable[str], problems: Sequence[Problem]
) -> list[Problem]:
    """Required fields missing from ``typed``; one already refused (blank, not a choice) is not reported
    a second time."""
    refused = {p.field for p in problems}
    return validation.check_required(typed, {k: _label(model, k) for k in names if k not in refused})


def _snap(instance: Any, **extra: Any) -> dict[str, Any]:
    """An audit snapshot without auto timestamps, plus ``extra`` keys."""
    values = {k: v for k, v in events.snapshot(instance).items() if k not in _UNAUDITED}
    return {**values, **events.json_safe(extra)}


def _with_warnings(values: dict[str, Any], warnings: Sequence[Problem]) -> dict[str, Any]:
    if warnings:
        values["warnings"] = [f"{p.field}: {p.message}" for p in warnings]
    return values


def _require_scope(by: User, region_code: str) -> None:
    if not access.in_scope(by, region_code):
        raise PermissionDenied(_("该农户不在您的管辖范围内。"))


def _require_direct(by: User, region_code: str, *, action: str) -> None:
    """Town and above, within scope; the village team is told to submit a change request instead.
    An empty ``region_code`` (a new household without a village yet) is left to validation."""
    if not access.can_edit_directly(by):
        if access.can_request_changes(by):
            raise PermissionDenied(
                _("驻村工作队不能直接%(action)s，请提交变更申请，由乡镇审核。") % {"action": action}
            )
        raise PermissionDenied(_("您没有修改农户信息的权限。"))
    if region_code:
        _require_scope(by, region_code)


def _require_recorder(by: User, region_code: str) -> None:
    if not access.can_record_details(by):
        raise PermissionDenied(_("您没有修改农户信息的权限。"))
    _require_scope(by, region_code)


def _locked_household(household: Household) -> Household:
    """The household re-read under a row lock (PostgreSQL), so concurrent edits of one household serialise
    and conflict checks see committed values."""
    return Household.objects.select_for_update().get(pk=household.pk)


def _require_active(household: Household) -> None:
    if household.status != HouseholdStatus.ACTIVE:
        raise RegistryRefused([Problem("status", _("该户已注销，不能再修改。"))])


def _saved_or_refused() -> RegistryRefused:
    # A unique constraint fired although the checks passed: another write got there first.
    return RegistryRefused([Problem("", _("保存失败：与刚刚保存的另一条记录冲突，请刷新后重试。"))])


def _region_names(codes: Iterable[str]) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "name"))


def _require_village(code: str) -> list[Problem]:
    if not is_valid_code(code) or level_of(code) != Level.VILLAGE:
        return [Problem("region_code", _("所在村须为12位村级区划代码：%(code)s") % {"code": code})]
    if not Region.objects.filter(code=code).exists():
        return [Problem("region_code", _("区划代码不存在：%(code)s") % {"code": code})]
    return []


def exact_duplicates(
    by: User, people: Sequence[tuple[str, str]], *, exclude: Iterable[int] = ()
) -> list[Problem]:
    """Problems for ID numbers (``(name, id_number)`` pairs) already held by a current member of the registry
    (other than the members in ``exclude``). Two queries and one region lookup, whatever the number, so the
    importer can check a whole workbook's ID numbers at once.

    Inside the user's scope the message names the other household (户编号, village, head); outside it, only
    the county, so that a village cadre learns nothing about people beyond their village.
    """
    by_index = {blind_index(number, kind="id_number"): name for name, number in people if number}
    if not by_index:
        return []
    others = list(
        Member.objects.current()
        .filter(id_number_index__in=list(by_index))
        .exclude(pk__in=list(exclude))
        .select_related("household")
    )
    if not others:
        return []
    heads = dict(
        Member.objects.current()
        .filter(household_id__in={m.household_id for m in others}, relation=Relation.HEAD)
        .values_list("household_id", "name")
    )
    names = _region_names({m.region_code for m in others} | {m.region_code[:6] + "000000" for m in others})
    problems = []
    for other in others:
        new_name = by_index[other.id_number_index]
        masked = mask_id_number(other.id_number)
        if access.in_scope(by, other.region_code):
            message = _(
                "%(name)s的身份证号码 %(id)s 已登记在户编号 %(number)s（%(village)s，户主%(head)s），"
                "同一人不能同时是两户的成员"
            ) % {
                "name": new_name,
                "id": masked,
                "number": other.household.household_number or f"#{other.household_id}",
                "village": names.get(other.region_code, other.region_code),
                "head": heads.get(other.household_id, "—"),
            }
        else:
            county = other.region_code[:6] + "000000"
            message = _(
                "%(name)s的身份证号码 %(id)s 已登记在%(county)s的其他村，"
                "同一人不能同时是两户的成员，请与乡镇核实"
            ) % {"name": new_name, "id": masked, "county": names.get(county, county)}
        problems.append(Problem("id_number", message))
    return problems


# --- households ----------------------------------------------------------------------------------------


def _household_values(
    values: Mapping[str, Any], *, current: Household | None
) -> tuple[dict[str, Any], list[Problem]]:
    """Typed household values (changes only, when ``current`` is given) and the problems of the result."""
    typed, problems = validation.coerce_values(Household, values, fields=access.HOUSEHOLD_EDITABLE_FIELDS)
    if current is not None:
        typed = {k: v for k, v in typed.items() if getattr(current, k) != v}
    code = typed.get("region_code", current.region_code if current else "")
    if "region_code" in typed or current is None:
        if not code:
            problems.append(Problem("region_code", _("请选择所在村")))
        else:
            problems += _require_village(code)
    number = typed.get("household_number") or ""
    if number:
        taken = Household.objects.filter(household_number=number)
        if current is not None:
            taken = taken.exclude(pk=current.pk)
        if taken.exists():
            problems.append(
                Problem("household_number", _("户编号 %(number)s 已被其他农户使用") % {"number": number})
            )
    if current is not None:
        # Only problems this change introduces: an old flaw elsewhere in the record must not block an edit.
        existing = {key: getattr(current, key) for key in access.HOUSEHOLD_EDITABLE_FIELDS}
        before = validation.check_household(existing)
        problems += [p for p in validation.check_household(existing | typed) if p not in before]
    else:
        problems += validation.check_household({"is_exited_poor": False, "relocated": False} | typed)
    return typed, problems


def _member_values(
    values: Mapping[str, Any], *, village_code: str, on: date, current: Member | None
) -> tuple[dict[str, Any], list[Problem]]:
    """Typed member values (changes only, when ``current`` is given) and the problems of the whole record.

    A new member without a birth date or sex gets them from a valid ID number (they are printed in it).
    """
    typed, problems = validation.coerce_values(Member, values, fields=access.MEMBER_EDITABLE_FIELDS)
    if current is None:
        number = typed.get("id_number") or ""
        if number and not {"birth_date", "sex"} <= typed.keys():
            try:
                parsed = idnumbers.parse(number, on=on)
            except idnumbers.InvalidIdNumber:
                parsed = None  # reported by check_member below
            if parsed is not None:
                typed.setdefault("birth_date", parsed.birth_date)
                typed.setdefault("sex", parsed.sex)
        problems += _missing(Member, typed, MEMBER_REQUIRED, problems)
        problems += validation.check_member(typed, village_code=village_code, on=on)
    else:
        typed = {k: v for k, v in typed.items() if getattr(current, k) != v}
        # The whole record is checked (a new ID must match the stored birth date), but only problems this
        # change introduces are reported: an imported record's old flaw must not block a health update.
        existing = {key: getattr(current, key) for key in access.MEMBER_EDITABLE_FIELDS}
        before = validation.check_member(existing, village_code=village_code, on=on)
        after = validation.check_member(existing | typed, village_code=village_code, on=on)
        problems += [p for p in after if p not in before]
    joined = typed.get("joined_on")
    if joined and joined > on:
        problems.append(Problem("joined_on", _("入户日期不能晚于今天")))
    return typed, problems


def _composition_of(members: Iterable[Member]) -> list[dict[str, Any]]:
    return [{"name": m.name, "relation": m.relation, "id_number": m.id_number} for m in members]


@dataclass
class _NewHousehold:
    values: dict[str, Any]
    members: list[dict[str, Any]]
    warnings: list[Problem] = field(default_factory=list)


def _prepare_new_household(
    *, by: User, values: Mapping[str, Any], members: Sequence[Mapping[str, Any]], on: date
) -> _NewHousehold:
    household_values, problems = _household_values(values, current=None)
    village = household_values.get("region_code", "")
    typed_members = []
    for number, member in enumerate(members, start=1):
        typed, member_problems = _member_values(member, village_code=village, on=on, current=None)
        typed_members.append(typed)
        where = _("第%(number)d名成员（%(name)s）") % {"number": number, "name": member.get("name") or ""}
        problems += [Problem(p.field, f"{where}：{p.message}", p.level) for p in member_problems]
    if not members:
        problems.append(Problem("members", _("新增农户须至少有一名家庭成员（户主）")))
    else:
        problems += validation.check_composition(typed_members)
    problems += exact_duplicates(by, [(m.get("name", ""), m.get("id_number", "")) for m in typed_members])
    warnings = _refuse_on_errors(problems)
    return _NewHousehold(values=household_values, members=typed_members, warnings=warnings)


def create_household(
    *,
    by: User,
    values: Mapping[str, Any],
    members: Sequence[Mapping[str, Any]],
    on: date,
    source: str = Source.ENTRY,
    request: HttpRequest | None = None,
) -> Household:
    """Register a new household with its members (town and above; the village submits a change request).

    ``values`` holds Household fields (``region_code`` = the village, required); each of ``members`` Member
    fields. Members' ``joined_on`` stays as given (empty = member since always).

    Side effects: one Household and its Member rows (``region_code`` = the village, blind indexes of phone
    and ID numbers); audit ``created`` for the household and for each member.
    """
    _require_direct(by, str(values.get("region_code") or ""), action=_("新增农户"))
    try:
        with transaction.atomic():
            prepared = _prepare_new_household(by=by, values=values, members=members, on=on)
            household = Household(**prepared.values, source=source)
            household.phone_index = blind_index(household.phone, kind="phone")
            household.save()
            rows = [_new_member(household, typed, source=source) for typed in prepared.members]
            Member.objects.bulk_create(rows)
            events.created(
                actor=by,
                obj=household,
                after=_with_warnings(_snap(household, members=len(rows)), prepared.warnings),
                request=request,
            )
            for row in rows:
                events.created(actor=by, obj=row, after=_snap(row), request=request)
    except IntegrityError as exc:
        raise _saved_or_refused() from exc
    return household


def _new_member(household: Household, typed: Mapping[str, Any], *, source: str) -> Member:
    member = Member(household=household, region_code=household.region_code, source=source, **typed)
    member.id_number_index = blind_index(member.id_number, kind="id_number")
    return member


def update_household(
    *,
    household: Household,
    by: User,
    values: Mapping[str, Any],
    on: date,
    request: HttpRequest | None = None,
) -> Household:
    """Change a household's own fields (``access.HOUSEHOLD_EDITABLE_FIELDS``; unchanged values are ignored).

    The village team may change contact and living details directly; the number, type, exited-poor flag and
    village only by change request. Moving the household to another village (town and above, both villages
    in scope) moves every row that belongs to it.

    Side effects: the Household row (phone blind index recomputed); on a move, ``region_code`` of its
    members, years, programmes, employment, income statements and lines, indicators and change requests, and
    of duplicate candidates naming its members (the town's code); audit ``updated``.
    """
    _require_recorder(by, household.region_code)
    try:
        with transaction.atomic():
            household = _locked_household(household)
            _require_recorder(by, household.region_code)
            _require_active(household)
            changes, problems = _household_values(values, current=household)
            if access.household_fields_need_review(by, set(changes)):
                raise PermissionDenied(
                    _(
                        "驻村工作队不能直接修改户编号、户类型、是否脱贫户和所在村，请提交变更申请，由乡镇审核。"
                    )
                )
            warnings = _refuse_on_errors(problems)
            if not changes:
                return household
            if "region_code" in changes:
                _require_scope(by, changes["region_code"])
            before = _snap(household)
            for key, value in changes.items():
                setattr(household, key, value)
            household.phone_index = blind_index(household.phone, kind="phone")
            household.save()
            if "region_code" in changes:
                _move_children(household)
            events.updated(
                actor=by,
                obj=household,
                before=before,
                after=_with_warnings(_snap(household), warnings),
                request=request,
            )
    except IntegrityError as exc:
        raise _saved_or_refused() from exc
    return household


def _move_children(household: Household) -> None:
    """Keep the denormalised village code of every row of ``household`` in step (set-based updates)."""
    code = household.region_code
    Member.objects.filter(household=household).update(region_code=code)
    HouseholdYear.objects.filter(household=household).update(region_code=code)
    ProgrammeEnrolment.objects.filter(household=household).update(region_code=code)
    Employment.objects.filter(household=household).update(region_code=code)
    IncomeStatement.objects.filter(household=household).update(region_code=code)
    IndicatorObservation.objects.filter(household=household).update(region_code=code)
    IncomeLine.objects.filter(statement__household=household).update(region_code=code)
    ChangeRequest.objects.filter(household=household).update(region_code=code)
    members = Member.objects.filter(household=household).values("pk")
    DuplicateCandidate.objects.filter(Q(member_a__in=members) | Q(member_b__in=members)).update(
        region_code=code[:9] + "000"
    )


def close_household(
    *,
    household: Household,
    by: User,
    closed_on: date,
    reason: str,
    member_reason: str = LeftReason.OTHER,
    request: HttpRequest | None = None,
) -> Household:
    """Deregister a household (注销: died out, moved away, merged): town and above.

    Side effects: status ``closed`` with date and reason; every current member leaves on ``closed_on`` with
    ``member_reason``; open programmes and employment end on ``closed_on``; audit ``updated`` for the
    household and for each member that left.
    """
    _require_direct(by, household.region_code, action=_("注销农户"))
    reason = (reason or "").strip()
    problems: list[Problem] = []
    if not reason:
        problems.append(Problem("closed_reason", _("请填写注销原因")))
    elif len(reason) > 200:
        problems.append(Problem("closed_reason", _("注销原因最多200字")))
    if member_reason not in LeftReason.values:
        problems.append(Problem("left_reason", _("离户原因无效：%(value)s") % {"value": member_reason}))
    with transaction.atomic():
        household = _locked_household(household)
        _require_direct(by, household.region_code, action=_("注销农户"))
        _require_active(household)
        current = list(Member.objects.filter(household=household).current())
        late = [m.name for m in current if m.joined_on and m.joined_on > closed_on]
        if late:
            problems.append(
                Problem("closed_on", _("注销日期早于%(names)s的入户日期") % {"names": "、".join(late)})
            )
        _refuse_on_errors(problems)
        before = _snap(household)
        household.status = HouseholdStatus.CLOSED
        household.closed_on = closed_on
        household.closed_reason = reason
        household.save()
        ProgrammeEnrolment.objects.filter(
            household=household, end_date__isnull=True, start_date__lte=closed_on
        ).update(end_date=closed_on)
        Employment.objects.filter(
            household=household, end_date__isnull=True, start_date__lte=closed_on
        ).update(end_date=closed_on)
        events.updated(actor=by, obj=household, before=before, after=_snap(household), request=request)
        for member in current:
            member_before = _snap(member)
            member.left_on, member.left_reason = closed_on, member_reason
            member.save(update_fields=["left_on", "left_reason", "updated_at"])
            events.updated(actor=by, obj=member, before=member_before, after=_snap(member), request=request)
    return household


# --- members -------------------------------------------------------------------------------------------


def _prepare_new_member(
    *, by: User, household: Household, values: Mapping[str, Any], on: date
) -> tuple[dict[str, Any], list[Problem]]:
    typed, problems = _member_values(values, village_code=household.region_code, on=on, current=None)
    if "joined_on" not in values:
        typed["joined_on"] = on
    current = list(Member.objects.filter(household=household).current())
    problems += validation.check_composition([*_composition_of(current), typed])
    problems += exact_duplicates(by, [(typed.get("name", ""), typed.get("id_number", ""))])
    return typed, _refuse_on_errors(problems)


def add_member(
    *,
    household: Household,
    by: User,
    values: Mapping[str, Any],
    on: date,
    source: str = Source.ENTRY,
    request: HttpRequest | None = None,
) -> Member:
    """A person joins the household (birth, marriage, moving in): town and above.

    ``joined_on`` defaults to ``on``; pass it (or ``None`` for "always") to record an earlier date.

    Side effects: one Member row (village code and ID blind index set); audit ``created``.
    """
    _require_direct(by, household.region_code, action=_("新增家庭成员"))
    try:
        with transaction.atomic():
            household = _locked_household(household)
            _require_direct(by, household.region_code, action=_("新增家庭成员"))
            _require_active(household)
            typed, warnings = _prepare_new_member(by=by, household=household, values=values, on=on)
            member = _new_member(household, typed, source=source)
            member.save()
            events.created(
                actor=by, obj=member, after=_with_warnings(_snap(member), warnings), request=request
            )
    except IntegrityError as exc:
        raise _saved_or_refused() from exc
    return member


@dataclass
class _MemberUpdate:
    changes: dict[str, Any]
    former_head: Member | None
    former_head_relation: str
    warnings: list[Problem]


def _prepare_member_update(
    *,
    by: User,
    member: Member,
    values: Mapping[str, Any],
    on: date,
    former_head_relation: str | None,
) -> _MemberUpdate:
    changes, problems = _member_values(values, village_code=member.region_code, on=on, current=member)
    former_head: Member | None = None
    if member.left_on is None and "relation" in changes:
        current = list(Member.objects.filter(household_id=member.household_id).current())
        if changes["relation"] == Relation.HEAD:
            former_head = next(
                (m for m in current if m.relation == Relation.HEAD and m.pk != member.pk), None
            )
        if former_head is not None:
            if not former_head_relation or former_head_relation == Relation.HEAD:
                problems.append(
                    Problem(
                        "relation",
                        _("该户已有户主%(name)s，请同时填写其改为的与户主关系") % {"name": former_head.name},
                    )
                )
            elif former_head_relation not in Relation.values:
                problems.append(
                    Problem("relation", _("与户主关系无效：%(value)s") % {"value": former_head_relation})
                )
        result = []
        for m in current:
            relation = m.relation
            if m.pk == member.pk:
                relation = changes["relation"]
            elif former_head is not None and m.pk == former_head.pk:
                relation = former_head_relation or m.relation
            result.append({"name": m.name, "relation": relation, "id_number": m.id_number})
        problems += validation.check_composition(result)
    if changes.get("id_number") and member.left_on is None:
        problems += exact_duplicates(by, [(member.name, changes["id_number"])], exclude=[member.pk])
    warnings = _refuse_on_errors(problems)
    return _MemberUpdate(changes, former_head, former_head_relation or "", warnings)


def update_member(
    *,
    member: Member,
    by: User,
    values: Mapping[str, Any],
    on: date,
    former_head_relation: str | None = None,
    request: HttpRequest | None = None,
) -> Member:
    """Change a member's fields (``access.MEMBER_EDITABLE_FIELDS``; unchanged values are ignored).

    Identity fields (name, ID, sex, birth date, relation, ethnicity, join date) need town and above; the
    village team changes the other details directly. Making a member the head while another current head
    exists needs ``former_head_relation``: the former head's new relation, applied in the same transaction.

    Side effects: the Member row (ID blind index recomputed); the former head's relation when the head
    changes; audit ``updated`` for each changed member.
    """
    _require_recorder(by, member.region_code)
    try:
        with transaction.atomic():
            household = _locked_household(member.household)
            member = Member.objects.get(pk=member.pk)
            _require_recorder(by, member.region_code)
            _require_active(household)
            typed, _problems = validation.coerce_values(Member, values, fields=access.MEMBER_EDITABLE_FIELDS)
            touched = {k for k, v in typed.items() if getattr(member, k) != v}
            if access.member_fields_need_review(by, touched):
                raise PermissionDenied(
                    _(
                        "驻村工作队不能直接修改姓名、身份证号码、性别、出生日期、与户主关系、民族和入户日期，"
                        "请提交变更申请，由乡镇审核。"
                    )
                )
            update = _prepare_member_update(
                by=by, member=member, values=values, on=on, former_head_relation=former_head_relation
            )
            if not update.changes:
                return member
            if update.former_head is not None:
                head_before = _snap(update.former_head)
                update.former_head.relation = update.former_head_relation
                update.former_head.save(update_fields=["relation", "updated_at"])
                events.updated(
                    actor=by,
                    obj=update.former_head,
                    before=head_before,
                    after=_snap(update.former_head),
                    request=request,
                )
            before = _snap(member)
            for key, value in update.changes.items():
                setattr(member, key, value)
            member.id_number_index = blind_index(member.id_number, kind="id_number")
            member.save()
            events.updated(
                actor=by,
                obj=member,
                before=before,
                after=_with_warnings(_snap(member), update.warnings),
                request=request,
            )
    except IntegrityError as exc:
        raise _saved_or_refused() from exc
    return member


def _prepare_leave(*, member: Member, left_on: date, reason: str, new_head: Member | None) -> list[Problem]:
    problems: list[Problem] = []
    if member.left_on is not None:
        problems.append(
            Problem("left_on", _("%(name)s已于%(day)s离户") % {"name": member.name, "day": member.left_on})
        )
        return problems
    if reason not in LeftReason.values:
        problems.append(Problem("left_reason", _("离户原因无效：%(value)s") % {"value": reason}))
    if member.joined_on and left_on < member.joined_on:
        problems.append(Problem("left_on", _("离户日期早于入户日期 %(day)s") % {"day": member.joined_on}))
    remaining = [
        m for m in Member.objects.filter(household_id=member.household_id).current() if m.pk != member.pk
    ]
    if new_head is not None:
        if member.relation != Relation.HEAD:
            problems.append(Problem("new_head", _("只有户主离户时才需要指定新户主")))
        elif new_head.pk not in {m.pk for m in remaining}:
            problems.append(Problem("new_head", _("新户主须是本户的其他在户成员")))
    if remaining:
        composition = [
            {
                "name": m.name,
                "relation": Relation.HEAD if new_head is not None and m.pk == new_head.pk else m.relation,
                "id_number": m.id_number,
            }
            for m in remaining
        ]
        problems += [
            Problem("new_head", _("户主离户时须指定本户的新户主")) if p.field == "relation" else p
            for p in validation.check_composition(composition)
        ]
    return problems


def member_leaves(
    *,
    member: Member,
    by: User,
    left_on: date,
    reason: str,
    new_head: Member | None = None,
    request: HttpRequest | None = None,
) -> Member:
    """A member leaves the household (death, moving out, marriage …): town and above. The row is kept.

    When the head leaves and others remain, ``new_head`` (a remaining member) becomes the head.

    Side effects: ``left_on``/``left_reason`` on the Member; the new head's relation; audit ``updated``.
    """
    _require_direct(by, member.region_code, action=_("办理家庭成员离户"))
    with transaction.atomic():
        household = _locked_household(member.household)
        member = Member.objects.get(pk=member.pk)
        _require_direct(by, member.region_code, action=_("办理家庭成员离户"))
        _require_active(household)
        if new_head is not None:
            new_head = Member.objects.get(pk=new_head.pk)
        _refuse_on_errors(_prepare_leave(member=member, left_on=left_on, reason=reason, new_head=new_head))
        before = _snap(member)
        member.left_on, member.left_reason = left_on, reason
        member.save(update_fields=["left_on", "left_reason", "updated_at"])
        events.updated(actor=by, obj=member, before=before, after=_snap(member), request=request)
        if new_head is not None:
            head_before = _snap(new_head)
            new_head.relation = Relation.HEAD
            new_head.save(update_fields=["relation", "updated_at"])
            events.updated(actor=by, obj=new_head, before=head_before, after=_snap(new_head), request=request)
    return member


# --- income --------------------------------------------------------------------------------------------


@dataclass
class _Income:
    lines: list[dict[str, Any]]
    household_size: int


def _prepare_income(
    *,
    household: Household,
    period_kind: str,
    period_start: date,
    period_end: date,
    lines: Sequence[Mapping[str, Any]],
    household_size: int | None,
) -> _Income:
    problems = validation.check_income_period(period_kind, period_start, period_end)
    typed_lines, line_problems = validation.check_income_lines(lines)
    problems += line_problems
    if household_size is None:
        household_size = income.household_size_on(household, period_end)
        if household_size == 0:
            problems.append(
                Problem(
                    "household_size",
                    _("截止日期 %(day)s 该户没有在户成员，请填写家庭人口数") % {"day": period_end},
                )
            )
    elif (
        isinstance(household_size, bool)
        or not isinstance(household_size, int)
        or not 1 <= household_size <= 99
    ):
        problems.append(Problem("household_size", _("家庭人口数须为1至99的整数")))
    _refuse_on_errors(problems)
    return _Income(lines=typed_lines, household_size=int(household_size))


def _statement_snapshot(statement: IncomeStatement) -> dict[str, Any]:
    lines = [
        {"component": line.component, "item": line.item, "amount": line.amount, "note": line.note}
        for line in statement.lines.order_by("pk")
    ]
    return _snap(statement, lines=lines)


def set_income_statement(
    *,
    household: Household,
    by: User,
    period_kind: str,
    period_start: date,
    period_end: date,
    lines: Sequence[Mapping[str, Any]],
    household_size: int | None = None,
    source: str = Source.ENTRY,
    request: HttpRequest | None = None,
) -> IncomeStatement:
    """Write the household's income and expense statement for one period (town and above).

    ``lines`` are ``{"component", "item", "amount", "note"}``; they replace the period's lines. Component
    totals are recomputed from the counted lines (``excluded`` lines are kept, never counted); net and
    per-capita net income are generated by the database. ``household_size`` defaults to the members in the
    household at the end of the period.

    Side effects: the IncomeStatement row (created or updated) and its IncomeLine rows (replaced); audit
    ``created`` or ``updated`` with the lines before and after.
    """
    _require_direct(by, household.region_code, action=_("修改收支情况"))
    with transaction.atomic():
        household = _locked_household(household)
        _require_direct(by, household.region_code, action=_("修改收支情况"))
        _require_active(household)
        prepared = _prepare_income(
            household=household,
            period_kind=period_kind,
            period_start=period_start,
            period_end=period_end,
            lines=lines,
            household_size=household_size,
        )
        statement = IncomeStatement.objects.filter(
            household=household, period_start=period_start, period_end=period_end
        ).first()
        before = _statement_snapshot(statement) if statement is not None else None
        if statement is None:
            statement = IncomeStatement(
                household=household,
                region_code=household.region_code,
                period_start=period_start,
                period_end=period_end,
            )
        statement.period_kind = period_kind
        statement.household_size = prepared.household_size
        statement.source = source
        statement.save()
        statement.lines.all().delete()
        IncomeLine.objects.bulk_create(
            IncomeLine(statement=statement, region_code=household.region_code, **line)
            for line in prepared.lines
        )
        income.recompute_totals(IncomeStatement.objects.filter(pk=statement.pk))
        statement.refresh_from_db()
        after = _statement_snapshot(statement)
        if before is None:
            events.created(actor=by, obj=statement, after=after, request=request)
        else:
            events.updated(actor=by, obj=statement, before=before, after=after, request=request)
    return statement


# --- indicators, programmes, employment ----------------------------------------------------------------


def record_indicator(
    *,
    household: Household,
    by: User,
    indicator: str,
    value: str,
    observed_on: date,
    note: str = "",
    on: date | None = None,
    source: str = Source.ENTRY,
    request: HttpRequest | None = None,
) -> IndicatorObservation:
    """Record one observation of a 三保障/water indicator (village team and above, directly).

    ``on`` (today) refuses observations dated after it.

    Side effects: one IndicatorObservation (``is_problem`` from the value); audit ``created``.
    """
    _require_recorder(by, household.region_code)
    problems = validation.check_indicator(indicator, value)
    note = (note or "").strip()
    if len(note) > 200:
        problems.append(Problem("note", _("说明最多200字")))
    if on is not None and observed_on > on:
        problems.append(Problem("observed_on", _("核查日期不能晚于今天")))
    _refuse_on_errors(problems)
    with transaction.atomic():
        household = _locked_household(household)
        _require_active(household)
        observation = IndicatorObservation.objects.create(
            household=household,
            region_code=household.region_code,
            indicator=indicator,
            value=value,
            is_problem=value in PROBLEM_VALUES,
            observed_on=observed_on,
            note=note,
            source=source,
            recorded_by=by,
        )
        events.created(actor=by, obj=observation, after=_snap(observation), request=request)
    return observation


def enrol_programme(
    *,
    household: Household,
    by: User,
    kind: str,
    start_date: date,
    member: Member | None = None,
    grade: str = "",
    monthly_amount: Decimal | None = None,
    end_date: date | None = None,
    note: str = "",
    source: str = Source.ENTRY,
    request: HttpRequest | None = None,
) -> ProgrammeEnrolment:
    """Record that the household (or one member) is in a programme from ``start_date`` (village team and
    above). An enrolment of the same kind and person overlapping the period is refused (end it first).

    Side effects: one ProgrammeEnrolment; audit ``created``.
    """
    _require_recorder(by, household.region_code)
    problems: list[Problem] = []
    if kind not in ProgrammeKind.values:
        problems.append(Problem("kind", _("项目无效：%(value)s") % {"value": kind}))
    if member is not None and member.household_id != household.pk:
        problems.append(Problem("member", _("该成员不属于本户")))
    problems += validation.check_dates_ordered(start_date, end_date)
    grade, note = (grade or "").strip(), (note or "").strip()
    if len(grade) > 20 or len(note) > 200:
        problems.append(Problem("note", _("类别最多20字，说明最多200字")))
    if monthly_amount is not None and (monthly_amount < 0 or monthly_amount >= Decimal("1e10")):
        problems.append(Problem("monthly_amount", _("月发放金额无效")))
    with transaction.atomic():
        household = _locked_household(household)
        _require_active(household)
        overlapping = ProgrammeEnrolment.objects.filter(household=household, kind=kind, member=member)
        if overlapping.active_during(start_date, end_date or date.max).exists():
            problems.append(Problem("start_date", _("同一期间已有该项目的记录，请先结束原记录")))
        _refuse_on_errors(problems)
        enrolment = ProgrammeEnrolment.objects.create(
            household=household,
            member=member,
            region_code=household.region_code,
            kind=kind,
            grade=grade,
            start_date=start_date,
            end_date=end_date,
            monthly_amount=monthly_amount,
            note=note,
            source=source,
        )
        events.created(actor=by, obj=enrolment, after=_snap(enrolment), request=request)
    return enrolment


def end_programme(
    *, enrolment: ProgrammeEnrolment, by: User, end_date: date, request: HttpRequest | None = None
) -> ProgrammeEnrolment:
    """End an open enrolment on ``end_date`` (village team and above). Side effects: ``end_date``; audit."""
    _require_recorder(by, enrolment.region_code)
    with transaction.atomic():
        enrolment = ProgrammeEnrolment.objects.select_for_update().get(pk=enrolment.pk)
        problems = _check_open(enrolment.end_date) + validation.check_dates_ordered(
            enrolment.start_date, end_date
        )
        _refuse_on_errors(problems)
        before = _snap(enrolment)
        enrolment.end_date = end_date
        enrolment.save(update_fields=["end_date"])
        events.updated(actor=by, obj=enrolment, before=before, after=_snap(enrolment), request=request)
    return enrolment


def _check_open(end_date: date | None) -> list[Problem]:
    if end_date is not None:
        return [Problem("end_date", _("该记录已于 %(day)s 结束") % {"day": end_date.isoformat()})]
    return []


def add_employment(
    *,
    member: Member,
    by: User,
    values: Mapping[str, Any],
    source: str = Source.ENTRY,
    request: HttpRequest | None = None,
) -> Employment:
    """Record a period of work of a member (village team and above): ``values`` holds Employment fields
    (``place``, ``channel`` and ``start_date`` required). Side effects: one Employment; audit ``created``."""
    _require_recorder(by, member.region_code)
    typed, problems = validation.coerce_values(Employment, values, fields=EMPLOYMENT_FIELDS)
    problems += _missing(Employment, typed, ("place", "channel", "start_date"), problems)
    problems += validation.check_dates_ordered(typed.get("start_date"), typed.get("end_date"))
    if typed.get("months") is not None and typed["months"] > 12:
        problems.append(Problem("months", _("务工时间（月）不能超过12")))
    _refuse_on_errors(problems)
    with transaction.atomic():
        _require_active(_locked_household(member.household))
        employment = Employment.objects.create(
            member=member,
            household_id=member.household_id,
            region_code=member.region_code,
            source=source,
            **typed,
        )
        events.created(actor=by, obj=employment, after=_snap(employment), request=request)
    return employment


def end_employment(
    *, employment: Employment, by: User, end_date: date, request: HttpRequest | None = None
) -> Employment:
    """End an open period of work on ``end_date``. Side effects: ``end_date``; audit ``updated``."""
    _require_recorder(by, employment.region_code)
    with transaction.atomic():
        employment = Employment.objects.select_for_update().get(pk=employment.pk)
        problems = _check_open(employment.end_date) + validation.check_dates_ordered(
            employment.start_date, end_date
        )
        _refuse_on_errors(problems)
        before = _snap(employment)
        employment.end_date = end_date
        employment.save(update_fields=["end_date"])
        events.updated(actor=by, obj=employment, before=before, after=_snap(employment), request=request)
    return employment


# --- change requests (maker-checker) -------------------------------------------------------------------

# The workflow, declared once: from a state, the states a change request may move to.
TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    ChangeStatus.PENDING: frozenset({ChangeStatus.APPROVED, ChangeStatus.REJECTED, ChangeStatus.WITHDRAWN}),
    ChangeStatus.APPROVED: frozenset(),
    ChangeStatus.REJECTED: frozenset(),
    ChangeStatus.WITHDRAWN: frozenset(),
}
# Kinds of change that concern one member (the others, except a new household, concern a household).
_MEMBER_KINDS = frozenset({ChangeKind.UPDATE_MEMBER, ChangeKind.REMOVE_MEMBER})


def change_payload(change: ChangeRequest) -> dict[str, Any]:
    """The proposed values of a change request (JSON: dates as ISO text, decimals as text, stored codes)."""
    data = json.loads(change.payload or "{}")
    return data if isinstance(data, dict) else {}


def change_base(change: ChangeRequest) -> dict[str, Any]:
    """The values the change was based on when it was submitted (for the conflict check)."""
    data = json.loads(change.base or "{}")
    return data if isinstance(data, dict) else {}


def _payload_date(payload: Mapping[str, Any], key: str) -> date:
    value = payload.get(key)
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise RegistryRefused([Problem(key, _("日期无效：%(value)s") % {"value": value})]) from exc


def _payload_size(payload: Mapping[str, Any]) -> int | None:
    value = payload.get("household_size")
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise RegistryRefused([Problem("household_size", _("家庭人口数须为1至99的整数"))]) from exc


def _new_head_of(member: Member, payload: Mapping[str, Any]) -> Member | None:
    pk = payload.get("new_head")
    if pk in (None, ""):
        return None
    head = Member.objects.filter(pk=pk, household_id=member.household_id).first()
    if head is None:
        raise RegistryRefused([Problem("new_head", _("新户主须是本户的其他在户成员"))])
    return head


def _base_of(
    kind: str, payload: Mapping[str, Any], household: Household | None, member: Member | None
) -> dict[str, Any]:
    """The current values of what the change touches: compared again at approval (conflict check)."""
    if kind == ChangeKind.UPDATE_HOUSEHOLD and household is not None:
        return {key: events.json_safe(getattr(household, key)) for key in payload if hasattr(household, key)}
    if kind == ChangeKind.UPDATE_MEMBER and member is not None:
        base = {
            key: events.json_safe(getattr(member, key))
            for key in payload
            if key in access.MEMBER_EDITABLE_FIELDS
        }
        if payload.get("relation") == Relation.HEAD:
            head = (
                Member.objects.filter(household_id=member.household_id, relation=Relation.HEAD)
                .current()
                .first()
            )
            base["head"] = head.pk if head else None
        return base
    if kind == ChangeKind.REMOVE_MEMBER and member is not None:
        return {"left_on": events.json_safe(member.left_on), "relation": member.relation}
    if kind == ChangeKind.SET_INCOME and household is not None:
        statement = IncomeStatement.objects.filter(
            household=household,
            period_start=_payload_date(payload, "period_start"),
            period_end=_payload_date(payload, "period_end"),
        ).first()
        if statement is None:
            return {"statement": None}
        snapshot = _statement_snapshot(statement)
        return {"statement": {k: v for k, v in snapshot.items() if k not in {"source"}}}
    return {}


def _base_labels(kind: str) -> dict[str, str]:
    model = Household if kind == ChangeKind.UPDATE_HOUSEHOLD else Member
    labels = {f.name: str(f.verbose_name) for f in model._meta.concrete_fields}
    return labels | {"head": _("户主"), "statement": _("收支情况")}


def _validate_change(
    *,
    by: User,
    kind: str,
    payload: Mapping[str, Any],
    household: Household | None,
    member: Member | None,
    on: date,
) -> None:
    """The same checks as the direct service the change will go through, without writing anything."""
    if kind == ChangeKind.CREATE_HOUSEHOLD:
        values = payload.get("household")
        members = payload.get("members")
        if not isinstance(values, Mapping) or not isinstance(members, list):
            raise RegistryRefused([Problem("", _("新增农户的申请须包含农户信息和家庭成员"))])
        _prepare_new_household(by=by, values=values, members=members, on=on)
    elif kind == ChangeKind.UPDATE_HOUSEHOLD and household is not None:
        changes, problems = _household_values(payload, current=household)
        _refuse_on_errors(problems)
        if not changes:
            raise RegistryRefused([Problem("", _("申请中的内容与现有信息相同，无需变更"))])
    elif kind == ChangeKind.ADD_MEMBER and household is not None:
        _prepare_new_member(by=by, household=household, values=payload, on=on)
    elif kind == ChangeKind.UPDATE_MEMBER and member is not None:
        values = {k: v for k, v in payload.items() if k != "former_head_relation"}
        update = _prepare_member_update(
            by=by,
            member=member,
            values=values,
            on=on,
            former_head_relation=payload.get("former_head_relation"),
        )
        if not update.changes:
            raise RegistryRefused([Problem("", _("申请中的内容与现有信息相同，无需变更"))])
    elif kind == ChangeKind.REMOVE_MEMBER and member is not None:
        unknown = set(payload) - {"left_on", "reason", "new_head"}
        problems = [Problem(key, _("未知的字段：%(field)s") % {"field": key}) for key in sorted(unknown)]
        problems += _prepare_leave(
            member=member,
            left_on=_payload_date(payload, "left_on"),
            reason=str(payload.get("reason") or ""),
            new_head=_new_head_of(member, payload),
        )
        _refuse_on_errors(problems)
    elif kind == ChangeKind.SET_INCOME and household is not None:
        lines = payload.get("lines")
        if not isinstance(lines, list):
            raise RegistryRefused([Problem("lines", _("收支申请须包含收支明细"))])
        _prepare_income(
            household=household,
            period_kind=str(payload.get("period_kind") or ""),
            period_start=_payload_date(payload, "period_start"),
            period_end=_payload_date(payload, "period_end"),
            lines=lines,
            household_size=_payload_size(payload),
        )


def submit_change(
    *,
    by: User,
    kind: str,
    payload: Mapping[str, Any],
    reason: str,
    household: Household | None = None,
    member: Member | None = None,
    on: date | None = None,
    request: HttpRequest | None = None,
) -> ChangeRequest:
    """A village team proposes a change of composition, identity or income for the town to review.

    The payload is validated now with the same rules as the direct service (``on``, default today, is the
    day the data is valid for), so mistakes show at once. ``household`` is required for
    ``update_household``/``add_member``/``set_income``, ``member`` for ``update_member``/``remove_member``;
    ``create_household`` names the village in ``payload["household"]["region_code"]`` (default: the
    user's village). The values it is based on are kept (``base``) to detect conflicting edits.

    Payloads (JSON; dates as ISO text, decimals as text, choices as stored codes, model field names):
    ``create_household`` {"household": {...}, "members": [{...}, …]}; ``update_household`` {field: value};
    ``add_member`` {field: value} (``joined_on`` defaults to the day of submission); ``update_member``
    {field: value, "former_head_relation"?: code when the member becomes head}; ``remove_member``
    {"left_on", "reason", "new_head"?: member id when the head leaves}; ``set_income`` {"period_kind",
    "period_start", "period_end", "household_size"?, "lines": [{"component", "item", "amount", "note"}]}.

    Side effects: one pending ChangeRequest (payload and base encrypted); audit ``created`` with the
    proposed values (personal data masked).
    """
    if not access.can_request_changes(by):
        raise PermissionDenied(_("只有驻村工作队提交变更申请；乡镇及以上用户请直接修改。"))
    on = on or timezone.localdate()
    reason = (reason or "").strip()
    problems: list[Problem] = []
    if kind not in ChangeKind.values:
        raise RegistryRefused([Problem("kind", _("变更类型无效：%(value)s") % {"value": kind})])
    if not reason:
        problems.append(Problem("reason", _("请填写变更理由")))
    elif len(reason) > 500:
        problems.append(Problem("reason", _("变更理由最多500字")))
    payload = dict(events.json_safe(dict(payload)))
    if kind == ChangeKind.ADD_MEMBER:
        # The member joined when the village reported it, not when the town gets round to approving.
        payload.setdefault("joined_on", on.isoformat())
    if member is not None:
        household = member.household
    if kind == ChangeKind.CREATE_HOUSEHOLD:
        if household is not None or member is not None:
            raise RegistryRefused([Problem("", _("新增农户的申请不能指定已有农户或成员"))])
        values = payload.get("household")
        if isinstance(values, dict) and not values.get("region_code"):
            values["region_code"] = str(getattr(by, "region_id", "") or "")
        region_code = str(values.get("region_code") or "") if isinstance(values, dict) else ""
    elif kind in _MEMBER_KINDS and member is None:
        raise RegistryRefused([Problem("member", _("请指定家庭成员"))])
    elif household is None:
        raise RegistryRefused([Problem("household", _("请指定农户"))])
    else:
        region_code = household.region_code
    _require_scope(by, region_code)
    if household is not None:
        _require_active(household)
    try:
        _validate_change(by=by, kind=kind, payload=payload, household=household, member=member, on=on)
    except RegistryRefused as refused:
        problems += refused.problems
    _refuse_on_errors(problems)
    with transaction.atomic():
        change = ChangeRequest.objects.create(
            household=household,
            member=member,
            region_code=region_code,
            kind=kind,
            payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
            base=json.dumps(_base_of(kind, payload, household, member), ensure_ascii=False, sort_keys=True),
            reason=reason,
            submitted_by=by,
        )
        events.created(actor=by, obj=change, after=_change_snapshot(change), request=request)
    return change


def _change_snapshot(change: ChangeRequest) -> dict[str, Any]:
    # The encrypted payload itself is never recorded; the proposed values are, masked by their key names.
    values = {k: v for k, v in _snap(change).items() if k not in {"payload", "base"}}
    return values | {"changes": change_payload(change)}


def _require_reviewer(by: User, change: ChangeRequest) -> None:
    if not access.can_edit_directly(by):
        raise PermissionDenied(_("只有乡镇及以上用户可以审核变更申请。"))
    if not access.in_scope(by, change.region_code):
        raise PermissionDenied(_("该申请不在您的管辖范围内。"))
    if change.submitted_by_id == by.pk:
        raise PermissionDenied(_("不能审核自己提交的申请。"))


def _transition(change: ChangeRequest, to: str) -> None:
    if to not in TRANSITIONS[change.status]:
        raise RegistryRefused(
            [
                Problem(
                    "status",
                    _("该申请当前状态为“%(status)s”，不能再处理") % {"status": change.get_status_display()},
                )
            ]
        )


def _locked_change(change: ChangeRequest) -> ChangeRequest:
    return ChangeRequest.objects.select_for_update().get(pk=change.pk)


def _conflicts(change: ChangeRequest) -> list[str]:
    """Labels of the fields whose values changed since the request was submitted."""
    payload = change_payload(change)
    household = Household.objects.filter(pk=change.household_id).first() if change.household_id else None
    member = Member.objects.filter(pk=change.member_id).first() if change.member_id else None
    stored, now = change_base(change), _base_of(change.kind, payload, household, member)
    labels = _base_labels(change.kind)
    return [labels.get(key, key) for key in sorted(stored) if stored.get(key) != now.get(key)]


def _apply(
    kind: str,
    payload: Mapping[str, Any],
    *,
    household: Household | None,
    member: Member | None,
    by: User,
    on: date,
    request: HttpRequest | None,
) -> Household | Member | IncomeStatement:
    """Write a change of ``kind`` (payload as ``submit_change`` documents; typed values or their JSON text)
    through the direct service, acting as ``by``; returns what it saved. A direct edit and an approved
    change request both come here."""
    if kind == ChangeKind.CREATE_HOUSEHOLD:
        return create_household(
            by=by,
            values=payload.get("household") or {},
            members=payload.get("members") or [],
            on=on,
            request=request,
        )
    if kind == ChangeKind.UPDATE_HOUSEHOLD and household is not None:
        return update_household(household=household, by=by, values=payload, on=on, request=request)
    if kind == ChangeKind.ADD_MEMBER and household is not None:
        return add_member(household=household, by=by, values=payload, on=on, request=request)
    if kind == ChangeKind.UPDATE_MEMBER and member is not None:
        return update_member(
            member=member,
            by=by,
            values={k: v for k, v in payload.items() if k != "former_head_relation"},
            on=on,
            former_head_relation=payload.get("former_head_relation") or None,
            request=request,
        )
    if kind == ChangeKind.REMOVE_MEMBER and member is not None:
        return member_leaves(
            member=member,
            by=by,
            left_on=_payload_date(payload, "left_on"),
            reason=str(payload.get("reason") or ""),
            new_head=_new_head_of(member, payload),
            request=request,
        )
    if kind == ChangeKind.SET_INCOME and household is not None:
        return set_income_statement(
            household=household,
            by=by,
            period_kind=str(payload.get("period_kind") or ""),
            period_start=_payload_date(payload, "period_start"),
            period_end=_payload_date(payload, "period_end"),
            lines=payload.get("lines") or [],
            household_size=_payload_size(payload),
            request=request,
        )
    raise RegistryRefused([Problem("", _("该申请缺少所涉及的农户或成员，不能通过"))])


def _touched(
    kind: str, payload: Mapping[str, Any], household: Household | None, member: Member | None
) -> set[str]:
    """The fields an edit of a household or member really changes (a value sent unchanged needs no review;
    one that cannot be read counts as changed: the service reports it, or the review decides); for the
    other kinds, the payload's keys."""
    if kind == ChangeKind.UPDATE_HOUSEHOLD and household is not None:
        current: Household | Member = household
        typed, _problems = validation.coerce_values(
            Household, payload, fields=access.HOUSEHOLD_EDITABLE_FIELDS
        )
    elif kind == ChangeKind.UPDATE_MEMBER and member is not None:
        current = member
        values = {k: v for k, v in payload.items() if k != "former_head_relation"}
        typed, _problems = validation.coerce_values(Member, values, fields=access.MEMBER_EDITABLE_FIELDS)
        payload = values
    else:
        return set(payload)
    unreadable = set(payload) - set(typed)
    return {key for key, value in typed.items() if getattr(current, key) != value} | unreadable


@dataclass(frozen=True)
class Edit:
    """What ``edit`` did: ``saved`` — the household, member or statement written at once — or ``change``,
    the change request submitted for review."""

    saved: Household | Member | IncomeStatement | None = None
    change: ChangeRequest | None = None


def edit(
    *,
    by: User,
    kind: str,
    payload: Mapping[str, Any],
    reason: str = "",
    household: Household | None = None,
    member: Member | None = None,
    on: date | None = None,
    request: HttpRequest | None = None,
) -> Edit:
    """A user's change of ``kind`` (a ``ChangeKind``; payload as ``submit_change`` documents), from a form or
    the API: written at once when the user may (town and above; a village team's edit of details outside the
    reviewed fields — ``access.change_needs_review``), else submitted as a change request with ``reason``,
    which the town's approval later writes through the same ``_apply``."""
    on = on or timezone.localdate()
    if access.change_needs_review(by, kind, _touched(kind, payload, household, member)):
        change = submit_change(
            by=by,
            kind=kind,
            payload=payload,
            reason=reason,
            household=household,
            member=member,
            on=on,
            request=request,
        )
        return Edit(change=change)
    saved = _apply(kind, payload, household=household, member=member, by=by, on=on, request=request)
    return Edit(saved=saved)


def _close_review(change: ChangeRequest, *, by: User, status: str, note: str) -> None:
    change.status = status
    change.reviewed_by = by
    change.reviewed_at = timezone.now()
    change.review_note = note


def approve_change(
    *, change: ChangeRequest, by: User, on: date, note: str = "", request: HttpRequest | None = None
) -> ChangeRequest:
    """A town (or higher) user approves a pending change; it is applied at once through the direct service.

    Refused when the reviewer submitted it, lies outside its scope, or the values it was based on have
    changed since submission (the message names those fields: reject it and let the village resubmit).

    Side effects: whatever the direct service writes (with its audit events, actor = the reviewer); the
    request's status, reviewer, time and note (and the new household/member it created); audit ``updated``.
    """
    note = (note or "").strip()
    if len(note) > 500:
        raise RegistryRefused([Problem("review_note", _("审核意见最多500字"))])
    with transaction.atomic():
        change = _locked_change(change)
        _require_reviewer(by, change)
        _transition(change, ChangeStatus.APPROVED)
        conflicts = _conflicts(change)
        if conflicts:
            raise RegistryRefused(
                [
                    Problem(
                        "",
                        _(
                            "提交申请后，以下信息已被修改：%(fields)s。请退回该申请，由村里按最新信息重新提交。"
                        )
                        % {"fields": "、".join(conflicts)},
                    )
                ]
            )
        before = _change_snapshot(change)
        saved = _apply(
            change.kind,
            change_payload(change),
            household=change.household,
            member=change.member,
            by=by,
            on=on,
            request=request,
        )
        # The household or member the request created is linked to it.
        if isinstance(saved, Household) and change.household_id is None:
            change.household = saved
        elif isinstance(saved, Member) and change.member_id is None:
            change.member = saved
        _close_review(change, by=by, status=ChangeStatus.APPROVED, note=note)
        change.save()
        events.updated(actor=by, obj=change, before=before, after=_change_snapshot(change), request=request)
    return change


def reject_change(
    *, change: ChangeRequest, by: User, note: str, request: HttpRequest | None = None
) -> ChangeRequest:
    """Return a pending change to the village with a reason (required). Nothing of it is applied.

    Side effects: status ``rejected``, reviewer, time and note; audit ``updated``.
    """
    note = (note or "").strip()
    if not note:
        raise RegistryRefused([Problem("review_note", _("退回申请须填写理由"))])
    if len(note) > 500:
        raise RegistryRefused([Problem("review_note", _("审核意见最多500字"))])
    with transaction.atomic():
        change = _locked_change(change)
        _require_reviewer(by, change)
        _transition(change, ChangeStatus.REJECTED)
        before = _change_snapshot(change)
        _close_review(change, by=by, status=ChangeStatus.REJECTED, note=note)
        change.save()
        events.updated(actor=by, obj=change, before=before, after=_change_snapshot(change), request=request)
    return change


def withdraw_change(*, change: ChangeRequest, by: User, request: HttpRequest | None = None) -> ChangeRequest:
    """The submitter takes back a change that is still pending. Side effects: status ``withdrawn``; audit."""
    with transaction.atomic():
        change = _locked_change(change)
        if change.submitted_by_id != by.pk:
            raise PermissionDenied(_("只有提交人可以撤回申请。"))
        _transition(change, ChangeStatus.WITHDRAWN)
        before = _change_snapshot(change)
        change.status = ChangeStatus.WITHDRAWN
        change.save(update_fields=["status"])
        events.updated(actor=by, obj=change, before=before, after=_change_snapshot(change), request=request)
    return change

"""Editing a household: one form per edit.

Who may do what is decided once per request (``_editor``): the town, county and city edit directly through
the services; a village team's edit of composition (new household, a member joining or leaving), identity
fields or income becomes a change request (``services.submit_change``) with a required 变更理由, which the
town approves or rejects (``views.changes``), while its edits of contact and living details and the
三保障 indicators apply directly (``access``: the same split the services enforce); everyone else gets 403.
The record itself is always read through ``get_for_user``, so a household of another region is "not found".

Problems the validator or a service reports are placed beside the field they name; warnings (an ID number
issued in another city …) are shown in the same place and accepted once the user ticks 已核实.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.regions.codes import full_code
from bangfu.regions.scoping import get_for_user
from bangfu.registry import access, services
from bangfu.registry.forms import (
    ExcludedItemFormSet,
    HouseholdCreateForm,
    HouseholdForm,
    IncomeForm,
    IndicatorForm,
    MemberForm,
    MemberLeaveForm,
    RegistryForm,
    changed_values,
    hide_personal,
    household_initial,
    keep_personal,
    member_initial,
)
from bangfu.registry.models import (
    ChangeKind,
    ChangeRequest,
    Household,
    HouseholdStatus,
    IncomeComponent,
    IncomeLine,
    IncomeStatement,
    Member,
    PeriodKind,
    Relation,
)
from bangfu.registry.services import RegistryRefused
from bangfu.registry.validation import Problem, check_household, check_member


def _editor(request: HttpRequest) -> tuple[User, bool]:
    """The acting user and whether they edit directly (town and above) or by change request (village team);
    403 for every other role."""
    user = current_user(request, required=True)
    if access.can_edit_directly(user):
        return user, True
    if access.can_request_changes(user):
        return user, False
    raise PermissionDenied(_("您的角色不能修改农户信息。"))


def _household(user: User, pk: int) -> Household:
    return get_for_user(Household.objects.all(), user, pk=pk)


def _current_member(user: User, pk: int) -> Member:
    # A member who has left is history: editing them again is not offered (404 like any unknown id).
    return get_for_user(Member.objects.current().select_related("household"), user, pk=pk)


def _closed(request: HttpRequest, household: Household) -> HttpResponse | None:
    """A closed (注销) household takes no more edits (the services refuse them): its edit pages send the user
    back to the household's page with the reason, before a form is filled in for nothing."""
    if household.status == HouseholdStatus.ACTIVE:
        return None
    messages.error(request, _("该户已注销，不能再修改。"))
    return redirect("registry:household-detail", pk=household.pk)


def _place(problems: Iterable[Problem], forms: list[RegistryForm]) -> None:
    """Each problem beside its field in the first form that has the field, else at the top of the first."""
    for problem in problems:
        target = next((f for f in forms if f.field_for(problem) is not None), forms[0])
        target.place_problems([problem])


def _checks_pass(
    form: RegistryForm,
    problems: list[Problem],
    *,
    confirmed: bool,
    changed: Iterable[str] | None = None,
    others: list[RegistryForm] | None = None,
) -> bool:
    """The shared rules, run before the service for their warnings: errors stop the save, and warnings stop
    it until the user has ticked 已核实 (``confirmed``; the box is shown with them). With ``changed`` (an
    edit) only warnings about changed fields count: an unchanged value was confirmed when it was entered.
    Problems go beside their field in ``form`` or one of ``others``."""
    if changed is not None:
        keep = set(changed)
        problems = [p for p in problems if p.level == "error" or p.field in keep]
    forms = [form, *(others or [])]
    _place(problems, forms)
    if any(p.level == "error" for p in problems):
        return False
    return confirmed or not any(f.has_warnings for f in forms)


def _submitted(request: HttpRequest, change: ChangeRequest) -> HttpResponse:
    messages.success(request, _("已提交，等待乡镇审核。"))
    return redirect("registry:change-detail", pk=change.pk)


def _saved(request: HttpRequest, household: Household, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("registry:household-detail", pk=household.pk)


def _write(
    request: HttpRequest,
    user: User,
    forms: list[RegistryForm],
    *,
    kind: str,
    payload: dict[str, Any],
    saved: str,
    household: Household | None = None,
    member: Member | None = None,
) -> HttpResponse | None:
    """``services.edit`` (written at once, or a change request with the first form's 变更理由), then the page
    that follows: the household with the ``saved`` message, or the change request. ``None`` when refused, the
    problems placed beside their fields in ``forms``."""
    try:
        outcome = services.edit(
            by=user,
            kind=kind,
            payload=payload,
            reason=forms[0].change_reason,
            household=household,
            member=member,
            request=request,
        )
    except RegistryRefused as exc:
        _place(exc.problems, forms)
        return None
    if outcome.change is not None:
        return _submitted(request, outcome.change)
    written = outcome.saved
    page = written if isinstance(written, Household) else household or member.household  # type: ignore[union-attr]
    return _saved(request, page, saved)


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, direct: bool, partly: bool = False
) -> HttpResponse:
    """``direct``: saving applies at once; ``partly``: a village team's edit where only identity fields go to
    review. ``warned`` shows the 已核实 box. A form sent back with problems answers 200 like any Django form
    page; the problems are in the page."""
    forms = [value for value in context.values() if isinstance(value, RegistryForm)]
    context.update(direct=direct, partly=partly, warned=any(f.has_warnings for f in forms))
    return render(request, template, context)


# --- households ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request: HttpRequest) -> HttpResponse:
    """A new household with its head (more members are added afterwards)."""
    user, direct = _editor(request)
    today = timezone.localdate()
    data = request.POST if request.method == "POST" else None
    initial_region = full_code(user.scope_prefixes()[0]) if user.scope_prefixes() else None
    form = HouseholdCreateForm(data, user=user, change_request=not direct, initial={"region": initial_region})
    head = MemberForm(data, prefix="head", head=True, on=today)
    # One 已核实 box for the whole page: the household form's.
    del head.fields["confirmed"]
    if data is not None and all([form.is_valid(), head.is_valid()]):
        values = form.household_values()
        head_values = head.member_values()
        problems = check_household(values) + check_member(
            head_values, village_code=values["region_code"], on=today
        )
        if _checks_pass(form, problems, confirmed=form.cleaned_data["confirmed"], others=[head]):
            response = _write(
                request,
                user,
                [form, head],
                kind=ChangeKind.CREATE_HOUSEHOLD,
                payload={"household": values, "members": [head_values]},
                saved=_("已新增农户。"),
            )
            if response is not None:
                return response
    context = {"form": form, "head_form": head, "household": None}
    return _render(request, "registry/household_form.html", context, direct=direct)


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The household's own attributes. A village team saves contact and living details directly; a change
    of 户编号, 户类型 or 是否脱贫户 makes the whole edit a change request (``access``)."""
    user, direct = _editor(request)
    household = _household(user, pk)
    if (refused := _closed(request, household)) is not None:
        return refused
    initial = household_initial(household)
    form = HouseholdForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        change_request=not direct,
        reason_help=_("修改户编号、户类型或是否脱贫户时必填，乡镇审核后生效；其他信息保存后立即生效。"),
    )
    hide_personal(form, initial)
    if form.is_bound and form.is_valid():
        values = changed_values(keep_personal(form.household_values(), initial), initial)
        review = access.household_fields_need_review(user, set(values))
        merged = {**initial, **values}
        if not values:
            form.add_error(None, _("没有修改任何内容。"))
        elif _checks_pass(
            form, check_household(merged), confirmed=form.cleaned_data["confirmed"], changed=values.keys()
        ) and (not review or form.require_reason()):
            response = _write(
                request,
                user,
                [form],
                kind=ChangeKind.UPDATE_HOUSEHOLD,
                payload=values,
                saved=_("已保存农户信息。"),
                household=household,
            )
            if response is not None:
                return response
    context = {"form": form, "head_form": None, "household": household}
    return _render(request, "registry/household_form.html", context, direct=direct, partly=not direct)


# --- members ------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    user, direct = _editor(request)
    household = _household(user, pk)
    if (refused := _closed(request, household)) is not None:
        return refused
    today = timezone.localdate()
    form = MemberForm(
        request.POST if request.method == "POST" else None,
        on=today,
        change_request=not direct,
        initial={"joined_on": today},
    )
    if form.is_bound and form.is_valid():
        values = form.member_values()
        problems = check_member(values, village_code=household.region_code, on=today)
        if _checks_pass(form, problems, confirmed=form.cleaned_data["confirmed"]):
            response = _write(
                request,
                user,
                [form],
                kind=ChangeKind.ADD_MEMBER,
                payload=values,
                saved=_("已新增家庭成员。"),
                household=household,
            )
            if response is not None:
                return response
    context = {"form": form, "household": household, "member": None}
    return _render(request, "registry/member_form.html", context, direct=direct)


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A member's values. A village team saves schooling, health, labour and insurance directly; a change of
    an identity field (name, ID, sex, birth date, relation, ethnicity, join date) makes the whole edit a
    change request (``access``)."""
    user, direct = _editor(request)
    member = _current_member(user, pk)
    household = member.household
    today = timezone.localdate()
    initial = member_initial(member)
    former_head = (
        None
        if member.relation == Relation.HEAD
        else Member.objects.current().filter(household=household, relation=Relation.HEAD).first()
    )
    form = MemberForm(
        request.POST if request.method == "POST" else None,
        on=today,
        former_head=former_head,
        change_request=not direct,
        reason_help=_(
            "修改姓名、证件号码、性别、出生日期、与户主关系、民族或入户日期时必填，乡镇审核后生效。"
        ),
        initial=initial,
    )
    hide_personal(form, initial)
    if form.is_bound and form.is_valid():
        values = keep_personal(form.member_values(), initial)
        changed = changed_values(values, initial)
        review = access.member_fields_need_review(user, set(changed))
        if not changed:
            form.add_error(None, _("没有修改任何内容。"))
        # The rules see the whole member (a changed ID is checked against the unchanged birth date).
        elif _checks_pass(
            form,
            check_member(values, village_code=household.region_code, on=today),
            confirmed=form.cleaned_data["confirmed"],
            changed=changed.keys(),
        ) and (not review or form.require_reason()):
            payload = dict(changed)
            if form.former_head_relation:
                payload["former_head_relation"] = form.former_head_relation
            response = _write(
                request,
                user,
                [form],
                kind=ChangeKind.UPDATE_MEMBER,
                payload=payload,
                saved=_("已保存家庭成员信息。"),
                household=household,
                member=member,
            )
            if response is not None:
                return response
    context = {"form": form, "household": household, "member": member}
    return _render(request, "registry/member_form.html", context, direct=direct, partly=not direct)


@login_required
@require_http_methods(["GET", "POST"])
def member_leave(request: HttpRequest, pk: int) -> HttpResponse:
    """A member leaves the household (died, moved out, married out …): the row is kept with the date."""
    user, direct = _editor(request)
    member = _current_member(user, pk)
    household = member.household
    today = timezone.localdate()
    # When the head leaves, one of the others becomes the head in the same step.
    remaining = (
        list(Member.objects.current().filter(household=household).exclude(pk=member.pk).order_by("pk"))
        if member.relation == Relation.HEAD
        else []
    )
    form = MemberLeaveForm(
        request.POST if request.method == "POST" else None,
        remaining=remaining,
        change_request=not direct,
        initial={"left_on": today},
    )
    if form.is_bound and form.is_valid():
        left_on, left_reason = form.cleaned_data["left_on"], form.cleaned_data["left_reason"]
        new_head = next((m for m in remaining if str(m.pk) == form.cleaned_data.get("new_head")), None)
        if left_on > today:
            form.add_error("left_on", _("离户日期不能晚于今天。"))
        else:
            payload: dict[str, Any] = {"left_on": left_on.isoformat(), "reason": left_reason}
            if new_head is not None:
                payload["new_head"] = new_head.pk
            response = _write(
                request,
                user,
                [form],
                kind=ChangeKind.REMOVE_MEMBER,
                payload=payload,
                saved=_("已登记成员离户。"),
                household=household,
                member=member,
            )
            if response is not None:
                return response
    context = {"form": form, "household": household, "member": member}
    return _render(request, "registry/member_leave_form.html", context, direct=direct)


# --- income and indicators ----------------------------------------------------------------------------------


def _income_initial(
    household: Household, *, on: dt.date
) -> tuple[dict[str, Any], list[dict[str, Any]], list[IncomeLine]]:
    """Start from the household's latest statement: its amounts per component and its excluded items; and
    its itemised lines of counted components (entered through the API), which the form, one amount per
    component, would merge: the page lists them before the user saves over them."""
    initial: dict[str, Any] = {
        "period_kind": PeriodKind.CALENDAR_YEAR,
        "year": on.year - 1,
        "identified_on": on,
    }
    statement = (
        IncomeStatement.objects.filter(household=household)
        .prefetch_related("lines")
        .order_by("-period_end", "-id")
        .first()
    )
    if statement is None:
        return initial, [], []
    initial["period_kind"] = statement.period_kind
    if statement.period_kind == PeriodKind.CALENDAR_YEAR:
        initial["year"] = statement.period_start.year
    lines = list(statement.lines.all())
    totals: dict[str, Decimal] = defaultdict(Decimal)
    notes: dict[str, list[str]] = defaultdict(list)
    excluded: list[dict[str, Any]] = []
    for line in lines:
        if line.component == IncomeComponent.EXCLUDED:
            excluded.append({"item": line.item, "amount": line.amount, "note": line.note})
            continue
        totals[line.component] += line.amount
        if line.note:
            notes[line.component].append(line.note)
    for component in IncomeComponent:
        if component == IncomeComponent.EXCLUDED:
            continue
        # A statement imported as totals has no lines: its component columns are the amounts.
        amount = totals.get(component.value) if lines else getattr(statement, component.value)
        # A line of 0 is a checked zero ("没有的填 0"): shown as 0, so that saving again keeps it.
        if amount or component.value in totals:
            initial[f"amount_{component.value}"] = amount
        if notes.get(component.value):
            initial[f"note_{component.value}"] = "；".join(notes[component.value])[:200]
    itemised = [line for line in lines if line.component != IncomeComponent.EXCLUDED and line.item]
    return initial, excluded, itemised


@login_required
@require_http_methods(["GET", "POST"])
def income_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A household's income statement for a period (replaces the lines of that period's statement)."""
    user, direct = _editor(request)
    household = _household(user, pk)
    if (refused := _closed(request, household)) is not None:
        return refused
    today = timezone.localdate()
    initial, excluded_initial, itemised = _income_initial(household, on=today)
    data = request.POST if request.method == "POST" else None
    form = IncomeForm(data, on=today, change_request=not direct, initial=initial)
    excluded = ExcludedItemFormSet(data, prefix="excluded", initial=excluded_initial)
    if data is not None and all([form.is_valid(), excluded.is_valid()]):
        lines = form.lines(f.cleaned_data for f in excluded.forms if f.cleaned_data)
        if not lines:
            form.add_error(None, _("请至少填写一项收入或支出（没有的填 0）。"))
        else:
            period_start, period_end = form.period()
            size = form.cleaned_data.get("household_size")
            payload: dict[str, Any] = {
                "period_kind": form.cleaned_data["period_kind"],
                "period_start": period_start,
                "period_end": period_end,
                "lines": lines,
            }
            if size is not None:
                payload["household_size"] = size
            response = _write(
                request,
                user,
                [form],
                kind=ChangeKind.SET_INCOME,
                payload=payload,
                saved=_("已保存收支情况。"),
                household=household,
            )
            if response is not None:
                return response
    context = {"form": form, "excluded": excluded, "household": household, "itemised": itemised}
    return _render(request, "registry/income_form.html", context, direct=direct)


@login_required
@require_http_methods(["GET", "POST"])
def indicator_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an observation of a 三保障/饮水 indicator. It is a dated observation, not a change of the
    household's identity, so a village team (who does the home checks) records it directly too
    (``access.can_record_details``)."""
    user = current_user(request, required=True)
    if not access.can_record_details(user):
        raise PermissionDenied(_("您的角色不能记录指标。"))
    household = _household(user, pk)
    if (refused := _closed(request, household)) is not None:
        return refused
    today = timezone.localdate()
    form = IndicatorForm(
        request.POST if request.method == "POST" else None, on=today, initial={"observed_on": today}
    )
    if form.is_bound and form.is_valid():
        try:
            services.record_indicator(
                household=household,
                by=user,
                indicator=form.cleaned_data["indicator"],
                value=form.cleaned_data["value"],
                observed_on=form.cleaned_data["observed_on"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except RegistryRefused as exc:
            _place(exc.problems, [form])
        else:
            return _saved(request, household, _("已记录指标核查结果。"))
    # The page never becomes a change request, whoever records it.
    return _render(
        request, "registry/indicator_form.html", {"form": form, "household": household}, direct=True
    )

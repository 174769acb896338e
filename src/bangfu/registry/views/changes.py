"""Change requests (审核制): the village team's own requests, the town's inbox, one request's review.

A village team sees the requests it submitted; the town, county and city see the pending requests in their
scope first (oldest first, with their age in days), then the decided ones. A request's page shows what would
change as a before/after table (labels from the models' verbose names; ID numbers and phones masked unless
the user holds the reveal grant, and revealing is audited), the reason, who submitted and who decided, and
the actions the user may take: approve (optional note) or reject (reason required) for a reviewer,
withdraw for the submitter while it is pending. Every action is a POST through the services.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.audit import events
from bangfu.core.htmx import HtmxHttpRequest
from bangfu.core.masking import mask_id_number, mask_phone
from bangfu.regions.models import Region
from bangfu.regions.scoping import get_for_user
from bangfu.registry import access, services
from bangfu.registry.forms import COUNTED_COMPONENTS, ApproveForm, ChangeFilterForm, RejectForm, verbose
from bangfu.registry.models import (
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    Household,
    IncomeComponent,
    IncomeStatement,
    LeftReason,
    Member,
    Relation,
)
from bangfu.registry.services import RegistryRefused

PAGE_SIZE = 50
DECIDED = (ChangeStatus.APPROVED, ChangeStatus.REJECTED, ChangeStatus.WITHDRAWN)
# Fields whose value is personal data: masked in the table unless revealed (masking.py's rules).
MASKED_FIELDS = {"id_number": mask_id_number, "phone": mask_phone}
EMPTY = "—"


def _reader(request: HttpRequest) -> User:
    """Village teams (their requests) and the reviewers (their scope's inbox); 403 for everyone else."""
    user = current_user(request, required=True)
    if not (access.can_edit_directly(user) or access.can_request_changes(user)):
        raise PermissionDenied(_("您的角色不能查看信息变更申请。"))
    return user


def _change_for(user: User, pk: int) -> ChangeRequest:
    queryset = ChangeRequest.objects.select_related("household", "member", "submitted_by", "reviewed_by")
    return get_for_user(queryset, user, pk=pk)


# --- the list -----------------------------------------------------------------------------------------------


@dataclass
class Section:
    """One keyset-paged list on the page: ``key`` names it in the "more" link (``section=``)."""

    key: str
    title: str
    rows: list[dict[str, Any]]
    next_query: str = ""
    empty_text: str = ""


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


def _keyset(
    queryset: models.QuerySet[ChangeRequest], *, ascending: bool, cursor: int | None
) -> tuple[list[ChangeRequest], int | None]:
    """One page ordered by id (submission order), after/before ``cursor``; no OFFSET, no COUNT."""
    if cursor is not None:
        queryset = queryset.filter(pk__gt=cursor) if ascending else queryset.filter(pk__lt=cursor)
    rows = list(queryset.order_by("pk" if ascending else "-pk")[: PAGE_SIZE + 1])
    if len(rows) > PAGE_SIZE:
        return rows[:PAGE_SIZE], rows[PAGE_SIZE - 1].pk
    return rows, None


def _region_names(codes: Iterable[str]) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "name"))


def _rows(changes: list[ChangeRequest], *, today: dt.date) -> list[dict[str, Any]]:
    names = _region_names(c.region_code for c in changes)
    return [
        {
            "change": change,
            "village": names.get(change.region_code, change.region_code),
            "age_days": (today - timezone.localdate(change.submitted_at)).days,
        }
        for change in changes
    ]


def _more_query(request: HttpRequest, section: str, cursor_name: str, cursor: int | None) -> str:
    if cursor is None:
        return ""
    params = request.GET.copy()
    for name in ("after", "before", "section"):
        params.pop(name, None)
    params["section"] = section
    params[cursor_name] = str(cursor)
    return params.urlencode()


@login_required
@require_GET
def change_list(request: HtmxHttpRequest) -> HttpResponse:
    user = _reader(request)
    today = timezone.localdate()
    form = ChangeFilterForm(request.GET)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    reviewer = access.can_edit_directly(user)
    changes = (
        ChangeRequest.objects.visible_to(user)
        .select_related("household", "member", "submitted_by", "reviewed_by")
        # The payloads are encrypted and not shown here: leave them undecrypted.
        .defer("payload", "base")
    )
    if not reviewer:
        changes = changes.filter(submitted_by=user)
    only = request.GET.get("section", "")
    sections: list[Section] = []
    if reviewer and status in ("", ChangeStatus.PENDING) and only in ("", "pending"):
        page, cursor = _keyset(
            changes.filter(status=ChangeStatus.PENDING),
            ascending=True,
            cursor=_cursor(request.GET.get("after")),
        )
        sections.append(
            Section(
                "pending",
                _("待审核（先提交的在前）"),
                _rows(page, today=today),
                _more_query(request, "pending", "after", cursor),
                _("没有待审核的申请。"),
            )
        )
    if only in ("", "decided") and (not reviewer or status != ChangeStatus.PENDING):
        decided = changes.filter(status=status) if status else changes
        if reviewer and not status:
            decided = decided.filter(status__in=DECIDED)
        page, cursor = _keyset(decided, ascending=False, cursor=_cursor(request.GET.get("before")))
        sections.append(
            Section(
                "decided",
                _("已处理") if reviewer else _("我提交的申请"),
                _rows(page, today=today),
                _more_query(request, "decided", "before", cursor),
                _("没有符合条件的申请。"),
            )
        )
    context = {"form": form, "sections": sections, "reviewer": reviewer, "user": user}
    if request.htmx and only and sections:
        return render(request, "registry/change_list.html#rows", {**context, "section": sections[0]})
    return render(request, "registry/change_list.html", context)


# --- one request: the before/after table --------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeRow:
    label: str
    before: str
    after: str
    changed: bool
    # The value now, when it is no longer the one the request was made against (a conflict to come).
    now: str = ""


@dataclass
class ChangeTable:
    title: str
    rows: list[ChangeRow] = field(default_factory=list)
    show_before: bool = True


@dataclass
class Display:
    """Turns stored values into what the table shows; collects whether anything is personal data."""

    reveal: bool
    region_names: dict[str, str] = field(default_factory=dict)
    has_personal: bool = False

    def __call__(self, model: type[models.Model], key: str, value: Any) -> str:
        if value is None or value == "":
            return EMPTY
        if key in MASKED_FIELDS:
            self.has_personal = True
            return str(value) if self.reveal else MASKED_FIELDS[key](str(value))
        if key == "region_code":
            return f"{self.region_names.get(str(value), '')}（{value}）"
        if key == "former_head_relation":
            return str(dict(Relation.choices).get(str(value), value))
        if isinstance(value, bool):
            return _("是") if value else _("否")
        try:
            model_field = model._meta.get_field(key)
        except FieldDoesNotExist:  # a key the model does not know is shown as stored
            return str(value)
        choices = getattr(model_field, "flatchoices", None)
        if choices:
            return str(dict(choices).get(value, value))
        return str(value)


def _comparable(value: Any) -> Any:
    """Model values in the payload's JSON form, so that a stored date equals its ISO string."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _label(model: type[models.Model], key: str) -> str:
    if key == "former_head_relation":
        return _("原户主改为")
    try:
        return str(verbose(model, key))
    except FieldDoesNotExist:  # an unknown key is labelled by itself
        return key


def _field_table(
    title: str,
    model: type[models.Model],
    after: Mapping[str, Any],
    *,
    display: Display,
    base: Mapping[str, Any] | None,
    current: models.Model | None,
    pending: bool,
) -> ChangeTable:
    """Rows of an update (before/after) or of a new record (after only, ``current`` None)."""
    table = ChangeTable(title, show_before=current is not None)
    for key, new in after.items():
        now = _comparable(getattr(current, key, None)) if current is not None else None
        old = base.get(key, now) if base else now
        stale = pending and current is not None and base is not None and key in base and now != old
        table.rows.append(
            ChangeRow(
                label=_label(model, key),
                before=display(model, key, old) if current is not None else "",
                after=display(model, key, new),
                changed=current is None or old != new,
                now=display(model, key, now) if stale else "",
            )
        )
    return table


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _iso_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _income_tables(
    change: ChangeRequest, payload: Mapping[str, Any], *, display: Display
) -> list[ChangeTable]:
    """The period, then per counted component the amount now (same period's statement) and proposed, then
    the excluded items as proposed."""
    period = ChangeTable(_("统计期间"), show_before=False)
    for key in ("period_kind", "period_start", "period_end", "household_size"):
        if key in payload:
            period.rows.append(
                ChangeRow(
                    label=_label(IncomeStatement, key),
                    before="",
                    after=display(IncomeStatement, key, payload[key]),
                    changed=True,
                )
            )
    # The statement the request would replace: the household's statement of the same period, if any.
    start, end = _iso_date(payload.get("period_start")), _iso_date(payload.get("period_end"))
    statement = None
    if change.household_id is not None and start is not None and end is not None:
        statement = IncomeStatement.objects.filter(
            household_id=change.household_id, period_start=start, period_end=end
        ).first()
    proposed: dict[str, Decimal] = defaultdict(Decimal)
    excluded: list[Mapping[str, Any]] = []
    for line in payload.get("lines", []):
        if line.get("component") == IncomeComponent.EXCLUDED:
            excluded.append(line)
        else:
            proposed[str(line.get("component"))] += _money(line.get("amount"))
    amounts = ChangeTable(_("收支金额（元）"), show_before=True)
    for component in COUNTED_COMPONENTS:
        now = getattr(statement, component.value) if statement is not None else None
        new = proposed.get(component.value)
        if now is None and new is None:
            continue
        amounts.rows.append(
            ChangeRow(
                label=str(component.label),
                before=f"{now:.2f}" if now is not None else EMPTY,
                after=f"{new:.2f}" if new is not None else EMPTY,
                changed=(now or Decimal(0)) != (new or Decimal(0)),
            )
        )
    tables = [period, amounts]
    if excluded:
        items = ChangeTable(str(IncomeComponent.EXCLUDED.label), show_before=False)
        for line in excluded:
            note = f"（{line['note']}）" if line.get("note") else ""
            items.rows.append(
                ChangeRow(
                    label=str(line.get("item", "")),
                    before="",
                    after=f"{_money(line.get('amount')):.2f}{note}",
                    changed=True,
                )
            )
        tables.append(items)
    return tables


def _leave_table(change: ChangeRequest, payload: Mapping[str, Any], *, display: Display) -> ChangeTable:
    reason = str(payload.get("reason", ""))
    table = ChangeTable(
        _("离户：%(name)s") % {"name": change.member.name if change.member else ""},
        [
            ChangeRow(
                _label(Member, "left_on"), "", display(Member, "left_on", payload.get("left_on")), True
            ),
            ChangeRow(
                _label(Member, "left_reason"),
                "",
                str(dict(LeftReason.choices).get(reason, reason)) or EMPTY,
                True,
            ),
        ],
        show_before=False,
    )
    if payload.get("new_head") and change.household_id is not None:
        head = Member.objects.filter(pk=payload["new_head"], household_id=change.household_id).first()
        table.rows.append(ChangeRow(_("新户主"), "", head.name if head else str(payload["new_head"]), True))
    return table


def change_tables(change: ChangeRequest, *, reveal: bool) -> tuple[list[ChangeTable], bool]:
    """What the request changes, as tables; and whether any shown value is personal data."""
    payload = services.change_payload(change)
    pending = change.status == ChangeStatus.PENDING
    base = services.change_base(change)
    codes = [change.region_code]
    if change.kind == ChangeKind.CREATE_HOUSEHOLD:
        codes.append(str(payload.get("household", {}).get("region_code", "")))
    display = Display(reveal=reveal, region_names=_region_names(codes))
    kind = change.kind
    tables: list[ChangeTable]
    if kind == ChangeKind.UPDATE_HOUSEHOLD:
        tables = [
            _field_table(
                _("农户信息"),
                Household,
                payload,
                display=display,
                base=base,
                current=change.household,
                pending=pending,
            )
        ]
    elif kind == ChangeKind.UPDATE_MEMBER:
        tables = [
            _field_table(
                _("家庭成员信息"),
                Member,
                payload,
                display=display,
                base=base,
                current=change.member,
                pending=pending,
            )
        ]
    elif kind == ChangeKind.ADD_MEMBER:
        tables = [
            _field_table(
                _("新成员"), Member, payload, display=display, base=None, current=None, pending=pending
            )
        ]
    elif kind == ChangeKind.REMOVE_MEMBER:
        tables = [_leave_table(change, payload, display=display)]
    elif kind == ChangeKind.CREATE_HOUSEHOLD:
        tables = [
            _field_table(
                _("新农户"),
                Household,
                payload.get("household", {}),
                display=display,
                base=None,
                current=None,
                pending=pending,
            )
        ]
        for member in payload.get("members", []):
            tables.append(
                _field_table(
                    _("家庭成员：%(name)s") % {"name": member.get("name", "")},
                    Member,
                    member,
                    display=display,
                    base=None,
                    current=None,
                    pending=pending,
                )
            )
    elif kind == ChangeKind.SET_INCOME:
        tables = _income_tables(change, payload, display=display)
    else:
        tables = []
    return tables, display.has_personal


def _history(change: ChangeRequest) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [
        {
            "label": _("提交"),
            "who": change.submitted_by,
            "when": change.submitted_at,
            "note": change.reason,
        }
    ]
    if change.status != ChangeStatus.PENDING:
        who = change.reviewed_by if change.status != ChangeStatus.WITHDRAWN else change.submitted_by
        steps.append(
            {
                "label": change.get_status_display(),
                "who": who,
                "when": change.reviewed_at,
                "note": change.review_note,
            }
        )
    return steps


def _detail(
    request: HttpRequest,
    user: User,
    change: ChangeRequest,
    *,
    reveal: bool = False,
    approve_form: ApproveForm | None = None,
    reject_form: RejectForm | None = None,
    refused: list[str] | None = None,
) -> HttpResponse:
    tables, has_personal = change_tables(change, reveal=reveal)
    pending = change.status == ChangeStatus.PENDING
    context = {
        "change": change,
        "tables": tables,
        "revealed": reveal,
        "can_reveal": has_personal and not reveal and access.can_reveal(user),
        "history": _history(change),
        "can_review": pending and access.can_review(user, change),
        "can_withdraw": pending and change.submitted_by_id == user.pk,
        "approve_form": approve_form or ApproveForm(prefix="approve"),
        "reject_form": reject_form or RejectForm(prefix="reject"),
        "refused": refused or [],
        "age_days": (timezone.localdate() - timezone.localdate(change.submitted_at)).days,
        "village": _region_names([change.region_code]).get(change.region_code, change.region_code),
    }
    return render(request, "registry/change_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows the request; POST (the 显示完整号码 button) shows it with full values, audited."""
    user = _reader(request)
    change = _change_for(user, pk)
    if request.method == "POST":
        if not access.can_reveal(user):
            raise PermissionDenied(_("您没有查看完整个人信息的权限。"))
        events.revealed(actor=user, obj=change, field="payload", request=request)
        return _detail(request, user, change, reveal=True)
    return _detail(request, user, change)


def _reviewable(request: HttpRequest, pk: int) -> tuple[User, ChangeRequest]:
    user = _reader(request)
    change = _change_for(user, pk)
    if not access.can_review(user, change):
        raise PermissionDenied(_("您不能审核这条申请（不能审核本人提交的申请）。"))
    return user, change


def _refusal(exc: RegistryRefused) -> list[str]:
    return [p.message for p in exc.problems] or [str(exc)]


@login_required
@require_POST
def change_approve(request: HttpRequest, pk: int) -> HttpResponse:
    user, change = _reviewable(request, pk)
    form = ApproveForm(request.POST, prefix="approve")
    if not form.is_valid():
        return _detail(request, user, change, approve_form=form)
    try:
        services.approve_change(
            change=change, by=user, note=form.cleaned_data["note"], on=timezone.localdate(), request=request
        )
    except RegistryRefused as exc:
        # A conflict (the record changed since the request was made) or a rule the data now breaks: the
        # request stays pending and the reviewer sees why, in full, above the buttons.
        change.refresh_from_db()
        return _detail(request, user, change, approve_form=form, refused=_refusal(exc))
    messages.success(request, _("已审核通过，修改已生效。"))
    return redirect("registry:change-detail", pk=change.pk)


@login_required
@require_POST
def change_reject(request: HttpRequest, pk: int) -> HttpResponse:
    user, change = _reviewable(request, pk)
    form = RejectForm(request.POST, prefix="reject")
    if not form.is_valid():
        return _detail(request, user, change, reject_form=form)
    try:
        services.reject_change(change=change, by=user, note=form.cleaned_data["note"], request=request)
    except RegistryRefused as exc:
        change.refresh_from_db()
        return _detail(request, user, change, reject_form=form, refused=_refusal(exc))
    messages.success(request, _("已退回，提交人会看到退回理由。"))
    return redirect("registry:change-detail", pk=change.pk)


@login_required
@require_POST
def change_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    change = _change_for(user, pk)
    if change.submitted_by_id != user.pk:
        raise PermissionDenied(_("只有提交人可以撤回申请。"))
    try:
        services.withdraw_change(change=change, by=user, request=request)
    except RegistryRefused as exc:
        change.refresh_from_db()
        return _detail(request, user, change, refused=_refusal(exc))
    messages.success(request, _("已撤回。"))
    return redirect("registry:change-detail", pk=change.pk)

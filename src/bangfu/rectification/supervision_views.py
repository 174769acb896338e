"""Supervision pages under /rectification/ (名称空间 ``rectification``): supervision orders (督办单) — the
list, one order with its problems and its issue, discard or reply form, the Word download — and the
escalation ladder (通报 / 约谈 / 移交纪检): its records, the units it proposes, and the form to record a step.

Thin: rows come through ``visible_to`` only (a draft order only to supervisors: it is not yet addressed to
anyone); every write goes through ``rectification.supervision``, which checks role and scope again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bangfu.accounts.models import BUSINESS_ROLES, Sector, User
from bangfu.accounts.permissions import current_user, role_required
from bangfu.audit import events
from bangfu.rectification import access, supervision
from bangfu.rectification.exceptions import RectificationRefused
from bangfu.rectification.models import (
    Escalation,
    EscalationKind,
    OrderState,
    Problem,
    SupervisionOrder,
    SupervisionOrderQuerySet,
)
from bangfu.rectification.supervision_forms import EscalationForm, IssueForm, ReplyForm
from bangfu.regions.scoping import get_for_user

PAGE = 50
SECTORS = dict(Sector.choices)
LATE = "late"


def _reader(request: HttpRequest) -> User:
    user = current_user(request, required=True)
    if not access.can_read(user):
        raise PermissionDenied(_("您的角色不能查看督办单。"))
    return user


def _orders(user: User) -> SupervisionOrderQuerySet:
    """The orders ``user`` may open (before scoping): drafts only for supervisors."""
    orders: SupervisionOrderQuerySet = SupervisionOrder.objects.all()
    if not access.can_supervise(user):
        orders = orders.exclude(state=OrderState.DRAFT)
    return orders


def _order(user: User, pk: int) -> SupervisionOrder:
    return get_for_user(_orders(user), user, pk=pk)


# --- orders ------------------------------------------------------------------------------------------------


@role_required(*BUSINESS_ROLES)
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    """Drafts to issue (supervisors), issued orders waiting for a reply (late ones marked), answered ones."""
    user = _reader(request)
    today = timezone.localdate()
    visible = _orders(user).visible_to(user)
    counts = {row["state"]: row["n"] for row in visible.order_by().values("state").annotate(n=Count("pk"))}
    late = visible.filter(state=OrderState.ISSUED, reply_due_on__lt=today)
    state = request.GET.get("state", "")
    orders = visible
    if state == LATE:
        orders = late
    elif state in OrderState.values:
        orders = visible.filter(state=state)
    listed = orders.annotate(problem_count=Count("problems")).order_by("-drafted_on", "-id")
    page = Paginator(listed, PAGE).get_page(request.GET.get("page"))
    names = supervision.region_names(o.recipient_region_code for o in page.object_list)
    rows = [
        {
            "order": o,
            "region": names.get(o.recipient_region_code, o.recipient_region_code),
            "late": o.state == OrderState.ISSUED and o.reply_due_on is not None and o.reply_due_on < today,
        }
        for o in page.object_list
    ]
    tabs = [
        ("", _("全部"), sum(counts.values())),
        *(
            (value, label, counts.get(value, 0))
            for value, label in OrderState.choices
            if value != OrderState.DRAFT or access.can_supervise(user)
        ),
        (LATE, _("逾期未回复"), late.count()),
    ]
    context = {"page": page, "rows": rows, "state": state, "tabs": tabs}
    if getattr(request, "htmx", False):
        return render(request, "rectification/order_list.html#rows", context)
    return render(request, "rectification/order_list.html", context)


def _detail(
    request: HttpRequest,
    user: User,
    order: SupervisionOrder,
    *,
    issue: IssueForm | None = None,
    reply: ReplyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    problems = list(
        Problem.objects.visible_to(user)
        .filter(supervision_orders=order)
        .select_related("category")
        .order_by("due_on", "id")
    )
    names = supervision.region_names([*(p.region_code for p in problems), order.recipient_region_code])
    as_of = order.issued_on or today
    context: dict[str, Any] = {
        "order": order,
        "recipient_region": names.get(order.recipient_region_code, order.recipient_region_code),
        "problems": [
            {
                "problem": p,
                "region": names.get(p.region_code, p.region_code),
                "overdue_days": (as_of - p.due_on).days if p.closed_on is None and p.due_on < as_of else 0,
            }
            for p in problems
        ],
        "late": order.state == OrderState.ISSUED
        and order.reply_due_on is not None
        and order.reply_due_on < today,
    }
    if order.state == OrderState.DRAFT and access.can_supervise(user):
        context["issue"] = issue or IssueForm()
        context["can_discard"] = True
    # Only the recipient itself answers: not a level above it, not the issuer (``supervision.can_answer``).
    if order.state == OrderState.ISSUED and supervision.can_answer(user, order):
        context["reply"] = reply or ReplyForm()
    return render(request, "rectification/order_detail.html", context, status=status)


@role_required(*BUSINESS_ROLES)
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    return _detail(request, user, _order(user, pk))


@role_required(*BUSINESS_ROLES)
@require_POST
def order_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """签发 a draft (supervisors whose scope holds the recipient)."""
    user = _reader(request)
    if not access.can_supervise(user):
        raise PermissionDenied(_("您的角色不能签发督办单。"))
    order = _order(user, pk)
    form = IssueForm(request.POST)
    if form.is_valid():
        try:
            order = supervision.issue_order(order=order, by=user, request=request, **form.arguments())
        except RectificationRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("督办单已签发：%(number)s。") % {"number": order.number})
            return redirect("rectification:order-detail", pk=order.pk)
    return _detail(request, user, order, issue=form)


@role_required(*BUSINESS_ROLES)
@require_POST
def order_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """作废 a draft (supervisors whose scope holds the recipient): it is deleted, the audit trail keeps it."""
    user = _reader(request)
    if not access.can_supervise(user):
        raise PermissionDenied(_("您的角色不能作废督办单。"))
    order = _order(user, pk)
    try:
        supervision.discard_order(order=order, by=user, on=timezone.localdate(), request=request)
    except RectificationRefused as exc:
        messages.error(request, exc.message)
        return redirect("rectification:order-detail", pk=order.pk)
    messages.success(request, _("督办单草稿已作废。"))
    return redirect("rectification:order-list")


@role_required(*BUSINESS_ROLES)
@require_POST
def order_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """督办回复 by the recipient."""
    user = _reader(request)
    if not access.can_reply(user):
        raise PermissionDenied(_("您的角色不能回复督办单。"))
    order = _order(user, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            order = supervision.reply_order(order=order, by=user, request=request, **form.arguments())
        except RectificationRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已回复督办单。"))
            return redirect("rectification:order-detail", pk=order.pk)
    return _detail(request, user, order, reply=form)


@role_required(*BUSINESS_ROLES)
@require_GET
def order_docx(request: HttpRequest, pk: int) -> HttpResponse:
    """The order as Word: the document frozen at issue, or a draft rendered now. Audited as an export."""
    user = _reader(request)
    order = _order(user, pk)
    if order.document:
        with order.document.open("rb") as stored:
            content = stored.read()
    else:
        content = supervision.render_order(order)
    events.exported(
        actor=user,
        what="rectification.supervisionorder",
        count=order.problems.count(),
        region_code=order.recipient_region_code,
        request=request,
    )
    response = HttpResponse(content, content_type=supervision.DOCX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, supervision.document_name(order))
    response["Cache-Control"] = "private, no-store"
    return response


# --- escalations ----------------------------------------------------------------------------------------


@role_required(*BUSINESS_ROLES)
@require_GET
def escalation_list(request: HttpRequest) -> HttpResponse:
    """The records of the user's scope and, for those who escalate, the units the ladder proposes."""
    user = _reader(request)
    today = timezone.localdate()
    records = Escalation.objects.visible_to(user).annotate(problem_count=Count("problems"))
    kind = request.GET.get("kind", "")
    if kind in EscalationKind.values:
        records = records.filter(kind=kind)
    page = Paginator(records.order_by("-on", "-id"), PAGE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "page": page,
        "kind": kind,
        "kinds": EscalationKind.choices,
        "can_escalate": access.can_escalate(user),
    }
    if getattr(request, "htmx", False):
        return render(request, "rectification/escalation_list.html#records", context)
    if access.can_escalate(user):
        proposed: dict[str, list[supervision.Candidate]] = {k: [] for k in EscalationKind.values}
        try:
            for prefix in user.scope_prefixes():
                for step, found in supervision.escalation_candidates(region_prefix=prefix, on=today).items():
                    proposed[step].extend(found)
        except RectificationRefused as exc:
            context["candidates_error"] = exc.message
        names = supervision.region_names(c.unit_region_code for found in proposed.values() for c in found)
        context["candidates"] = [
            (
                label,
                [
                    {
                        "candidate": c,
                        "region": names.get(c.unit_region_code, c.unit_region_code),
                        "sector": SECTORS.get(c.unit_sector, c.unit_sector),
                        "codes": " ".join(f"ZG{pk:07d}" for pk in c.problem_ids),
                    }
                    for c in proposed[value]
                ],
            )
            for value, label in EscalationKind.choices
        ]
    return render(request, "rectification/escalation_list.html", context)


@role_required(*BUSINESS_ROLES)
@require_http_methods(["GET", "POST"])
def escalation_new(request: HttpRequest) -> HttpResponse:
    """Record a circular, an interview or a referral (county and city offices); prefilled from a proposal."""
    user = _reader(request)
    if not access.can_escalate(user):
        raise PermissionDenied(_("您的角色不能作出通报、约谈或移交纪检。"))
    if request.method != "POST":
        wanted = {
            k: request.GET.get(k, "") for k in ("kind", "unit", "unit_region_code", "unit_sector", "problems")
        }
        return render(
            request,
            "rectification/escalation_form.html",
            {"form": EscalationForm(initial={k: v for k, v in wanted.items() if v})},
        )
    form = EscalationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        problems: QuerySet[Problem]
        if data["problems"]:
            problems = Problem.objects.visible_to(user).filter(pk__in=data["problems"])
            if len(problems) != len(set(data["problems"])):
                form.add_error("problems", _("有问题编号不存在或不在您的管辖范围内"))
        else:
            problems = supervision.unit_overdue_problems(
                user=user,
                unit=data["unit"],
                unit_region_code=data["unit_region_code"],
                unit_sector=data["unit_sector"],
                on=data["on"],
            )
        if form.is_valid():
            try:
                record = supervision.record_escalation(
                    kind=data["kind"],
                    by=user,
                    on=data["on"],
                    unit=data["unit"],
                    unit_region_code=data["unit_region_code"],
                    unit_sector=data["unit_sector"],
                    problems=problems,
                    text=data["text"],
                    person=data["person"],
                    number=data["number"],
                    request=request,
                )
            except RectificationRefused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    _("已记录%(kind)s：%(number)s。")
                    % {"kind": record.get_kind_display(), "number": record.number},
                )
                return redirect("rectification:escalation-list")
    return render(request, "rectification/escalation_form.html", {"form": form})

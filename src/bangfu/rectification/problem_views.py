"""Problem pages under /rectification/: the board (counts by colour per region, the user's work), the list
with filters, a problem with its timeline and the forms of the steps its reader may take, recording a
problem, and the problem lists (问题清单) with their issue (交办).

Views are thin: rows come through ``visible_to`` (``get_for_user`` for one row), writes through
``rectification.services``; the role checks are those of ``rectification.access``.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Substr
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.core.setbased import no_jit
from bangfu.monitoring.models import Visit
from bangfu.rectification import access, services
from bangfu.rectification.exceptions import RectificationRefused
from bangfu.rectification.forms import IssueForm, ListForm, NoteForm, ProblemFilter, ProblemForm, VerifyForm
from bangfu.rectification.models import (
    OPEN_STATES,
    Colour,
    EventKind,
    Evidence,
    ListState,
    Problem,
    ProblemEvent,
    ProblemList,
    ProblemSource,
    ProblemState,
    colour_expression,
)
from bangfu.regions.codes import PREFIX_LENGTH, Level, full_code, level_of, prefix_of
from bangfu.regions.models import Region
from bangfu.regions.scoping import get_for_user
from bangfu.registry.models import Household

PAGE = 50
COLOUR_ORDER = {Colour.RED: 0, Colour.YELLOW: 1, Colour.GREEN: 2}


def _reader(request: HttpRequest) -> User:
    user = current_user(request, required=True)
    if not access.can_read(user):
        raise PermissionDenied(_("您的角色不能查看整改问题。"))
    return user


def _problems(user: User) -> Any:
    return Problem.objects.visible_to(user).select_related(
        "category", "campaign", "household", "problem_list"
    )


def _names(codes: set[str]) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))


def _named(problems: list[Problem]) -> list[Problem]:
    """The problems with ``region_name`` set (one query for all of them)."""
    names = _names({p.region_code for p in problems})
    for problem in problems:
        problem.region_name = names.get(problem.region_code, problem.region_code)  # type: ignore[attr-defined]
    return problems


def _refusal(form: Any, exc: RectificationRefused, *, fields: dict[str, str] | None = None) -> None:
    """The service's refusal beside the form's field it concerns (``fields`` maps the service's argument
    names to the form's where they differ), else above the form."""
    field = (fields or {}).get(exc.field, exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


# --- the board ------------------------------------------------------------------------------------------


@login_required
@require_GET
def problem_board(request: HttpRequest) -> HttpResponse:
    """Counts by colour as of today in the user's scope, the same per region one level down, and the work
    waiting for this user: closures to verify at their level, red problems to act on."""
    user = _reader(request)
    with no_jit():
        context = _board(user)
    return render(request, "rectification/problem_board.html", context)


def _board(user: User) -> dict[str, Any]:
    today = timezone.localdate()
    problems = Problem.objects.visible_to(user).issued()
    own = full_code(user.scope_prefixes()[0])
    level = level_of(own)
    rows: list[dict[str, Any]] = []
    if level < Level.VILLAGE:
        # One pass: counts by colour per region one level down; the scope's totals are their sums.
        width = PREFIX_LENGTH[Level(level + 1)]
        grouped = (
            problems.annotate(part=Substr("region_code", 1, width), c=colour_expression(today))
            .values("part", "c")
            .order_by()
            .annotate(n=Count("pk"))
        )
        by_part: dict[str, dict[str, int]] = {}
        for row in grouped:
            by_part.setdefault(full_code(row["part"]), dict.fromkeys(Colour.values, 0))[row["c"]] = row["n"]
        names = _names(set(by_part))
        rows = [
            {"code": code, "name": names.get(code, code), **counts}
            for code, counts in sorted(by_part.items(), key=lambda item: (-item[1]["red"], item[0]))
        ]
        totals = {colour: sum(counts[colour] for counts in by_part.values()) for colour in Colour.values}
    else:
        totals = services.colour_counts(problems, on=today)
    to_verify = (
        _problems(user)
        .filter(state=ProblemState.AWAITING_VERIFICATION)
        .order_by("closure_requested_on", "pk")
        if access.can_verify(user)
        else Problem.objects.none()
    )
    to_verify = [p for p in to_verify[:PAGE] if access.can_verify_level(user, p.verifier_level)]
    # The red problems to act on, most overdue first, from the county down: above it the board is the
    # per-county table, and the whole city's red problems are the ledger filtered by colour (a second
    # pass over a city's problems would double the page's time for a list nobody there works through).
    red = (
        list(
            _problems(user)
            .open()
            .annotate(c=colour_expression(today))
            .filter(c=Colour.RED)
            .order_by("due_on", "pk")[:PAGE]
        )
        if level >= Level.COUNTY
        else []
    )
    _named([*red, *to_verify])
    return {
        "today": today,
        "totals": totals,
        "open_total": totals[Colour.RED] + totals[Colour.YELLOW],
        "rate": _rate(totals),
        "rows": rows,
        "to_verify": to_verify,
        "red": red,
        "can_create": access.can_create(user),
        "can_issue": access.can_issue(user),
        "own_code": own,
    }


def _rate(totals: dict[str, int]) -> str:
    """清零率: closed ÷ all assigned, one decimal, or "—" with nothing assigned."""
    total = sum(totals.values())
    return f"{totals[Colour.GREEN] * 100 / total:.1f}%" if total else "—"


# --- the list -------------------------------------------------------------------------------------------


@login_required
@require_GET
def problem_list(request: HttpRequest) -> HttpResponse:
    """Every problem of the scope with filters (colour as of today), newest first, keyset pages of 50."""
    user = _reader(request)
    today = timezone.localdate()
    form = ProblemFilter(request.GET or None)
    rows = _problems(user).annotate(c=colour_expression(today))
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            q = data["q"].strip()
            code = q.upper().removeprefix("ZG")
            rows = rows.filter(Q(description__contains=q) | (Q(pk=int(code)) if code.isdigit() else Q()))
        if data["colour"]:
            # As on the board: a draft has no colour until its list is issued.
            rows = rows.issued().filter(c=data["colour"])
        if data["state"]:
            rows = rows.filter(state=data["state"])
        for name in ("category", "campaign"):
            if data[name]:
                rows = rows.filter(**{name: data[name]})
        if data["source"]:
            rows = rows.filter(source=data["source"])
        if data["region"] and data["region"].isdigit() and len(data["region"]) == 12:
            rows = rows.within(prefix_of(data["region"]))
        if data["after"]:
            rows = rows.filter(pk__lt=data["after"])
    page = list(rows.order_by("-pk")[: PAGE + 1])
    more = len(page) > PAGE
    page = page[:PAGE]
    query = request.GET.copy()
    if more:
        query["after"] = str(page[-1].pk)
    context = {
        "form": form,
        "problems": _named(page),
        "next_query": query.urlencode() if more else "",
        "today": today,
    }
    template = "rectification/problem_list.html#rows" if request.htmx else "rectification/problem_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


# --- one problem ------------------------------------------------------------------------------------------


def _detail_context(user: User, problem: Problem, **forms: Any) -> dict[str, Any]:
    today = timezone.localdate()
    events = list(
        ProblemEvent.objects.filter(problem=problem)
        .select_related("by")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("pk")))
        .order_by("on", "pk")
    )
    open_ = problem.state in OPEN_STATES
    may_work = access.can_work(user) and open_ and problem.state != ProblemState.AWAITING_VERIFICATION
    may_verify = problem.state == ProblemState.AWAITING_VERIFICATION and access.can_verify_level(
        user, problem.verifier_level
    )
    return {
        "problem": problem,
        "colour": problem.colour_as_of(on=today) if problem.state != ProblemState.DRAFT else None,
        "events": events,
        "region_name": _names({problem.region_code}).get(problem.region_code, problem.region_code),
        "progress_form": forms.get("progress_form") or (NoteForm(prefix="progress") if may_work else None),
        "closure_form": forms.get("closure_form") or (NoteForm(prefix="closure") if may_work else None),
        "verify_form": forms.get("verify_form") or (VerifyForm() if may_verify else None),
        # A list belongs to the office that issued it: a village sees its problem, not always the list.
        "list_visible": problem.problem_list_id is not None
        and ProblemList.objects.visible_to(user).filter(pk=problem.problem_list_id).exists(),
        "today": today,
        "EventKind": EventKind,
    }


@login_required
@require_GET
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    problem = get_for_user(_problems(user), user, pk=pk)
    return render(request, "rectification/problem_detail.html", _detail_context(user, problem))


def _step_view(request: HttpRequest, pk: int, *, prefix: str, action: str) -> HttpResponse:
    user = _reader(request)
    problem = get_for_user(_problems(user), user, pk=pk)
    if not access.can_work(user):
        raise PermissionDenied(_("您的角色不能办理问题整改。"))
    form = NoteForm(request.POST, request.FILES, prefix=prefix)
    if form.is_valid():
        step = services.note_progress if action == "progress" else services.request_closure
        try:
            step(
                problem=problem,
                by=user,
                on=form.cleaned_data["on"],
                note=form.cleaned_data["note"],
                evidence=form.cleaned_data["evidence"],
                request=request,
            )
        except RectificationRefused as exc:
            _refusal(form, exc)
        else:
            messages.success(
                request, _("已记录整改进展。") if action == "progress" else _("已申请销号，待验收。")
            )
            return redirect("rectification:problem-detail", pk=problem.pk)
    context = _detail_context(user, problem, **{f"{prefix}_form": form})
    return render(request, "rectification/problem_detail.html", context, status=422)


@login_required
@require_POST
def problem_progress(request: HttpRequest, pk: int) -> HttpResponse:
    return _step_view(request, pk, prefix="progress", action="progress")


@login_required
@require_POST
def problem_closure(request: HttpRequest, pk: int) -> HttpResponse:
    return _step_view(request, pk, prefix="closure", action="closure")


@login_required
@require_POST
def problem_verify(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    problem = get_for_user(_problems(user), user, pk=pk)
    if not access.can_verify(user):
        raise PermissionDenied(_("您的角色不能验收销号。"))
    form = VerifyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "close":
                services.close_problem(
                    problem=problem, by=user, on=data["on"], note=data["note"], request=request
                )
                messages.success(request, _("已验收销号。"))
            else:
                services.reject_closure(
                    problem=problem, by=user, on=data["on"], reason=data["note"], request=request
                )
                messages.success(request, _("已退回整改。"))
        except RectificationRefused as exc:
            # The reason for a rejection is typed into the opinion box.
            _refusal(form, exc, fields={"reason": "note"})
        else:
            return redirect("rectification:problem-detail", pk=problem.pk)
    return render(
        request,
        "rectification/problem_detail.html",
        _detail_context(user, problem, verify_form=form),
        status=422,
    )


@login_required
@require_GET
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """A piece of evidence, decrypted, for whoever may read its problem (404 otherwise)."""
    user = _reader(request)
    evidence = _evidence_for(user, pk)
    content_type = evidence.content_type or mimetypes.guess_type(evidence.original_name)[0]
    response = FileResponse(evidence.file.open("rb"), content_type=content_type or "application/octet-stream")
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _evidence_for(user: User, pk: int) -> Evidence:
    """The evidence when its problem is in the user's scope; 404 (audited as out of scope) otherwise."""
    evidence = Evidence.objects.select_related("event").filter(pk=pk).first()
    if evidence is None:
        raise Http404
    get_for_user(Problem.objects.all(), user, pk=evidence.event.problem_id)
    return evidence


# --- recording a problem -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def problem_new(request: HttpRequest) -> HttpResponse:
    """登记问题, on its own (assigned at once) or into a draft list (``?list=<id>``, assigned when issued)."""
    user = _reader(request)
    if not access.can_create(user):
        raise PermissionDenied(_("您的角色不能登记问题。"))
    problem_list = None
    list_id = request.GET.get("list") or request.POST.get("list")
    if list_id:
        problem_list = get_for_user(
            ProblemList.objects.all(), user, pk=list_id if str(list_id).isdigit() else 0
        )
        if problem_list.state != ListState.DRAFT:
            raise PermissionDenied(_("该清单已交办，不能再添加问题。"))
    initial: dict[str, Any] = {"region_code": str(user.region_id or "")}
    if problem_list is not None:
        initial.update(source=problem_list.source, campaign=problem_list.campaign_id)
    visit = _visit(user, request.GET.get("visit") or request.POST.get("visit"))
    if visit is not None:
        # A problem found on a visit (走访发现): the household, its village and the day. The visit's note is
        # shown beside the form, not copied into the description, which the public board publishes: a note
        # is written for the case file and often tells of an illness or a hospital stay.
        initial.update(
            source=ProblemSource.VISIT,
            region_code=visit.region_code,
            household_number=visit.case.household.household_number,
            found_on=visit.on,
        )
    form = ProblemForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = _household(user, data["household_number"], data["region_code"])
            problem = services.create_problem(
                by=user,
                on=data["found_on"],
                source=data["source"],
                category=data["category"],
                region_code=data["region_code"] or (household.region_code if household else ""),
                description=data["description"],
                measure=data["measure"],
                lead_unit=data["lead_unit"],
                responsible_unit=data["responsible_unit"],
                responsible_sector=data["responsible_sector"],
                responsible_person=data["responsible_person"],
                due_on=data["due_on"],
                household=household,
                campaign=data["campaign"],
                problem_list=problem_list,
                fixed_on_the_spot=data["fixed_on_the_spot"],
                evidence=data["evidence"],
                request=request,
            )
        except RectificationRefused as exc:
            _refusal(form, exc)
        except PermissionDenied as exc:
            form.add_error("region_code", str(exc))
        else:
            messages.success(request, _("已登记问题 %(code)s。") % {"code": problem.code})
            if problem_list is not None:
                return redirect("rectification:list-detail", pk=problem_list.pk)
            return redirect("rectification:problem-detail", pk=problem.pk)
    context = {"form": form, "problem_list": problem_list, "visit": visit}
    return render(request, "rectification/problem_form.html", context)


def _visit(user: User, pk: str | None) -> Visit | None:
    """The visit a problem is raised from (``?visit=<id>``), if the user may read it (404 otherwise)."""
    if not pk:
        return None
    return get_for_user(
        Visit.objects.select_related("case__household"), user, pk=int(pk) if pk.isdigit() else 0
    )


def _household(user: User, number: str, region_code: str) -> Household | None:
    number = (number or "").strip()
    if not number:
        return None
    rows = Household.objects.visible_to(user).filter(household_number=number)
    if region_code and region_code.isdigit() and len(region_code) == 12:
        rows = rows.within(prefix_of(region_code))
    found = list(rows[:2])
    if len(found) != 1:
        raise RectificationRefused(
            _("在您的管辖范围内找不到户编号为 %(number)s 的农户") % {"number": number}
            if not found
            else _("户编号 %(number)s 对应多户，请填写涉及区域") % {"number": number},
            field="household_number",
        )
    return found[0]


# --- lists ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def list_index(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    lists = (
        ProblemList.objects.visible_to(user)
        .select_related("campaign")
        .annotate(total=Count("problems"), open=Count("problems", filter=Q(problems__state__in=OPEN_STATES)))
        .order_by("-pk")[:200]
    )
    return render(
        request, "rectification/list_index.html", {"lists": lists, "can_issue": access.can_issue(user)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def list_new(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    if not access.can_issue(user):
        raise PermissionDenied(_("您的角色不能交办问题清单。"))
    form = ListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            problem_list = services.create_list(by=user, request=request, **form.cleaned_data)
        except RectificationRefused as exc:
            _refusal(form, exc)
        else:
            return redirect("rectification:list-detail", pk=problem_list.pk)
    return render(request, "rectification/list_form.html", {"form": form})


@login_required
@require_GET
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    problem_list = get_for_user(ProblemList.objects.select_related("campaign"), user, pk=pk)
    today = timezone.localdate()
    problems = list(
        Problem.objects.visible_to(user)
        .filter(problem_list=problem_list)
        .select_related("category")
        .annotate(c=colour_expression(today))
        .order_by("pk")[:500]
    )
    issuer = access.can_issue(user) and problem_list.state == ListState.DRAFT
    return render(
        request,
        "rectification/list_detail.html",
        {
            "problem_list": problem_list,
            "problems": _named(problems),
            "issue_form": IssueForm() if issuer else None,
            "may_add": issuer and access.can_create(user),
            "import_url": _import_url(problem_list) if issuer else "",
        },
    )


def _import_url(problem_list: ProblemList) -> str:
    try:
        return reverse("rectification:list-import", args=[problem_list.pk])
    except NoReverseMatch:  # the ledger import's pages are a part of their own
        return ""


@login_required
@require_POST
def list_issue(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    problem_list = get_for_user(ProblemList.objects.all(), user, pk=pk)
    if not access.can_issue(user):
        raise PermissionDenied(_("您的角色不能交办问题清单。"))
    form = IssueForm(request.POST)
    if form.is_valid():
        try:
            count = services.issue_list(
                problem_list=problem_list, by=user, on=form.cleaned_data["on"], request=request
            )
        except RectificationRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已交办 %(n)d 个问题。") % {"n": count})
    else:
        messages.error(request, _("请填写交办日期。"))
    return redirect("rectification:list-detail", pk=problem_list.pk)

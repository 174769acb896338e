"""Problems in the API (/api/v1/problems): the same scope (``visible_to``), permissions (``access``) and
services as the pages. Evidence files are uploaded on the pages (a phone's camera); the API records problems
and progress notes, and reads problems with their colour and timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import AuthorizationError

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.core.schemas import ErrorOut, page_by_id
from bangfu.rectification import access, services
from bangfu.rectification.exceptions import RectificationRefused
from bangfu.rectification.models import Colour, Problem, ProblemCategory, ProblemSource, ProblemState
from bangfu.regions.scoping import get_for_user
from bangfu.registry.models import Household
from bangfu.registry.search import DEFAULT_LIMIT, MAX_LIMIT

router = Router(tags=["rectification"])
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class ProblemOut(Schema):
    id: int
    code: str = Field(description="问题编号（ZG开头）")
    source: ProblemSource
    category: str = Field(description="问题类别代码")
    region_code: str = Field(description="涉及区域")
    household_id: int | None
    description: str
    measure: str
    lead_unit: str
    responsible_unit: str
    responsible_sector: str
    responsible_person: str
    found_on: dt.date
    assigned_on: dt.date | None = Field(description="交办日期（待交办为 null）")
    due_on: dt.date = Field(description="整改时限")
    state: ProblemState
    colour: Colour | None = Field(description="今天的颜色（待交办为 null）")
    fixed_on_the_spot: bool
    closed_on: dt.date | None

    @staticmethod
    def of(problem: Any) -> ProblemOut:
        colour = getattr(problem, "colour_then", None)
        return ProblemOut(
            id=problem.pk,
            code=problem.code,
            source=ProblemSource(problem.source),
            category=problem.category.code,
            region_code=problem.region_code,
            household_id=problem.household_id,
            description=problem.description,
            measure=problem.measure,
            lead_unit=problem.lead_unit,
            responsible_unit=problem.responsible_unit,
            responsible_sector=problem.responsible_sector,
            responsible_person=problem.responsible_person,
            found_on=problem.found_on,
            assigned_on=problem.assigned_on,
            due_on=problem.due_on,
            state=ProblemState(problem.state),
            colour=Colour(colour) if colour and problem.state != ProblemState.DRAFT else None,
            fixed_on_the_spot=problem.fixed_on_the_spot,
            closed_on=problem.closed_on,
        )


class EventOut(Schema):
    kind: str
    on: dt.date
    by: str
    note: str
    reference: str
    colour_from: str
    colour_to: str
    evidence: int = Field(description="佐证材料个数")


class ProblemDetailOut(ProblemOut):
    events: list[EventOut]


class ProblemPage(Schema):
    items: list[ProblemOut]
    next_after: int | None = Field(description="下一页：把它作为 after 传回；没有更多时为 null")


class ProblemQuery(Schema):
    colour: Colour | None = Field(None, description="今天的颜色")
    state: ProblemState | None = None
    region: str | None = Field(None, description="只看该区域（12位代码）及其下级")
    after: int | None = Field(None, description="上一页的 next_after")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"每页条数（1–{MAX_LIMIT}）")


class ProblemIn(Schema):
    source: ProblemSource
    category: str = Field(description="问题类别代码，如 housing")
    region_code: str = Field("", description="涉及区域（县、乡镇或村的12位代码）；有 household_id 时可空")
    household_id: int | None = None
    description: str
    measure: str = ""
    lead_unit: str = ""
    responsible_unit: str
    responsible_sector: str = ""
    responsible_person: str = ""
    found_on: dt.date
    due_on: dt.date


class ProgressIn(Schema):
    on: dt.date
    note: str


def _reader(request: HttpRequest) -> User:
    user = current_user(request)
    if user is None or not access.can_read(user):
        raise AuthorizationError(403, _("您的角色不能查看整改问题。"))
    return user


def _rows(user: User) -> Any:
    return Problem.objects.visible_to(user).select_related("category").with_colour(timezone.localdate())


def _refused(exc: RectificationRefused) -> Status[dict[str, str]]:
    message = exc.message if not exc.field else f"{exc.field}: {exc.message}"
    return Status(422, {"code": "invalid", "message": message})


@router.get("/problems", response={200: ProblemPage, **ERRORS}, summary="整改问题")
def list_problems(request: HttpRequest, query: Query[ProblemQuery]) -> Any:
    """The problems of the caller's scope (a department: its sector's), in keyset pages by id."""
    user = _reader(request)
    rows = _rows(user)
    if query.colour is not None:
        rows = rows.filter(colour_then=query.colour.value)
    if query.state is not None:
        rows = rows.filter(state=query.state.value)
    if query.region:
        if not (query.region.isdigit() and len(query.region) == 12):
            return Status(422, {"code": "invalid", "message": _("region 须为12位区划代码")})
        from bangfu.regions.codes import prefix_of

        rows = rows.within(prefix_of(query.region))
    found, next_after = page_by_id(rows, after=query.after, limit=query.limit)
    return ProblemPage(items=[ProblemOut.of(p) for p in found], next_after=next_after)


@router.post("/problems", response={200: ProblemOut, 422: ErrorOut, **ERRORS}, summary="登记整改问题")
def create_problem(request: HttpRequest, payload: ProblemIn) -> Any:
    """Record a problem, assigned at once (problems fixed on the spot need their evidence: on the page)."""
    user = _reader(request)
    if not access.can_create(user):
        raise AuthorizationError(403, _("您的角色不能登记问题。"))
    category = ProblemCategory.objects.filter(code=payload.category).first()
    if category is None:
        return Status(422, {"code": "invalid", "message": _("category: 问题类别代码不存在")})
    household = (
        get_for_user(Household.objects.all(), user, pk=payload.household_id)
        if payload.household_id is not None
        else None
    )
    try:
        problem = services.create_problem(
            by=user,
            on=payload.found_on,
            source=payload.source.value,
            category=category,
            region_code=payload.region_code or (household.region_code if household else ""),
            description=payload.description,
            measure=payload.measure,
            lead_unit=payload.lead_unit,
            responsible_unit=payload.responsible_unit,
            responsible_sector=payload.responsible_sector,
            responsible_person=payload.responsible_person,
            due_on=payload.due_on,
            household=household,
            request=request,
        )
    except RectificationRefused as exc:
        return _refused(exc)
    except PermissionDenied as exc:
        raise AuthorizationError(403, str(exc)) from exc
    return ProblemOut.of(_rows(user).get(pk=problem.pk))


def _detail(user: User, pk: int) -> ProblemDetailOut:
    problem = get_for_user(_rows(user), user, pk=pk)
    events = [
        EventOut(
            kind=event.kind,
            on=event.on,
            by=str(event.by) if event.by else "",
            note=event.note,
            reference=event.reference,
            colour_from=event.colour_from,
            colour_to=event.colour_to,
            evidence=event.evidence.count(),
        )
        for event in problem.events.select_related("by").prefetch_related("evidence").order_by("on", "pk")
    ]
    return ProblemDetailOut(**ProblemOut.of(problem).dict(), events=events)


@router.get("/problems/{problem_id}", response={200: ProblemDetailOut, **ERRORS}, summary="整改问题详情")
def get_problem(request: HttpRequest, problem_id: int) -> Any:
    return _detail(_reader(request), problem_id)


@router.post(
    "/problems/{problem_id}/progress",
    response={200: ProblemDetailOut, 422: ErrorOut, **ERRORS},
    summary="登记整改进展",
)
def add_progress(request: HttpRequest, problem_id: int, payload: ProgressIn) -> Any:
    user = _reader(request)
    problem = get_for_user(Problem.objects.all(), user, pk=problem_id)
    if not access.can_work(user):
        raise AuthorizationError(403, _("您的角色不能办理问题整改。"))
    try:
        services.note_progress(problem=problem, by=user, on=payload.on, note=payload.note, request=request)
    except RectificationRefused as exc:
        return _refused(exc)
    return _detail(user, problem_id)

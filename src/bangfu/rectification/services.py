"""Writes of the rectification app: recording, issuing, working on and closing problems, and recolouring.

Every function here is one transaction that re-checks role and scope, refuses a date after today (or before
the step it follows), records the problem's timeline (``ProblemEvent``) and an audit event, and recolours the
problem (a change of colour is a 变色 event). Views, the API, the ledger import and the jobs call these only.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from bangfu import policy
from bangfu.audit import events
from bangfu.policy import deadlines
from bangfu.policy.exceptions import PolicyError
from bangfu.rectification import access
from bangfu.rectification.exceptions import RectificationRefused
from bangfu.rectification.models import (
    MAX_TEXT,
    Campaign,
    Colour,
    EventKind,
    Evidence,
    ListState,
    Problem,
    ProblemCategory,
    ProblemEvent,
    ProblemList,
    ProblemSource,
    ProblemState,
    colour_expression,
)
from bangfu.regions.codes import Level, is_valid_code, level_of, prefix_of
from bangfu.regions.scoping import code_visible_to

if TYPE_CHECKING:
    from bangfu.accounts.models import User
    from bangfu.registry.models import Household, Member

MAX_EVIDENCE_BYTES: Final = 10 * 1024 * 1024
MAX_EVIDENCE_FILES: Final = 9
MAX_UNIT: Final = 100
MAX_PERSON: Final = 50
# What evidence may be: photos (checked by decoding) and PDF documents (checked by their signature).
IMAGE_TYPES: Final = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PROBLEM_FIELDS: Final = (
    "state",
    "assigned_on",
    "start_due_on",
    "started_on",
    "closure_requested_on",
    "verifier_level",
    "rejection_count",
    "closed_on",
    "colour",
    "colour_since",
)


# --- small checks ------------------------------------------------------------------------------------------


def clean_text(value: Any, *, limit: int, field: str, label: str, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise RectificationRefused(_("请填写%(label)s") % {"label": label}, field=field)
    if len(text) > limit:
        raise RectificationRefused(
            _("%(label)s最多%(limit)d字") % {"label": label, "limit": limit}, field=field
        )
    return text


def check_day(
    on: dt.date, *, not_before: dt.date | None = None, field: str = "on", region: str | None = None
) -> None:
    """``on`` not after today, not before ``not_before``, and — for a step of the work (``region`` given) —
    not further back than the policy lets a step be entered late (rectification.backdate_days): a problem
    left late cannot be recorded afterwards as solved in time."""
    today = timezone.localdate()
    if on > today:
        raise RectificationRefused(_("日期不能晚于今天"), field=field)
    if region is not None:
        try:
            days = int(policy.value("rectification.backdate_days", region=region, on=today))
        except PolicyError as exc:
            raise RectificationRefused(exc.message) from exc
        if on < today - dt.timedelta(days=days):
            raise RectificationRefused(
                _("日期不能早于 %(day)s：整改事项最多补录 %(days)d 天前的")
                % {"day": (today - dt.timedelta(days=days)).isoformat(), "days": days},
                field=field,
            )
    if not_before is not None and on < not_before:
        raise RectificationRefused(_("日期不能早于 %(day)s") % {"day": not_before.isoformat()}, field=field)


def start_due_on(*, region_code: str, assigned_on: dt.date) -> dt.date:
    """The last day to start work on a problem assigned on ``assigned_on`` (rectification.start_within)."""
    try:
        return deadlines.due_date(
            key="rectification.start_within", start=assigned_on, region=region_code
        ).date
    except PolicyError as exc:
        raise RectificationRefused(exc.message) from exc


def _county_verifies_red(region_code: str, on: dt.date) -> bool:
    try:
        return bool(int(policy.value("rectification.county_verifies_red", region=region_code, on=on)))
    except PolicyError as exc:
        raise RectificationRefused(exc.message) from exc


def clean_evidence(files: Sequence[UploadedFile], *, required: bool) -> list[tuple[UploadedFile, str]]:
    """Each file with its checked content type: a photo Pillow can decode, or a PDF; ≤ 10 MB, ≤ 9 files."""
    from PIL import Image, UnidentifiedImageError

    files = [f for f in files if f]
    if required and not files:
        raise RectificationRefused(_("请上传整改佐证材料（照片或PDF文件）"), field="evidence")
    if len(files) > MAX_EVIDENCE_FILES:
        raise RectificationRefused(_("佐证材料最多%(n)d个文件") % {"n": MAX_EVIDENCE_FILES}, field="evidence")
    checked = []
    for upload in files:
        name = upload.name or ""
        if upload.size is None or upload.size > MAX_EVIDENCE_BYTES:
            raise RectificationRefused(_("文件“%(name)s”超过10MB") % {"name": name}, field="evidence")
        upload.seek(0)
        head = upload.read(5)
        upload.seek(0)
        if head == b"%PDF-":
            checked.append((upload, "application/pdf"))
            continue
        try:
            with Image.open(io.BytesIO(upload.read())) as image:
                image.verify()
                kind = IMAGE_TYPES.get(image.format or "")
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            OSError,
            SyntaxError,
            ValueError,
        ) as exc:
            raise RectificationRefused(
                _("文件“%(name)s”不是可识别的照片或PDF文件") % {"name": name}, field="evidence"
            ) from exc
        finally:
            upload.seek(0)
        if kind is None:
            raise RectificationRefused(
                _("文件“%(name)s”的格式不支持，请上传JPG、PNG照片或PDF文件") % {"name": name},
                field="evidence",
            )
        checked.append((upload, kind))
    return checked


def _record(
    problem: Problem,
    *,
    kind: str,
    on: dt.date,
    by: User | None,
    note: str = "",
    evidence: Iterable[tuple[UploadedFile, str]] = (),
    reference: str = "",
) -> ProblemEvent:
    event = ProblemEvent.objects.create(
        problem=problem,
        region_code=problem.region_code,
        kind=kind,
        on=on,
        by=by,
        note=note,
        reference=reference,
    )
    for upload, content_type in evidence:
        Evidence.objects.create(
            event=event,
            file=upload,
            original_name=(upload.name or "")[-255:],
            content_type=content_type,
            size=upload.size or 0,
        )
    return event


def recolour_one(problem: Problem, *, on: dt.date) -> None:
    """Record the problem's colour as of ``on`` if it changed (a 变色 event, by no one: a colour follows from
    dates and steps, so the step that happened to notice a change did not make it); the problem is locked
    and saved by the caller."""
    colour = problem.colour_as_of(on=on)
    if colour != problem.colour:
        ProblemEvent.objects.create(
            problem=problem,
            region_code=problem.region_code,
            kind=EventKind.COLOUR_CHANGED,
            on=on,
            colour_from=problem.colour,
            colour_to=colour,
        )
        Problem.objects.filter(pk=problem.pk).update(colour=colour, colour_since=on)
        problem.colour, problem.colour_since = colour, on


# --- recording --------------------------------------------------------------------------------------------


def create_problem(
    *,
    by: User,
    on: dt.date,
    source: str,
    category: ProblemCategory,
    region_code: str,
    description: str,
    responsible_unit: str,
    due_on: dt.date,
    measure: str = "",
    lead_unit: str = "",
    responsible_sector: str = "",
    responsible_person: str = "",
    household: Household | None = None,
    member: Member | None = None,
    campaign: Campaign | None = None,
    problem_list: ProblemList | None = None,
    ledger_number: str = "",
    fixed_on_the_spot: bool = False,
    evidence: Sequence[UploadedFile] = (),
    request: Any = None,
) -> Problem:
    """Record a problem found on ``on``. Outside a draft list it is assigned at once (the start clock runs
    from ``on``); in a draft list it waits for the list to be issued. Fixed on the spot (立行立改) it is
    recorded closed, with its evidence.

    Raises ``PermissionDenied`` (role, or a place outside the user's scope) and ``RectificationRefused``
    (the field and a Chinese message). Side effects: the problem, its first events (created, and assigned
    or fixed on the spot), evidence files, an audit event.
    """
    if not access.can_create(by):
        raise PermissionDenied(_("您的角色不能登记问题。"))
    fields = check_problem_fields(
        by=by,
        on=on,
        source=source,
        category=category,
        region_code=region_code,
        description=description,
        measure=measure,
        lead_unit=lead_unit,
        responsible_unit=responsible_unit,
        responsible_sector=responsible_sector,
        responsible_person=responsible_person,
        due_on=due_on,
        household=household,
        member=member,
        campaign=campaign,
    )
    draft = problem_list is not None and problem_list.state == ListState.DRAFT
    if fixed_on_the_spot and draft:
        raise RectificationRefused(_("立行立改的问题直接登记，不列入待交办清单"), field="fixed_on_the_spot")
    checked = clean_evidence(evidence, required=fixed_on_the_spot)
    if fixed_on_the_spot:
        check_day(on, field="found_on", region=fields["region_code"])
    with transaction.atomic():
        if problem_list is not None:
            problem_list = _draft_list_for(problem_list, by=by, region_code=fields["region_code"])
        problem = Problem(
            **fields,
            problem_list=problem_list,
            ledger_number=clean_text(ledger_number, limit=30, field="ledger_number", label=_("清单内编号")),
            found_on=on,
            created_by=by,
            colour=Colour.YELLOW,
            colour_since=on,
        )
        if draft:
            problem.state = ProblemState.DRAFT
        else:
            problem.assigned_on = on
            problem.start_due_on = start_due_on(region_code=problem.region_code, assigned_on=on)
        if fixed_on_the_spot:
            problem.fixed_on_the_spot = True
            problem.state = ProblemState.CLOSED
            problem.started_on = problem.closed_on = on
            problem.closed_by = by
            problem.colour = Colour.GREEN
        problem.save()
        _record(problem, kind=EventKind.CREATED, on=on, by=by)
        if fixed_on_the_spot:
            _record(
                problem,
                kind=EventKind.FIXED_ON_THE_SPOT,
                on=on,
                by=by,
                note=problem.measure,
                evidence=checked,
            )
        events.created(actor=by, obj=problem, after=_snapshot(problem), request=request)
    return problem


def check_problem_fields(
    *,
    by: User,
    on: dt.date,
    source: str,
    category: ProblemCategory,
    region_code: str,
    description: str,
    measure: str,
    lead_unit: str,
    responsible_unit: str,
    responsible_sector: str,
    responsible_person: str,
    due_on: dt.date,
    household: Household | None,
    member: Member | None,
    campaign: Campaign | None,
) -> dict[str, Any]:
    """The checked fields of a new problem (shared by the screen, the API and the ledger import)."""
    from bangfu.accounts.models import Sector

    check_day(on, field="found_on")
    if source not in ProblemSource.values:
        raise RectificationRefused(_("问题来源不在代码表中"), field="source")
    if not category.active:
        raise RectificationRefused(_("问题类别“%(name)s”已停用") % {"name": category.name}, field="category")
    if household is not None:
        region_code = region_code or household.region_code
        if (
            not household.region_code.startswith(prefix_of(region_code))
            if is_valid_code(region_code)
            else True
        ):
            raise RectificationRefused(_("涉及农户不在所选区域内"), field="household")
    if not is_valid_code(region_code) or level_of(region_code) < Level.COUNTY:
        raise RectificationRefused(_("涉及区域须为县（区）、乡镇或村"), field="region_code")
    if not code_visible_to(by, region_code):
        raise PermissionDenied(_("所选区域不在您的管辖范围内。"))
    if member is not None:
        if household is None:
            household = member.household
        if member.household_id != household.pk:
            raise RectificationRefused(_("涉及人员不是该户成员"), field="member")
    if responsible_sector and responsible_sector not in Sector.values:
        raise RectificationRefused(_("责任行业部门不在代码表中"), field="responsible_sector")
    if due_on < on:
        raise RectificationRefused(_("整改时限不能早于发现日期"), field="due_on")
    if campaign is not None and due_on > campaign.clearance_date:
        raise RectificationRefused(
            _("整改时限不能晚于专项“%(name)s”的清零时限 %(day)s")
            % {"name": campaign.name, "day": campaign.clearance_date.isoformat()},
            field="due_on",
        )
    return {
        "source": source,
        "category": category,
        "region_code": region_code,
        "household": household,
        "member": member,
        "description": clean_text(
            description, limit=MAX_TEXT, field="description", label=_("问题描述"), required=True
        ),
        "measure": clean_text(measure, limit=MAX_TEXT, field="measure", label=_("整改措施")),
        "lead_unit": clean_text(lead_unit, limit=MAX_UNIT, field="lead_unit", label=_("牵头单位")),
        "responsible_unit": clean_text(
            responsible_unit, limit=MAX_UNIT, field="responsible_unit", label=_("责任单位"), required=True
        ),
        "responsible_sector": responsible_sector,
        "responsible_person": clean_text(
            responsible_person, limit=MAX_PERSON, field="responsible_person", label=_("责任人")
        ),
        "due_on": due_on,
        "campaign": campaign,
    }


def _draft_list_for(problem_list: ProblemList, *, by: User, region_code: str) -> ProblemList:
    """The list locked for adding a problem: still a draft, within the user's scope, and the problem's
    place inside the list's region (what the issuer will assign)."""
    locked = ProblemList.objects.select_for_update().get(pk=problem_list.pk)
    if locked.state != ListState.DRAFT:
        raise RectificationRefused(_("该清单已交办，不能再添加问题"))
    if not code_visible_to(by, locked.region_code):
        raise PermissionDenied(_("您不能向该问题清单添加问题。"))
    if not region_code.startswith(prefix_of(locked.region_code)):
        raise RectificationRefused(_("问题所在区域不在该清单交办单位的辖区内"), field="region_code")
    return locked


def _snapshot(problem: Problem) -> dict[str, Any]:
    return events.snapshot(
        problem,
        (
            "source",
            "category",
            "region_code",
            "household",
            "member",
            "description",
            "measure",
            "lead_unit",
            "responsible_unit",
            "responsible_sector",
            "responsible_person",
            "due_on",
            "campaign",
            "problem_list",
            "fixed_on_the_spot",
            *PROBLEM_FIELDS,
        ),
    )


def create_list(
    *,
    by: User,
    title: str,
    source: str,
    issuing_office: str,
    document_number: str = "",
    campaign: Campaign | None = None,
    request: Any = None,
) -> ProblemList:
    """A new draft list in the issuer's region, to fill on screen or by a ledger import, then issue."""
    if not access.can_issue(by):
        raise PermissionDenied(_("您的角色不能交办问题清单。"))
    if source not in ProblemSource.values:
        raise RectificationRefused(_("问题来源不在代码表中"), field="source")
    with transaction.atomic():
        problem_list = ProblemList.objects.create(
            title=clean_text(title, limit=200, field="title", label=_("清单名称"), required=True),
            document_number=clean_text(
                document_number, limit=100, field="document_number", label=_("交办文号")
            ),
            source=source,
            issuing_office=clean_text(
                issuing_office, limit=MAX_UNIT, field="issuing_office", label=_("交办单位"), required=True
            ),
            region_code=str(by.region_id),
            campaign=campaign,
            created_by=by,
        )
        events.created(
            actor=by,
            obj=problem_list,
            after=events.snapshot(
                problem_list, ("title", "document_number", "source", "issuing_office", "campaign")
            ),
            request=request,
        )
    return problem_list


def issue_list(*, problem_list: ProblemList, by: User, on: dt.date, request: Any = None) -> int:
    """交办: every draft problem of the list is assigned on ``on`` and reaches its owners' inboxes; the start
    deadline of each comes from the policy of its place. Returns how many were assigned.

    Set-based: the start deadlines of all its villages from one policy read, one UPDATE per distinct start
    deadline, the events in one bulk insert. Side effects: the list
    issued, its problems assigned, an ``assigned`` event per problem, an audit event for the list.
    """
    if not access.can_issue(by) or not code_visible_to(by, problem_list.region_code):
        raise PermissionDenied(_("您不能交办该问题清单。"))
    check_day(on, region=problem_list.region_code)
    with transaction.atomic():
        locked = ProblemList.objects.select_for_update().get(pk=problem_list.pk)
        if locked.state != ListState.DRAFT:
            raise RectificationRefused(_("该清单已于 %(day)s 交办") % {"day": locked.issued_on})
        drafts = Problem.objects.filter(problem_list=locked, state=ProblemState.DRAFT)
        if not drafts.exists():
            raise RectificationRefused(_("清单中还没有问题，不能交办"))
        if drafts.filter(found_on__gt=on).exists():
            raise RectificationRefused(_("交办日期不能早于清单中问题的发现日期"), field="on")
        by_start: dict[dt.date, list[int]] = defaultdict(list)
        codes = drafts.values_list("region_code", flat=True).distinct()
        try:
            start_for = {
                code: deadline.date
                for code, deadline in deadlines.due_dates(
                    key="rectification.start_within", start=on, regions=codes
                ).items()
            }
        except PolicyError as exc:
            raise RectificationRefused(exc.message) from exc
        for pk, code in drafts.values_list("pk", "region_code"):
            by_start[start_for[code]].append(pk)
        assigned = 0
        for start, pks in by_start.items():
            assigned += Problem.objects.filter(pk__in=pks).update(
                state=ProblemState.ASSIGNED, assigned_on=on, start_due_on=start, colour_since=on
            )
        ProblemEvent.objects.bulk_create(
            ProblemEvent(
                problem_id=pk,
                region_code=code,
                kind=EventKind.ASSIGNED,
                on=on,
                by=by,
                reference=locked.document_number,
            )
            for pk, code in Problem.objects.filter(
                problem_list=locked, assigned_on=on, state=ProblemState.ASSIGNED
            ).values_list("pk", "region_code")
        )
        before = events.snapshot(locked, ("state", "issued_on"))
        locked.state, locked.issued_on, locked.issued_by = ListState.ISSUED, on, by
        locked.save(update_fields=["state", "issued_on", "issued_by"])
        events.updated(
            actor=by,
            obj=locked,
            before=before,
            after={**events.snapshot(locked, ("state", "issued_on")), "problems": assigned},
            request=request,
        )
    problem_list.state, problem_list.issued_on = locked.state, locked.issued_on
    return assigned


# --- working on a problem ------------------------------------------------------------------------------


def _step(
    problem: Problem,
    *,
    name: str,
    by: User,
    on: dt.date,
    kind: str,
    note: str = "",
    evidence: Iterable[tuple[UploadedFile, str]] = (),
    allowed: bool,
    apply: Any = None,
    request: Any = None,
) -> Problem:
    """Run transition ``name`` on the locked problem: scope, role, state, dates; the event, audit, colour."""
    if not allowed:
        raise PermissionDenied(_("您不能办理该问题的此项操作。"))
    with transaction.atomic():
        try:
            locked = Problem.objects.visible_to(by).select_for_update(of=("self",)).get(pk=problem.pk)
        except Problem.DoesNotExist as exc:
            raise PermissionDenied(_("该问题不在您的管辖范围内。")) from exc
        method = getattr(locked, name)
        if not can_proceed(method):
            raise RectificationRefused(
                _("该问题当前为“%(state)s”，不能办理此操作") % {"state": locked.get_state_display()}
            )
        last = (
            locked.events.exclude(kind=EventKind.COLOUR_CHANGED)
            .order_by("-on")
            .values_list("on", flat=True)
            .first()
        )
        check_day(on, not_before=max(filter(None, (locked.assigned_on, last))), region=locked.region_code)
        before = events.snapshot(locked, PROBLEM_FIELDS)
        method()
        if apply is not None:
            apply(locked)
        locked.save()
        _record(locked, kind=kind, on=on, by=by, note=note, evidence=evidence)
        recolour_one(locked, on=_today())
        events.updated(
            actor=by,
            obj=locked,
            before=before,
            after=events.snapshot(locked, PROBLEM_FIELDS),
            request=request,
        )
    return locked


def _today() -> dt.date:
    return timezone.localdate()


def note_progress(
    *,
    problem: Problem,
    by: User,
    on: dt.date,
    note: str,
    evidence: Sequence[UploadedFile] = (),
    request: Any = None,
) -> Problem:
    """整改进展: what was done, with photos or files. The first note starts the work (no longer red for not
    starting)."""
    text = clean_text(note, limit=MAX_TEXT, field="note", label=_("整改进展"), required=True)
    checked = clean_evidence(evidence, required=False)

    def apply(locked: Problem) -> None:
        if locked.started_on is None:
            locked.started_on = on

    return _step(
        problem,
        name="note_progress",
        by=by,
        on=on,
        kind=EventKind.PROGRESS,
        note=text,
        evidence=checked,
        allowed=access.can_work(by),
        apply=apply,
        request=request,
    )


def request_closure(
    *,
    problem: Problem,
    by: User,
    on: dt.date,
    note: str,
    evidence: Sequence[UploadedFile],
    request: Any = None,
) -> Problem:
    """申请销号 with the evidence of the fix. The verifier is the level above the problem's place, or the
    county when the problem is late on the day the request is entered (``_late``) and the policy sends red
    items to the county."""
    text = clean_text(note, limit=MAX_TEXT, field="note", label=_("整改情况"), required=True)
    checked = clean_evidence(evidence, required=True)

    def apply(locked: Problem) -> None:
        level = access.verifier_level_above(locked.region_code)
        if level == "town" and _late(locked) and _county_verifies_red(locked.region_code, on):
            level = "county"
        locked.verifier_level = level
        locked.closure_requested_on = on
        if locked.started_on is None:
            locked.started_on = on

    return _step(
        problem,
        name="request_closure",
        by=by,
        on=on,
        kind=EventKind.CLOSURE_REQUESTED,
        note=text,
        evidence=checked,
        allowed=access.can_work(by),
        apply=apply,
        request=request,
    )


def _check_verifier(problem: Problem, by: User, message: str) -> None:
    """The verifier's level, and not the person who asked for the closure (no one verifies their own)."""
    if not access.can_verify_level(by, problem.verifier_level):
        raise PermissionDenied(message % {"level": problem.get_verifier_level_display()})
    requester = (
        problem.events.filter(kind=EventKind.CLOSURE_REQUESTED)
        .order_by("-on", "-pk")
        .values_list("by", flat=True)
        .first()
    )
    if requester == by.pk:
        raise PermissionDenied(_("申请销号的人不能验收自己的申请，请由上级其他人员验收。"))


def _late(problem: Problem) -> bool:
    """Red on the day the request is entered for a reason the request does not cure: overdue, or red and
    never rejected (not started in time). Red only for a rejection is cured by asking again."""
    today = _today()
    if problem.due_on < today:
        return True
    return problem.rejection_count == 0 and problem.colour_as_of(on=today) == Colour.RED


def close_problem(*, problem: Problem, by: User, on: dt.date, note: str = "", request: Any = None) -> Problem:
    """销号: the verifier confirms the fix (复核验收)."""
    text = clean_text(note, limit=MAX_TEXT, field="note", label=_("验收意见"))

    def apply(locked: Problem) -> None:
        _check_verifier(locked, by, _("该问题须由%(level)s验收销号。"))
        locked.closed_on = on
        locked.closed_by = by

    return _step(
        problem,
        name="close",
        by=by,
        on=on,
        kind=EventKind.CLOSED,
        note=text,
        allowed=access.can_verify(by),
        apply=apply,
        request=request,
    )


def reject_closure(*, problem: Problem, by: User, on: dt.date, reason: str, request: Any = None) -> Problem:
    """验收不通过: back to the owners with the reason; red until they ask again."""
    text = clean_text(reason, limit=MAX_TEXT, field="reason", label=_("退回理由"), required=True)

    def apply(locked: Problem) -> None:
        _check_verifier(locked, by, _("该问题须由%(level)s验收。"))
        locked.rejection_count += 1

    return _step(
        problem,
        name="reject_closure",
        by=by,
        on=on,
        kind=EventKind.CLOSURE_REJECTED,
        note=text,
        allowed=access.can_verify(by),
        apply=apply,
        request=request,
    )


# --- colours over time --------------------------------------------------------------------------------------


def recolour(*, on: dt.date) -> int:
    """Record every problem's colour as of ``on`` where it changed (the daily 变色 job): set-based — one
    query finds the changed problems with their new colour, one bulk insert records the events, one UPDATE
    per colour stores it. Returns how many changed. Idempotent for a day.

    No audit event: a colour is derived from dated facts that were each audited when they were recorded,
    and the 变色 events themselves are the record.
    """
    changed = list(
        Problem.objects.issued()
        .filter(assigned_on__lte=on)
        .exclude(state=ProblemState.CLOSED, colour=Colour.GREEN)
        .annotate(now=colour_expression(on))
        .exclude(colour=F("now"))
        .values_list("pk", "region_code", "colour", "now")
    )
    if not changed:
        return 0
    with transaction.atomic():
        ProblemEvent.objects.bulk_create(
            [
                ProblemEvent(
                    problem_id=pk,
                    region_code=code,
                    kind=EventKind.COLOUR_CHANGED,
                    on=on,
                    colour_from=old,
                    colour_to=new,
                )
                for pk, code, old, new in changed
            ],
            batch_size=2000,
        )
        by_colour: dict[str, list[int]] = defaultdict(list)
        for pk, _code, _old, new in changed:
            by_colour[new].append(pk)
        for colour, pks in by_colour.items():
            for start in range(0, len(pks), 5000):
                Problem.objects.filter(pk__in=pks[start : start + 5000]).update(
                    colour=colour, colour_since=on
                )
    return len(changed)


def colour_counts(queryset: Any, *, on: dt.date) -> dict[str, int]:
    """Counts by colour as of ``on`` of the problems in ``queryset`` that existed then (closed ones green)."""
    counts = dict.fromkeys(Colour.values, 0)
    rows = (
        queryset.issued()
        .as_of(on)
        .annotate(c=colour_expression(on))
        .values("c")
        .order_by()
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[row["c"]] = row["n"]
    return counts

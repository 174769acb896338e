"""Supervision and escalation (督办 → 通报 → 约谈 → 移交纪检, RULES §10.5).

Overdue problems are gathered into draft supervision orders (督办单) by the daily job, one per responsible
unit, county and sector; a supervisor issues a draft (it gets its number and a reply deadline, and its Word
document is frozen), the unit answers it. Units that keep being late are proposed by the ladder for a
circular (通报), then an interview (约谈), then a referral to the discipline organs (移交纪检监察); each step
taken is an ``Escalation`` record. Every step appears on the timeline of each problem it names.

Every write here is one transaction that re-checks role and scope and writes an audit event.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu import policy
from bangfu.accounts.models import Role
from bangfu.audit import events
from bangfu.policy import deadlines
from bangfu.policy.exceptions import PolicyError
from bangfu.rectification import access
from bangfu.rectification.boards import _names_by_household, public_text
from bangfu.rectification.exceptions import RectificationRefused
from bangfu.rectification.models import (
    MAX_TEXT,
    Escalation,
    EscalationKind,
    EventKind,
    OrderState,
    Problem,
    ProblemEvent,
    ProblemState,
    SupervisionOrder,
)
from bangfu.rectification.services import check_day, clean_text
from bangfu.regions.codes import Level, is_valid_code, level_of, parent_code, prefix_bounds, prefix_of
from bangfu.regions.models import Region
from bangfu.regions.scoping import code_visible_to

if TYPE_CHECKING:
    from bangfu.accounts.models import User

TEMPLATE: Final = Path(__file__).resolve().parent / "templates" / "rectification" / "supervision_order.docx"
DOCX_TYPE: Final = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
COUNTY_DIGITS: Final = 6
# Interviews and referrals weigh the circulars and interviews of the last year (policy catalogue).
LOOKBACK: Final = dt.timedelta(days=365)
# What a kind of escalation is called in its record number, and the event it writes on the timeline.
NUMBER_WORD: Final = {
    EscalationKind.CIRCULAR: "通报",
    EscalationKind.INTERVIEW: "约谈",
    EscalationKind.DISCIPLINE_REFERRAL: "移交",
}
EVENT_OF: Final = {
    EscalationKind.CIRCULAR: EventKind.CIRCULAR,
    EscalationKind.INTERVIEW: EventKind.INTERVIEW,
    EscalationKind.DISCIPLINE_REFERRAL: EventKind.DISCIPLINE_REFERRAL,
}
ORDER_FIELDS: Final = (
    "number",
    "region_code",
    "issuing_office",
    "recipient_unit",
    "recipient_region_code",
    "recipient_sector",
    "reply_due_on",
    "state",
    "drafted_on",
    "issued_on",
    "replied_on",
    "reply",
    "follow_up_on",
    "document",
)
_SEQUENCE = re.compile(r"〔(\d{4})〕(\d+)号$")

# A unit as the ladder knows it: its name, its county's prefix and its sector ("" for a local unit).
UnitKey = tuple[str, str, str]


# --- small helpers ----------------------------------------------------------------------------------------


def common_region(codes: Iterable[str]) -> str:
    """The smallest region holding every code (their common ancestor): two villages of a town -> the town."""
    codes = list(codes)
    if not codes:
        raise ValueError("common_region needs at least one code")
    candidate: str | None = codes[0]
    while candidate is not None:
        prefix = prefix_of(candidate)
        if all(code.startswith(prefix) for code in codes):
            return candidate
        candidate = parent_code(candidate)
    raise ValueError(f"no common region of {codes!r}")


def region_names(codes: Iterable[str]) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "name"))


def county_office(county_code: str, names: dict[str, str] | None = None) -> str:
    """The issuing office of a county's orders: its working group (县区工作专班)."""
    name = (names or region_names([county_code])).get(county_code, county_code)
    return _("%(county)s防止返贫监测帮扶工作专班") % {"county": name}


def overdue_problems(on: dt.date) -> QuerySet[Problem]:
    """Issued, still open, past their deadline on ``on``."""
    return Problem.objects.issued().open().filter(due_on__lt=on)


def _overdue_days(due_on: dt.date, on: dt.date) -> int:
    return max((on - due_on).days, 0)


def _lock_region(code: str) -> None:
    """Serialise numbering within one region: lock its row (SQLite serialises writers by itself)."""
    list(Region.objects.select_for_update().filter(code=code).values_list("code", flat=True))


def _next_number(*, word: str, region_code: str, year: int, taken: Iterable[str]) -> str:
    """``<region name><word>〔year〕N号``, N one more than the highest of the region's numbers that year.

    The region's name comes first because numbers are unique over the whole deployment (two counties both
    have a 1号). A name shared by two regions (鼓楼区) could still collide: then the next free N is taken.
    """
    name = region_names([region_code]).get(region_code, region_code)
    highest = 0
    for number in taken:
        match = _SEQUENCE.search(number)
        if match and int(match.group(1)) == year:
            highest = max(highest, int(match.group(2)))
    return f"{name}{word}〔{year}〕{highest + 1}号"


def _policy_refused(exc: PolicyError) -> RectificationRefused:
    return RectificationRefused(exc.message)


# --- drafting -------------------------------------------------------------------------------------------


def draft_orders(*, on: dt.date) -> int:
    """Draft a supervision order for each (responsible unit, county, responsible sector) with problems
    overdue on ``on`` that are in no draft and no issued-but-unanswered order. Returns how many drafts.

    A replied order answers for its problems until its ``follow_up_on``; a problem still overdue that day is
    drafted again (the unit is checked again), not every day after the reply.

    Set-based: one read of the overdue problems, one insert of the orders, one of their problem links, one
    audit append. Idempotent: a second run the same day finds every overdue problem already in a draft.
    The issuing office is the county's working group; the recipient's region is the smallest region
    holding all the order's problems. Side effects: the draft orders and an audit event for each (by the
    system). No timeline event: a draft is not yet an act towards the unit; issuing it is.
    """
    with transaction.atomic():
        pending = SupervisionOrder.objects.filter(
            Q(state__in=(OrderState.DRAFT, OrderState.ISSUED))
            | Q(state=OrderState.REPLIED, follow_up_on__gt=on),
            problems=OuterRef("pk"),
        )
        rows = (
            overdue_problems(on)
            .exclude(Exists(pending))
            .order_by("responsible_unit", "region_code", "pk")
            .values_list("pk", "region_code", "responsible_unit", "responsible_sector")
        )
        groups: dict[UnitKey, list[tuple[int, str]]] = defaultdict(list)
        for pk, code, unit, sector in rows:
            groups[(unit, code[:COUNTY_DIGITS], sector)].append((pk, code))
        if not groups:
            return 0
        counties = {county.ljust(12, "0") for _unit, county, _sector in groups}
        names = region_names(counties)
        orders = SupervisionOrder.objects.bulk_create(
            SupervisionOrder(
                region_code=county.ljust(12, "0"),
                issuing_office=county_office(county.ljust(12, "0"), names),
                recipient_unit=unit,
                recipient_region_code=common_region(code for _pk, code in problems),
                recipient_sector=sector,
                drafted_on=on,
            )
            for (unit, county, sector), problems in groups.items()
        )
        through = SupervisionOrder.problems.through
        through.objects.bulk_create(
            through(supervisionorder_id=order.pk, problem_id=pk)
            for order, problems in zip(orders, groups.values(), strict=True)
            for pk, _code in problems
        )
        events.created_many(
            actor=None,
            items=(
                (order, {**events.snapshot(order, ORDER_FIELDS), "problems": [pk for pk, _c in problems]})
                for order, problems in zip(orders, groups.values(), strict=True)
            ),
        )
    return len(orders)


# --- the document ---------------------------------------------------------------------------------------


def _date_text(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def order_context(order: SupervisionOrder, *, on: dt.date | None = None) -> dict[str, Any]:
    """What the Word template is filled with; overdue days as of the issue day (a draft: ``on``/today).

    Descriptions go through ``boards.public_text``: an order is an internal document, but it travels by fax
    and e-mail and must not carry an ID number or a phone number someone typed into a description, nor the
    names of the members of the household a problem is about (all households' names in one query).
    """
    as_of = order.issued_on or on or timezone.localdate()
    problems = list(order.problems.select_related("category").order_by("due_on", "pk"))
    names = region_names(p.region_code for p in problems)
    private = _names_by_household(p.household_id for p in problems if p.household_id)
    return {
        "number": order.number or _("（待签发）"),
        "issuing_office": order.issuing_office,
        "recipient_unit": order.recipient_unit,
        "as_of": _date_text(as_of),
        "problems": [
            {
                "code": p.code,
                "category": p.category.name,
                "region": names.get(p.region_code, p.region_code),
                "description": public_text(p.description, private.get(p.household_id, ())),
                "due_on": p.due_on.isoformat(),
                "overdue_days": _overdue_days(p.due_on, as_of) if p.closed_on is None else 0,
            }
            for p in problems
        ],
        "reply_due": _date_text(order.reply_due_on) or _("签发时确定"),
        "reply_due_short": (
            f"{order.reply_due_on.month}月{order.reply_due_on.day}日" if order.reply_due_on else _("规定期限")
        ),
        "reply_required": order.reply_required,
        "issued_date": _date_text(order.issued_on) or _("（待签发）"),
    }


def render_order(order: SupervisionOrder, *, on: dt.date | None = None) -> bytes:
    """The order as a .docx (docxtpl over ``supervision_order.docx``; values XML-escaped)."""
    from docxtpl import DocxTemplate

    template = DocxTemplate(str(TEMPLATE))
    template.render(order_context(order, on=on), autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def document_name(order: SupervisionOrder) -> str:
    """The download's file name: the number, or 督办单（待签发）for a draft."""
    return f"{order.number or _('督办单（待签发）')}.docx"


# --- issuing and answering --------------------------------------------------------------------------------


def _timeline(
    problem_ids: Sequence[int], *, kind: str, on: dt.date, by: User, note: str, reference: str
) -> None:
    """One timeline event per problem, in one insert."""
    ProblemEvent.objects.bulk_create(
        ProblemEvent(
            problem_id=pk,
            region_code=code,
            kind=kind,
            on=on,
            by=by,
            note=note[:MAX_TEXT],
            reference=reference,
        )
        for pk, code in Problem.objects.filter(pk__in=problem_ids).values_list("pk", "region_code")
    )


def issue_order(
    *,
    order: SupervisionOrder,
    by: User,
    on: dt.date,
    number: str | None = None,
    reply_due_on: dt.date | None = None,
    request: Any = None,
) -> SupervisionOrder:
    """签发: a supervisor whose scope holds the recipient issues a draft on ``on``.

    The number is ``<issuing region>督办〔YYYY〕N号``, N the next in the issuing region and year (the region's
    row is locked while it is chosen), unless one is given; the reply deadline comes from the policy
    ``deadline.supervision_reply`` of the recipient's region unless given. Raises ``PermissionDenied``
    (role or scope) and ``RectificationRefused``. Side effects: the order issued, its .docx rendered and
    stored (encrypted), a ``supervision_order`` event on each of its problems, an audit event.
    """
    if not access.can_supervise(by) or not code_visible_to(by, order.recipient_region_code):
        raise PermissionDenied(_("您不能签发该督办单。"))
    check_day(on)
    given = clean_text(number, limit=60, field="number", label=_("督办单编号"))
    with transaction.atomic():
        _lock_region(order.region_code)
        locked = SupervisionOrder.objects.select_for_update().get(pk=order.pk)
        if locked.state != OrderState.DRAFT:
            raise RectificationRefused(_("该督办单已于 %(day)s 签发") % {"day": locked.issued_on})
        if on < locked.drafted_on:
            raise RectificationRefused(_("签发日期不能早于拟稿日期"), field="on")
        problem_ids = list(locked.problems.values_list("pk", flat=True))
        if not Problem.objects.filter(pk__in=problem_ids).exclude(state=ProblemState.CLOSED).exists():
            raise RectificationRefused(_("督办单中的问题均已销号，无需签发"))
        if given:
            if SupervisionOrder.objects.filter(number=given).exists():
                raise RectificationRefused(_("督办单编号“%(n)s”已被使用") % {"n": given}, field="number")
        else:
            taken = SupervisionOrder.objects.filter(region_code=locked.region_code, issued_on__year=on.year)
            given = _next_number(
                word="督办",
                region_code=locked.region_code,
                year=on.year,
                taken=taken.values_list("number", flat=True),
            )
            while SupervisionOrder.objects.filter(number=given).exists():
                given = _next_number(word="督办", region_code=locked.region_code, year=on.year, taken=[given])
        if reply_due_on is None:
            try:
                reply_due_on = deadlines.due_date(
                    key="deadline.supervision_reply", start=on, region=locked.recipient_region_code
                ).date
            except PolicyError as exc:
                raise _policy_refused(exc) from exc
        elif reply_due_on < on:
            raise RectificationRefused(_("回复期限不能早于签发日期"), field="reply_due_on")
        before = events.snapshot(locked, ORDER_FIELDS)
        locked.number, locked.reply_due_on = given, reply_due_on
        locked.state, locked.issued_on, locked.issued_by = OrderState.ISSUED, on, by
        locked.document.save(f"order-{locked.pk}.docx", ContentFile(render_order(locked)), save=False)
        locked.save()
        _timeline(
            problem_ids,
            kind=EventKind.SUPERVISION_ORDER,
            on=on,
            by=by,
            note=_("回复期限 %(day)s") % {"day": reply_due_on.isoformat()},
            reference=given,
        )
        events.updated(
            actor=by, obj=locked, before=before, after=events.snapshot(locked, ORDER_FIELDS), request=request
        )
    return locked


def can_answer(user: Any, order: SupervisionOrder) -> bool:
    """Whether ``user`` answers ``order`` for the supervised unit, never the user who issued it:

    * a sector department of the order's sector whose scope holds the recipient region;
    * another replying role whose scope holds the recipient region and whose own region lies below the
      issuing region (a county's order about a village is answered by the town or the village) or is the
      recipient region itself (an order to a county-level unit, answered by a colleague of the issuer).

    So the office that issued an order about a lower level cannot answer it and take a late order off the
    ladder. No query."""
    if not access.can_reply(user) or not code_visible_to(user, order.recipient_region_code):
        return False
    if order.issued_by_id is not None and order.issued_by_id == user.pk:
        return False
    if user.role == Role.DEPARTMENT:
        return bool(order.recipient_sector) and user.sector == order.recipient_sector
    own = str(user.region_id)
    return own == order.recipient_region_code or len(prefix_of(own)) > len(prefix_of(order.region_code))


def discard_order(*, order: SupervisionOrder, by: User, on: dt.date, request: Any = None) -> None:
    """作废 a draft (a supervisor whose scope holds the recipient): e.g. one whose problems were all closed
    before it was issued, which can no longer be issued. A draft was never sent, so it is deleted; the
    audit trail keeps its last values (problems included) with the day ``on``. No timeline event (the
    draft never was one). Raises ``PermissionDenied`` and ``RectificationRefused`` (not a draft).
    """
    if not access.can_supervise(by) or not code_visible_to(by, order.recipient_region_code):
        raise PermissionDenied(_("您不能作废该督办单。"))
    check_day(on)
    with transaction.atomic():
        locked = SupervisionOrder.objects.select_for_update().get(pk=order.pk)
        if locked.state != OrderState.DRAFT:
            raise RectificationRefused(_("只能作废待签发的督办单，该督办单已签发"))
        if on < locked.drafted_on:
            raise RectificationRefused(_("作废日期不能早于拟稿日期"), field="on")
        before = {
            "id": locked.pk,
            **events.snapshot(locked, (*ORDER_FIELDS, "problems")),
            "discarded_on": on.isoformat(),
        }
        events.deleted(actor=by, obj=locked, before=before, request=request)
        locked.delete()


def reply_order(
    *, order: SupervisionOrder, by: User, on: dt.date, reply: str, request: Any = None
) -> SupervisionOrder:
    """督办回复: the recipient answers an issued order in writing — a replying role of the recipient region
    itself (``can_answer``: not a level above it, not the issuer; a sector department only in the order's
    sector).

    Raises ``PermissionDenied`` and ``RectificationRefused``. Side effects: the order replied, a
    ``supervision_reply`` event on each of its problems, an audit event.
    """
    if not access.can_reply(by):
        raise PermissionDenied(_("您的角色不能回复督办单。"))
    text = clean_text(reply, limit=MAX_TEXT, field="reply", label=_("回复内容"), required=True)
    check_day(on)
    with transaction.atomic():
        try:
            locked = SupervisionOrder.objects.visible_to(by).select_for_update().get(pk=order.pk)
        except SupervisionOrder.DoesNotExist as exc:
            raise PermissionDenied(_("该督办单不在您的管辖范围内。")) from exc
        if not can_answer(by, locked):
            raise PermissionDenied(
                _("督办单须由被督办单位回复，签发人和签发单位所在层级及以上不能代为回复。")
            )
        if locked.state != OrderState.ISSUED:
            raise RectificationRefused(
                _("该督办单当前为“%(state)s”，不能回复") % {"state": locked.get_state_display()}
            )
        if locked.issued_on and on < locked.issued_on:
            raise RectificationRefused(_("回复日期不能早于签发日期"), field="on")
        before = events.snapshot(locked, ORDER_FIELDS)
        locked.state, locked.replied_on, locked.reply = OrderState.REPLIED, on, text
        locked.follow_up_on = follow_up_day(locked)
        locked.save(update_fields=["state", "replied_on", "reply", "follow_up_on"])
        _timeline(
            list(locked.problems.values_list("pk", flat=True)),
            kind=EventKind.SUPERVISION_REPLY,
            on=on,
            by=by,
            note=text,
            reference=locked.number,
        )
        events.updated(
            actor=by, obj=locked, before=before, after=events.snapshot(locked, ORDER_FIELDS), request=request
        )
    return locked


def follow_up_day(order: SupervisionOrder) -> dt.date | None:
    """复查日期 of a replied order: the reply answers for its problems as long as the unit was given to reply
    (issue day to reply deadline, at least a day); a problem still overdue then is supervised again."""
    if order.replied_on is None:
        return None
    given = (
        order.reply_due_on - order.issued_on
        if order.reply_due_on is not None and order.issued_on is not None
        else dt.timedelta(0)
    )
    return order.replied_on + max(given, dt.timedelta(days=1))


# --- the ladder ------------------------------------------------------------------------------------------


@dataclass
class Candidate:
    """A unit the ladder proposes for a step: why (``count`` against ``threshold``) and its late problems."""

    kind: str
    unit: str
    unit_region_code: str
    unit_sector: str
    count: int
    threshold: int
    problem_ids: list[int] = field(default_factory=list)

    @property
    def key(self) -> UnitKey:
        return (self.unit, self.unit_region_code[:COUNTY_DIGITS], self.unit_sector)


def _thresholds(counties: Iterable[str], on: dt.date) -> dict[str, dict[str, Any]]:
    keys = (
        "rectification.circular_after_orders",
        "rectification.interview_after_circulars",
        "rectification.referral_after_interviews",
    )
    try:
        return {county: policy.values_for(keys, region=county, on=on) for county in set(counties)}
    except PolicyError as exc:
        raise _policy_refused(exc) from exc


def _same_unit(unit_field: str, region_field: str, sector_field: str) -> Q:
    """Escalations (annotated with their ``county``) of the outer row's unit: name, county, sector."""
    return Q(
        unit=OuterRef(unit_field),
        unit_sector=OuterRef(sector_field),
        county=Substr(OuterRef(region_field), 1, COUNTY_DIGITS),
    )


def _escalations(prefix: str, on: dt.date) -> QuerySet[Escalation]:
    lo, hi = prefix_bounds(prefix)
    return Escalation.objects.filter(unit_region_code__gte=lo, unit_region_code__lt=hi, on__lte=on).annotate(
        county=Substr("unit_region_code", 1, COUNTY_DIGITS)
    )


def escalation_candidates(*, region_prefix: str, on: dt.date) -> dict[str, list[Candidate]]:
    """The units the ladder proposes on ``on`` within ``region_prefix``, per kind (RULES §10.5):

    - circular: at least ``rectification.circular_after_orders`` issued orders past their reply deadline
      without a reply by then, or answered but with a problem of theirs still overdue on the order's
      follow-up day (``follow_up_day``) — counting only the orders that became late after the unit's last
      circular;
    - interview: at least ``rectification.interview_after_circulars`` circulars in the last 365 days since
      its last interview, with problems still overdue;
    - discipline referral: at least ``rectification.referral_after_interviews`` interviews in the last 365
      days since its last referral, with problems still overdue.

    A unit is (name, county, sector); thresholds come from the policy of its county. Set-based: one grouped
    query per step and one read of the overdue problems. Reads only.
    """
    lo, hi = prefix_bounds(region_prefix)
    overdue: dict[UnitKey, list[tuple[int, str]]] = defaultdict(list)
    for pk, code, unit, sector in (
        overdue_problems(on)
        .filter(region_code__gte=lo, region_code__lt=hi)
        .order_by("due_on", "pk")
        .values_list("pk", "region_code", "responsible_unit", "responsible_sector")
    ):
        overdue[(unit, code[:COUNTY_DIGITS], sector)].append((pk, code))

    still_overdue = overdue_problems(on).filter(supervision_orders=OuterRef("pk"))
    covered = (
        _escalations(region_prefix, on)
        .annotate(county=Substr("unit_region_code", 1, COUNTY_DIGITS))
        .filter(
            _same_unit("recipient_unit", "recipient_region_code", "recipient_sector"),
            kind=EscalationKind.CIRCULAR,
            on__gt=OuterRef("reply_due_on"),
        )
    )
    late_orders = (
        SupervisionOrder.objects.filter(
            recipient_region_code__gte=lo,
            recipient_region_code__lt=hi,
            issued_on__lte=on,
            reply_due_on__lt=on,
        )
        # Unanswered by ``on``, or answered while a problem is still overdue once the reply stopped answering
        # for it (its follow-up day): until then the unit is neither supervised again nor counted late.
        .filter(
            Q(replied_on__isnull=True)
            | Q(replied_on__gt=on)
            | (Q(follow_up_on__isnull=True) | Q(follow_up_on__lte=on)) & Exists(still_overdue)
        )
        .exclude(Exists(covered))
        .annotate(county=Substr("recipient_region_code", 1, COUNTY_DIGITS))
        .values("recipient_unit", "county", "recipient_sector")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counted: dict[str, dict[UnitKey, int]] = {
        EscalationKind.CIRCULAR: {
            (row["recipient_unit"], row["county"], row["recipient_sector"]): row["n"] for row in late_orders
        }
    }
    # The region named for a unit: where its late problems are, else where its late orders went.
    order_regions: dict[UnitKey, list[str]] = defaultdict(list)
    if counted[EscalationKind.CIRCULAR]:
        for unit, code, sector in (
            SupervisionOrder.objects.filter(
                recipient_region_code__gte=lo, recipient_region_code__lt=hi, issued_on__isnull=False
            )
            .values_list("recipient_unit", "recipient_region_code", "recipient_sector")
            .distinct()
        ):
            order_regions[(unit, code[:COUNTY_DIGITS], sector)].append(code)

    # A step taken is weighed by the next one until that next step is taken about the unit.
    for step, previous in (
        (EscalationKind.INTERVIEW, EscalationKind.CIRCULAR),
        (EscalationKind.DISCIPLINE_REFERRAL, EscalationKind.INTERVIEW),
    ):
        answered = (
            _escalations(region_prefix, on)
            .annotate(county=Substr("unit_region_code", 1, COUNTY_DIGITS))
            .filter(_same_unit("unit", "unit_region_code", "unit_sector"), kind=step, on__gte=OuterRef("on"))
        )
        rows = (
            _escalations(region_prefix, on)
            .annotate(county=Substr("unit_region_code", 1, COUNTY_DIGITS))
            .filter(kind=previous, on__gt=on - LOOKBACK)
            .exclude(Exists(answered))
            .values("unit", "county", "unit_sector")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counted[step] = {(row["unit"], row["county"], row["unit_sector"]): row["n"] for row in rows}

    threshold_key: dict[str, str] = {
        EscalationKind.CIRCULAR: "rectification.circular_after_orders",
        EscalationKind.INTERVIEW: "rectification.interview_after_circulars",
        EscalationKind.DISCIPLINE_REFERRAL: "rectification.referral_after_interviews",
    }
    counties = {key[1].ljust(12, "0") for counts in counted.values() for key in counts}
    thresholds = _thresholds(counties, on) if counties else {}
    result: dict[str, list[Candidate]] = {kind: [] for kind in EscalationKind.values}
    for name, counts in counted.items():
        for key, n in sorted(counts.items()):
            threshold = int(thresholds[key[1].ljust(12, "0")][threshold_key[name]])
            problems = overdue.get(key, [])
            # Interviews and referrals are for units whose problems are still overdue.
            if n < threshold or (name != EscalationKind.CIRCULAR and not problems):
                continue
            codes = [code for _pk, code in problems] or order_regions.get(key, []) or [key[1].ljust(12, "0")]
            result[name].append(
                Candidate(
                    kind=name,
                    unit=key[0],
                    unit_region_code=common_region(codes),
                    unit_sector=key[2],
                    count=n,
                    threshold=threshold,
                    problem_ids=[pk for pk, _code in problems],
                )
            )
    return result


def unit_overdue_problems(
    *, user: User, unit: str, unit_region_code: str, unit_sector: str, on: dt.date
) -> QuerySet[Problem]:
    """The problems of ``unit`` within ``unit_region_code`` overdue on ``on`` that ``user`` sees (the
    default content of a circular, an interview or a referral)."""
    lo, hi = prefix_bounds(prefix_of(unit_region_code))
    return (
        overdue_problems(on)
        .filter(region_code__gte=lo, region_code__lt=hi)
        .filter(pk__in=Problem.objects.visible_to(user).values("pk"))
        .filter(responsible_unit=unit, responsible_sector=unit_sector)
        .order_by("due_on", "pk")
    )


def _issuing_office(by: User) -> str:
    if by.unit:
        return by.unit
    name = region_names([str(by.region_id)]).get(str(by.region_id), str(by.region_id))
    return f"{name}{by.get_role_display()}"


def record_escalation(
    *,
    kind: str,
    by: User,
    on: dt.date,
    unit: str,
    unit_region_code: str,
    unit_sector: str = "",
    problems: Iterable[Problem],
    text: str,
    person: str = "",
    number: str = "",
    request: Any = None,
) -> Escalation:
    """通报 / 约谈 / 移交纪检: record a step of the ladder about ``unit`` and the problems it concerns.

    By a county or city office whose scope holds the unit's region; every problem must be one the user
    sees, issued, and within the unit's region. An interview names the official interviewed. Without a
    number the record gets ``<region>通报〔YYYY〕N号`` (约谈/移交) in the recorder's region. Raises
    ``PermissionDenied`` and ``RectificationRefused``. Side effects: the record, a ``circular`` /
    ``interview`` / ``discipline_referral`` event on each problem (with the record's number), an audit event.
    """
    from bangfu.accounts.models import Sector

    if not access.can_escalate(by):
        raise PermissionDenied(_("您的角色不能作出通报、约谈或移交纪检。"))
    if not is_valid_code(unit_region_code) or level_of(unit_region_code) < Level.COUNTY:
        raise RectificationRefused(_("涉及单位所在区域须为县（区）、乡镇或村"), field="unit_region_code")
    if not code_visible_to(by, unit_region_code):
        raise PermissionDenied(_("该单位不在您的管辖范围内。"))
    if kind not in EscalationKind.values:
        raise RectificationRefused(_("类型不在代码表中"), field="kind")
    if unit_sector and unit_sector not in Sector.values:
        raise RectificationRefused(_("行业部门不在代码表中"), field="unit_sector")
    check_day(on)
    fields = {
        "unit": clean_text(unit, limit=100, field="unit", label=_("涉及单位"), required=True),
        "text": clean_text(text, limit=MAX_TEXT, field="text", label=_("内容"), required=True),
        "person": clean_text(
            person,
            limit=50,
            field="person",
            label=_("约谈对象"),
            required=kind == EscalationKind.INTERVIEW,
        ),
    }
    given = clean_text(number, limit=60, field="number", label=_("文号"))
    ids = sorted({p.pk for p in problems})
    if not ids:
        raise RectificationRefused(_("请选择涉及的问题"), field="problems")
    lo, hi = prefix_bounds(prefix_of(unit_region_code))
    found = dict(
        Problem.objects.visible_to(by)
        .issued()
        .filter(pk__in=ids, region_code__gte=lo, region_code__lt=hi)
        .values_list("pk", "assigned_on")
    )
    if missing := [pk for pk in ids if pk not in found]:
        raise RectificationRefused(
            _("问题%(codes)s不在该单位所在区域内或不在您的管辖范围内")
            % {"codes": "、".join(f"ZG{pk:07d}" for pk in missing)},
            field="problems",
        )
    # A step about problems cannot precede their assignment (nor, by ``check_day``, be after today).
    latest = max((day for day in found.values() if day is not None), default=None)
    if latest is not None and on < latest:
        raise RectificationRefused(
            _("日期不能早于所涉问题的交办日期 %(day)s") % {"day": latest.isoformat()}, field="on"
        )
    region_code = str(by.region_id)
    with transaction.atomic():
        if not given:
            _lock_region(region_code)
            word = NUMBER_WORD[EscalationKind(kind)]
            taken = Escalation.objects.filter(region_code=region_code, kind=kind, on__year=on.year)
            given = _next_number(
                word=word, region_code=region_code, year=on.year, taken=taken.values_list("number", flat=True)
            )
        record = Escalation.objects.create(
            kind=kind,
            number=given,
            region_code=region_code,
            issuing_office=_issuing_office(by),
            unit_region_code=unit_region_code,
            unit_sector=unit_sector,
            on=on,
            by=by,
            **fields,
        )
        record.problems.set(ids)
        label = EscalationKind(kind).label
        _timeline(
            ids,
            kind=EVENT_OF[EscalationKind(kind)],
            on=on,
            by=by,
            note=f"{label}：{fields['unit']}" + (f"（{fields['person']}）" if fields["person"] else ""),
            reference=given,
        )
        events.created(
            actor=by,
            obj=record,
            after=events.snapshot(
                record,
                (
                    "kind",
                    "number",
                    "region_code",
                    "issuing_office",
                    "unit",
                    "unit_region_code",
                    "unit_sector",
                    "person",
                    "on",
                    "text",
                    "problems",
                ),
            ),
            request=request,
        )
    return record

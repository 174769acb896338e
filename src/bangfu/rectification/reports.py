"""清零周报: the weekly clearance report, an immutable snapshot per ISO week, region and responsible
department.

``make_weekly_reports`` (run every Monday by ``jobs.weekly_reports``, and by ``bangfu weekly-report``) makes
the
snapshots of one ISO week for every region at city, county, town and village level that had issued problems
by the week's Sunday, and per responsible sector (``Problem.responsible_sector``) at city and county level.
A snapshot that exists is left as it is; a correction (a reason, by a user who may correct reports) writes
the next version beside the old one (DESIGN.md §4.7: published things are immutable).

Everything is computed from dated facts up to the week's Sunday (``assigned_on``, ``closed_on``,
``due_on``, the colour as of Sunday from ``colour_expression``), so a snapshot made late — on Wednesday for
last week — holds the same figures as one made on Monday. The work is set-based: a handful of grouped queries
over every place at once (grouped by the place's full code, i.e. ``Substr(region_code, 1, 12)``), rolled up
in memory to the code prefix of each level (city 4, county 6, town 9, village 12 digits), then one bulk
insert. No query runs per region.

``WeeklyReport.figures`` (schema 1)::

    {
      "schema": 1,
      "week": "2026-W47", "week_start": "2026-11-16", "week_end": "2026-11-22",
      "region_code": "610902000000", "region_name": "汉滨区", "level": 3, "sector": "" | "housing" …,
      "assigned": 120,                 # issued problems assigned up to Sunday
      "new": 8,                        # assigned during the week
      "closed": 5,                     # closed (销号) during the week
      "open": {"red": 3, "yellow": 40, "total": 43},   # not closed by Sunday, by colour as of Sunday
      "green": 77,                     # closed up to Sunday
      "overdue": 2,                    # open on Sunday with the deadline before Sunday
      "overdue_list": [                # the most overdue first, at most 200 rows, no personal data
        {"code": "ZG0000042", "category": "住房", "region_code": "610902001001", "region_name": "东关村",
         "responsible_unit": "老城街道办事处", "due_on": "2026-11-10", "days_overdue": 12,
         "description": "…"}          # ID-number-like and phone-like digits and the names of the linked
      ],                               # household's members masked (boards.public_text), ≤ 100 chars
      "overdue_list_truncated": false,
      "clearance_rate": "64.2",        # green ÷ assigned in %, one decimal (null when nothing was assigned)
      "change": {                      # against the previous week (its stored snapshot, else computed)
        "previous_week": "2026-W46", "source": "snapshot" | "computed",
        "new": 1, "closed": -2, "red": 0, "yellow": 3, "open": 3, "green": 5, "overdue": -1,
        "clearance_rate": "+1.5"      # percentage points (null when either week has none)
      },
      "escalations": {"supervision_orders": 1, "circulars": 0, "interviews": 0, "discipline_referrals": 0},
      "campaigns": [                   # each campaign with problems in the region by Sunday
        {"id": 3, "name": "2026年集中排查", "clearance_date": "2026-12-31", "total": 30, "closed": 22,
         "open": 8, "burndown": [{"week": "2026-W40", "week_end": "2026-10-04", "open": 30}, …]}
      ]
    }
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import xlsxwriter
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Max, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.core.bulkwrite import allocate_ids, chunks
from bangfu.core.setbased import no_jit
from bangfu.rectification import access
from bangfu.rectification.boards import _names_by_household, public_text
from bangfu.rectification.exceptions import RectificationRefused
from bangfu.rectification.models import (
    Colour,
    Escalation,
    EscalationKind,
    Problem,
    SupervisionOrder,
    WeeklyReport,
    colour_expression,
)
from bangfu.regions.codes import PREFIX_LENGTH, Level, full_code, is_scope_prefix, level_of
from bangfu.regions.models import Region
from bangfu.regions.scoping import code_visible_to, scope_q

if TYPE_CHECKING:
    from django.http import HttpRequest

    from bangfu.accounts.models import User

FIGURES_SCHEMA: Final = 1
OVERDUE_LIST_MAX: Final = 200
# Up to this many snapshots at once, each one's overdue rows are read by a query of its own (top 201).
FEW_KEYS: Final = 4
DESCRIPTION_MAX: Final = 100
# Up to this many regions, last week's snapshots are read by their codes; beyond (the whole job), by the
# ranges of their cities. Longer lists of ids (households, new snapshots) are read this many at a time, so
# that a statement stays within SQLite's parameters.
FEW_CODES: Final = 1000
IN_BATCH: Final = 5000
MAX_REASON: Final = 500
# The levels with a snapshot per region, and those that also get one per responsible sector.
REPORT_LEVELS: Final = (Level.CITY, Level.COUNTY, Level.TOWN, Level.VILLAGE)
SECTOR_LEVELS: Final = (Level.CITY, Level.COUNTY)
LEVEL_OF_PREFIX: Final = {PREFIX_LENGTH[level]: level for level in REPORT_LEVELS}
ESCALATION_KEYS: Final[dict[str, str]] = {
    EscalationKind.CIRCULAR: "circulars",
    EscalationKind.INTERVIEW: "interviews",
    EscalationKind.DISCIPLINE_REFERRAL: "discipline_referrals",
}
# A snapshot's key: the region's code prefix and the sector ("" for the whole region).
Key = tuple[str, str]


# --- weeks ------------------------------------------------------------------------------------------------


def week_label(day: dt.date) -> str:
    """The ISO week of ``day``: ``2026-W48``."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> dt.date:
    """The Monday of an ISO week written ``YYYY-Www``; ``ValueError`` otherwise."""
    text = text.strip().upper()
    if len(text) != 8 or text[4:6] != "-W" or not (text[:4].isdigit() and text[6:].isdigit()):
        raise ValueError(_("周次格式应为 YYYY-Www，如 2026-W48"))
    try:
        return dt.date.fromisocalendar(int(text[:4]), int(text[6:]), 1)
    except ValueError as exc:
        raise ValueError(_("没有这一周：%(week)s") % {"week": text}) from exc


def last_week_start(today: dt.date) -> dt.date:
    """The Monday of the last complete ISO week before ``today``."""
    return today - dt.timedelta(days=today.weekday() + 7)


def report_prefix(code: str) -> str:
    """A region's code prefix from a prefix or a full 12-digit code; ``ValueError`` if it is neither."""
    if len(code) == 12 and code.isdigit():
        code = code[: PREFIX_LENGTH[level_of(code)]]
    if not is_scope_prefix(code) or len(code) not in LEVEL_OF_PREFIX:
        raise ValueError(_("区划代码无效（须为市、县、乡镇或村）：%(code)s") % {"code": code})
    return code


def _prefixes(code: str) -> tuple[str, ...]:
    """The report regions a place counts in: its city, county, town and village, down to its own level."""
    try:
        level = level_of(code)
    except ValueError:
        return ()
    return tuple(code[: PREFIX_LENGTH[lv]] for lv in REPORT_LEVELS if lv <= level)


class _Keys:
    """The snapshot keys a place (and a sector) counts in, cached per (code, sector); ``wanted`` narrows them
    to the keys being made."""

    def __init__(self, wanted: set[Key] | None) -> None:
        self.wanted = wanted
        self._cache: dict[tuple[str, str], tuple[Key, ...]] = {}

    @property
    def place(self) -> Any:
        """What to group places by: the code prefix of the finest level wanted
        ``Substr(region_code, 1, n)``,
        so that a city's snapshot alone groups by city, and the whole job by village."""
        if self.wanted is None:
            return F("region_code")
        length = max(len(prefix) for prefix, _sector in self.wanted) if self.wanted else 12
        return F("region_code") if length == 12 else Substr("region_code", 1, length)

    def __call__(self, code: str, sector: str) -> tuple[Key, ...]:
        found = self._cache.get((code, sector))
        if found is None:
            # A prefix padded back to 12 digits is the place's ancestor at that level (or the place itself).
            prefixes = _prefixes(full_code(code))
            keys = [(prefix, "") for prefix in prefixes]
            if sector:
                keys += [(p, sector) for p in prefixes if LEVEL_OF_PREFIX[len(p)] in SECTOR_LEVELS]
            if self.wanted is not None:
                keys = [key for key in keys if key in self.wanted]
            found = self._cache[(code, sector)] = tuple(keys)
        return found


# --- the figures ------------------------------------------------------------------------------------------


@dataclass
class Counts:
    assigned: int = 0
    new: int = 0
    closed: int = 0
    red: int = 0
    yellow: int = 0
    green: int = 0
    overdue: int = 0

    @property
    def open(self) -> int:
        return self.red + self.yellow

    @property
    def clearance_rate(self) -> str | None:
        return clearance_rate(closed=self.green, assigned=self.assigned)


def clearance_rate(*, closed: int, assigned: int) -> str | None:
    """Closed ÷ assigned in per cent with one decimal (half up), as text; None when nothing was assigned."""
    if not assigned:
        return None
    rate = (Decimal(closed) * 100 / Decimal(assigned)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return str(rate)


def _problems(week_end: dt.date, scope: Q | None) -> Any:
    problems = Problem.objects.issued().as_of(week_end)
    return problems.filter(scope) if scope is not None else problems


def _open_overdue(week_end: dt.date) -> Q:
    """Not closed by Sunday, the deadline before Sunday (the same cut as red for overdue)."""
    return Q(due_on__lt=week_end) & (Q(closed_on__isnull=True) | Q(closed_on__gt=week_end))


def _counts(week_start: dt.date, week_end: dt.date, scope: Q | None, keys: _Keys) -> dict[Key, Counts]:
    """The counts of every key: one query grouped by place, sector and colour as of Sunday."""
    rows = (
        _problems(week_end, scope)
        .annotate(place=keys.place, colour_then=colour_expression(week_end))
        .values("place", "responsible_sector", "colour_then")
        .order_by()
        .annotate(
            n=Count("pk"),
            new=Count("pk", filter=Q(assigned_on__gte=week_start)),
            closed=Count("pk", filter=Q(closed_on__gte=week_start, closed_on__lte=week_end)),
            overdue=Count("pk", filter=_open_overdue(week_end)),
        )
        .values_list("place", "responsible_sector", "colour_then", "n", "new", "closed", "overdue")
    )
    # The colours of a place merged first, then each place rolled up to its regions (plain lists: this loop
    # sees every village × sector of a city).
    places: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 7)
    column = {Colour.RED: 3, Colour.YELLOW: 4, Colour.GREEN: 5}
    for code, sector, colour, n, new, closed, overdue in rows:
        found = places[(code, sector)]
        found[0] += n
        found[1] += new
        found[2] += closed
        found[column[colour]] += n
        found[6] += overdue
    totals: dict[Key, list[int]] = defaultdict(lambda: [0] * 7)
    for (code, sector), values in places.items():
        for key in keys(code, sector):
            total = totals[key]
            for i in range(7):
                total[i] += values[i]
    return {key: Counts(*values) for key, values in totals.items()}


def _overdue_lists(week_end: dt.date, scope: Q | None, keys: _Keys) -> dict[Key, list[tuple[Any, ...]]]:
    """Per key, the most overdue open problems as of Sunday (at most ``OVERDUE_LIST_MAX`` + 1): one query."""
    overdue = _problems(week_end, scope).filter(_open_overdue(week_end)).order_by("due_on", "pk")
    columns = (
        "pk",
        "category__name",
        "region_code",
        "responsible_unit",
        "responsible_sector",
        "due_on",
        "description",
        "household_id",
    )
    if keys.wanted is not None and len(keys.wanted) <= FEW_KEYS:
        # A few regions (the command's --region, a correction): the top rows of each, not every overdue row.
        few: dict[Key, list[tuple[Any, ...]]] = {}
        for prefix, sector in keys.wanted:
            rows = overdue.filter(scope_q("region_code", [prefix]))
            rows = rows.filter(responsible_sector=sector) if sector else rows
            few[(prefix, sector)] = list(rows.values_list(*columns)[: OVERDUE_LIST_MAX + 1])
        return few
    rows = overdue.values_list(*columns)
    lists: dict[Key, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows.iterator(chunk_size=5000):
        for key in keys(row[2], row[4]):
            found = lists[key]
            # One more than shown, to tell a full list from a truncated one.
            if len(found) <= OVERDUE_LIST_MAX:
                found.append(row)
    return lists


def _escalations(
    week_start: dt.date, week_end: dt.date, wanted: set[str] | None, keys: _Keys
) -> dict[Key, dict[str, int]]:
    """Per key, the supervision orders issued and the circulars, interviews and referrals of the week in the
    region (a sector's snapshot: those addressed to its sector): two grouped queries."""
    found: dict[Key, dict[str, int]] = defaultdict(
        lambda: {"supervision_orders": 0, "circulars": 0, "interviews": 0, "discipline_referrals": 0}
    )
    orders = SupervisionOrder.objects.filter(issued_on__gte=week_start, issued_on__lte=week_end)
    ladder = Escalation.objects.filter(on__gte=week_start, on__lte=week_end)
    if wanted is not None:
        orders = orders.filter(scope_q("recipient_region_code", sorted(wanted)))
        ladder = ladder.filter(scope_q("unit_region_code", sorted(wanted)))
    for code, sector, n in (
        orders.values("recipient_region_code", "recipient_sector")
        .order_by()
        .annotate(n=Count("pk"))
        .values_list("recipient_region_code", "recipient_sector", "n")
    ):
        for key in keys(code, sector):
            found[key]["supervision_orders"] += n
    for code, sector, kind, n in (
        ladder.values("unit_region_code", "unit_sector", "kind")
        .order_by()
        .annotate(n=Count("pk"))
        .values_list("unit_region_code", "unit_sector", "kind", "n")
    ):
        name = ESCALATION_KEYS.get(kind)
        if name is not None:
            for key in keys(code, sector):
                found[key][name] += n
    return found


def _campaigns(week_end: dt.date, scope: Q | None, keys: _Keys) -> dict[Key, list[dict[str, Any]]]:
    """Per key, each campaign with problems there by Sunday: totals and the weekly burn-down (open at the end
    of each week since the campaign started). Open at a week's end is assigned minus closed up to then, so
    two grouped queries (assignments and closures per place, campaign and day) give every series. Days are
    folded into weeks here: ``TruncWeek`` is a Python function per row on SQLite."""
    with_campaign = _problems(week_end, scope).filter(campaign__isnull=False)
    moves: dict[tuple[Key, int], dict[dt.date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    mondays: dict[dt.date, dt.date] = {}
    for index, (queryset, day_field) in enumerate(
        ((with_campaign, "assigned_on"), (with_campaign.filter(closed_on__lte=week_end), "closed_on"))
    ):
        rows = (
            queryset.annotate(place=keys.place)
            .values("place", "responsible_sector", "campaign_id", day_field)
            .order_by()
            .annotate(n=Count("pk"))
            .values_list("place", "responsible_sector", "campaign_id", day_field, "n")
        )
        for code, sector, campaign_id, day, n in rows:
            monday = mondays.get(day)
            if monday is None:
                monday = mondays[day] = day - dt.timedelta(days=day.weekday())
            for key in keys(code, sector):
                moves[(key, campaign_id)][monday][index] += n
    if not moves:
        return {}
    from bangfu.rectification.models import Campaign

    campaigns = {c.pk: c for c in Campaign.objects.filter(pk__in={cid for _key, cid in moves})}
    last_monday = week_end - dt.timedelta(days=6)
    labels: dict[dt.date, tuple[str, str]] = {}
    found: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for (key, campaign_id), by_week in moves.items():
        campaign = campaigns[campaign_id]
        monday = min(campaign.starts_on - dt.timedelta(days=campaign.starts_on.weekday()), last_monday)
        weeks = sorted(by_week)
        assigned = closed = i = 0
        series = []
        # Everything before the series' first week counts in its first point.
        while monday <= last_monday:
            while i < len(weeks) and weeks[i] <= monday:
                assigned += by_week[weeks[i]][0]
                closed += by_week[weeks[i]][1]
                i += 1
            label = labels.get(monday)
            if label is None:
                label = labels[monday] = (week_label(monday), (monday + dt.timedelta(days=6)).isoformat())
            series.append({"week": label[0], "week_end": label[1], "open": assigned - closed})
            monday += dt.timedelta(days=7)
        found[key].append(
            {
                "id": campaign.pk,
                "name": campaign.name,
                "clearance_date": campaign.clearance_date.isoformat(),
                "total": assigned,
                "closed": closed,
                "open": assigned - closed,
                "burndown": series,
            }
        )
    for items in found.values():
        items.sort(key=lambda item: (item["clearance_date"], item["id"]))
    return found


def _stored_previous(week: str, wanted: set[Key]) -> dict[Key, Counts]:
    """The counts of last week's stored snapshots (latest versions) of the wanted keys: only the rows of the
    wanted regions and sectors are read (per sector by the regions' codes; for very many regions, by the
    ranges of their cities)."""
    by_sector: dict[str, set[str]] = defaultdict(set)
    for prefix, sector in wanted:
        by_sector[sector].add(full_code(prefix))
    if not by_sector:
        return {}
    where = Q()
    for sector, codes in sorted(by_sector.items()):
        within = (
            Q(region_code__in=sorted(codes))
            if len(codes) <= FEW_CODES
            else scope_q("region_code", sorted({code[:4] for code in codes}))
        )
        where |= Q(sector=sector) & within
    rows = (
        WeeklyReport.objects.filter(where, week=week)
        .latest_versions()
        .annotate(
            f_assigned=KT("figures__assigned"),
            f_new=KT("figures__new"),
            f_closed=KT("figures__closed"),
            f_red=KT("figures__open__red"),
            f_yellow=KT("figures__open__yellow"),
            f_green=KT("figures__green"),
            f_overdue=KT("figures__overdue"),
        )
        .values_list(
            "region_code",
            "sector",
            "f_assigned",
            "f_new",
            "f_closed",
            "f_red",
            "f_yellow",
            "f_green",
            "f_overdue",
        )
    )
    found: dict[Key, Counts] = {}
    for code, sector, *numbers in rows:
        key = (code[: PREFIX_LENGTH[level_of(code)]], sector)
        if key in wanted:
            found[key] = Counts(*(int(n or 0) for n in numbers))
    return found


def _change(this: Counts, previous: Counts, *, week: str, source: str) -> dict[str, Any]:
    rate_now, rate_then = this.clearance_rate, previous.clearance_rate
    rate = None
    if rate_now is not None and rate_then is not None:
        rate = f"{Decimal(rate_now) - Decimal(rate_then):+.1f}"
    return {
        "previous_week": week,
        "source": source,
        "new": this.new - previous.new,
        "closed": this.closed - previous.closed,
        "red": this.red - previous.red,
        "yellow": this.yellow - previous.yellow,
        "open": this.open - previous.open,
        "green": this.green - previous.green,
        "overdue": this.overdue - previous.overdue,
        "clearance_rate": rate,
    }


def _names(codes: Iterable[str]) -> dict[str, str]:
    """Region names of ``codes``: one range query per city they lie in (a city's ~2,000 regions), not an IN
    list as long as the villages."""
    wanted = set(codes)
    cities = sorted({code[:4] for code in wanted})
    if not cities:
        return {}
    rows = Region.objects.filter(scope_q("code", cities)).values_list("code", "name")
    return {code: name for code, name in rows if code in wanted}


def _private_names(household_ids: set[int]) -> dict[int, tuple[str, ...]]:
    """The names of the members of these households (``boards._names_by_household``): one query, one per
    ``IN_BATCH`` households for the whole job."""
    found: dict[int, tuple[str, ...]] = {}
    for batch in chunks(sorted(household_ids), IN_BATCH):
        found.update(_names_by_household(batch))
    return found


def _overdue_row(
    row: tuple[Any, ...],
    week_end: dt.date,
    names: dict[str, str],
    private: dict[int, tuple[str, ...]],
) -> dict[str, Any]:
    pk, category, code, unit, _sector, due_on, description, household_id = row
    return {
        "code": f"ZG{pk:07d}",
        "category": category,
        "region_code": code,
        "region_name": names.get(code, code),
        "responsible_unit": unit,
        "due_on": due_on.isoformat(),
        "days_overdue": (week_end - due_on).days,
        "description": public_text(description, private.get(household_id, ()))[:DESCRIPTION_MAX],
    }


@dataclass(frozen=True)
class _Plan:
    """Which snapshots to write: the keys with their next version."""

    versions: dict[Key, int]
    scope: Q | None
    prefixes: set[str] | None


def _plan(
    *,
    week: str,
    week_end: dt.date,
    region_codes: list[str] | None,
    sector: str | None,
    correcting: bool,
    by: User | None,
) -> _Plan:
    prefixes = {report_prefix(code) for code in region_codes} if region_codes is not None else None
    scope = scope_q("region_code", sorted(prefixes)) if prefixes is not None else None
    if correcting and prefixes is not None and not all(code_visible_to(by, full_code(p)) for p in prefixes):
        raise PermissionDenied(_("所选区域不在您的管辖范围内。"))
    # The keys with issued problems by Sunday (one grouped query), and the regions asked for explicitly.
    keys = _Keys(None)
    present: set[Key] = set()
    for code, problem_sector in (
        _problems(week_end, scope).values_list("region_code", "responsible_sector").order_by().distinct()
    ):
        present.update(keys(code, problem_sector))
    if prefixes is not None:
        present = {key for key in present if key[0] in prefixes}
        present.update((prefix, "") for prefix in prefixes)
    if sector is not None:
        present = {key for key in present if key[1] == sector}
    if correcting:
        present = {key for key in present if code_visible_to(by, full_code(key[0]))}
    stored = {
        (row["region_code"][: PREFIX_LENGTH[level_of(row["region_code"])]], row["sector"]): row["v"]
        for row in WeeklyReport.objects.filter(week=week)
        .values("region_code", "sector")
        .order_by()
        .annotate(v=Max("version"))
    }
    if correcting:
        versions = {key: stored.get(key, 0) + 1 for key in present}
    else:
        versions = {key: 1 for key in present if key not in stored}
    return _Plan(versions=versions, scope=scope, prefixes=prefixes)


def compute_figures(
    *, week_start: dt.date, wanted: set[Key] | None = None, scope: Q | None = None
) -> dict[Key, dict[str, Any]]:
    """The figures of the week for every key (or the ``wanted`` ones), as stored in ``WeeklyReport.figures``:
    read-only, a fixed number of queries whatever the number of regions."""
    week_end = week_start + dt.timedelta(days=6)
    week = week_label(week_start)
    keys = _Keys(wanted)
    counts = _counts(week_start, week_end, scope, keys)
    targets = set(wanted) if wanted is not None else set(counts)
    overdue = _overdue_lists(week_end, scope, keys)
    prefixes = {key[0] for key in targets}
    escalations = _escalations(week_start, week_end, prefixes if scope is not None else None, keys)
    campaigns = _campaigns(week_end, scope, keys)
    previous_start = week_start - dt.timedelta(days=7)
    previous_week = week_label(previous_start)
    previous = _stored_previous(previous_week, targets)
    computed: dict[Key, Counts] = {}
    if targets - set(previous):
        computed = _counts(previous_start, previous_start + dt.timedelta(days=6), scope, keys)
    shown = [row for key in targets for row in overdue.get(key, ())[:OVERDUE_LIST_MAX]]
    names = _names([full_code(prefix) for prefix in prefixes] + [row[2] for row in shown])
    private = _private_names({row[7] for row in shown if row[7] is not None})
    figures: dict[Key, dict[str, Any]] = {}
    for key in targets:
        prefix, sector = key
        this = counts.get(key, Counts())
        if key in previous:
            change = _change(this, previous[key], week=previous_week, source="snapshot")
        else:
            change = _change(this, computed.get(key, Counts()), week=previous_week, source="computed")
        rows = overdue.get(key, [])
        figures[key] = {
            "schema": FIGURES_SCHEMA,
            "week": week,
            "week_start": week_start.isoformat(),
            "week_end": week_end.isoformat(),
            "region_code": full_code(prefix),
            "region_name": names.get(full_code(prefix), full_code(prefix)),
            "level": int(LEVEL_OF_PREFIX[len(prefix)]),
            "sector": sector,
            "assigned": this.assigned,
            "new": this.new,
            "closed": this.closed,
            "open": {"red": this.red, "yellow": this.yellow, "total": this.open},
            "green": this.green,
            "overdue": this.overdue,
            "overdue_list": [_overdue_row(row, week_end, names, private) for row in rows[:OVERDUE_LIST_MAX]],
            "overdue_list_truncated": len(rows) > OVERDUE_LIST_MAX,
            "clearance_rate": this.clearance_rate,
            "change": change,
            "escalations": dict(
                escalations.get(
                    key, {"supervision_orders": 0, "circulars": 0, "interviews": 0, "discipline_referrals": 0}
                )
            ),
            "campaigns": campaigns.get(key, []),
        }
    return figures


def make_weekly_reports(
    *,
    week_start: dt.date,
    region_codes: list[str] | None = None,
    by: User | None = None,
    reason: str = "",
    sector: str | None = None,
    request: HttpRequest | None = None,
) -> int:
    """Make the snapshots of the ISO week starting ``week_start`` (a Monday, the week over); returns how many
    were written.

    Without ``region_codes``: every city, county, town and village with issued problems by the week's
    Sunday, and every (city or county, responsible sector) pair with such problems. With ``region_codes``
    (prefixes or full codes): those regions only (their sector snapshots too; ``sector`` narrows to one
    sector, ``""`` for the region-wide one), made even when they had no problems. Existing snapshots are left
    as they are. With ``reason``, a correction: ``by`` must be allowed to correct reports
    (``access.can_correct_reports``) and see the regions; the next version of each selected snapshot is
    written beside the earlier ones.

    The count is of the rows this call wrote: a snapshot a concurrent run wrote first (skipped by the
    insert) is not counted. The rows get their ids before the insert (``allocate_ids``), and the count is
    of those ids that exist afterwards.

    Raises ``ValueError`` for a bad region code, ``RectificationRefused`` (week not a Monday or not yet over,
    reason too long) and ``PermissionDenied``. Side effects: ``WeeklyReport`` rows (one bulk insert); for a
    correction, an audit event per new version.
    """
    correcting = bool(reason.strip())
    if correcting and not access.can_correct_reports(by):
        raise PermissionDenied(_("您的角色不能更正清零周报。"))
    text = reason.strip()
    if len(text) > MAX_REASON:
        raise RectificationRefused(_("更正原因最多%(limit)d字") % {"limit": MAX_REASON}, field="reason")
    if week_start.weekday() != 0:
        raise RectificationRefused(_("周报须从周一开始"), field="week")
    week_end = week_start + dt.timedelta(days=6)
    if week_end >= timezone.localdate():
        raise RectificationRefused(_("%(week)s 尚未结束，不能生成周报") % {"week": week_label(week_start)})
    week = week_label(week_start)
    with no_jit():
        plan = _plan(
            week=week,
            week_end=week_end,
            region_codes=region_codes,
            sector=sector,
            correcting=correcting,
            by=by,
        )
        if not plan.versions:
            return 0
        figures = compute_figures(week_start=week_start, wanted=set(plan.versions), scope=plan.scope)
        written = _write(
            [
                WeeklyReport(
                    week=week,
                    week_start=week_start,
                    week_end=week_end,
                    region_code=full_code(key[0]),
                    sector=key[1],
                    version=version,
                    figures=figures[key],
                    reason=text,
                    generated_by=by,
                )
                for key, version in sorted(plan.versions.items())
            ],
            correcting=correcting,
        )
        if correcting and by is not None:
            for report in written:
                events.created(
                    actor=by,
                    obj=report,
                    after=events.snapshot(report, ("week", "region_code", "sector", "version", "reason")),
                    request=request,
                )
    return len(written)


def _write(reports: list[WeeklyReport], *, correcting: bool) -> list[WeeklyReport]:
    """Insert ``reports`` and return those actually written. Ids are allocated first (within ``no_jit``'s
    transaction: on SQLite it holds the write lock), so the rows written are exactly those of these ids
    found afterwards; a row another run wrote first is skipped by the insert and left out. A correction
    fails instead on such a conflict (``IntegrityError``)."""
    for report, pk in zip(reports, allocate_ids(WeeklyReport, len(reports)), strict=True):
        report.pk = pk
    # A second run at the same time (two workers) must not fail the job: the first one's rows stand.
    WeeklyReport.objects.bulk_create(reports, batch_size=500, ignore_conflicts=not correcting)
    if correcting:
        return reports
    found: set[int] = set()
    for batch in chunks([report.pk for report in reports], IN_BATCH):
        found.update(WeeklyReport.objects.filter(pk__in=batch).order_by().values_list("pk", flat=True))
    return [report for report in reports if report.pk in found]


def correct_weekly_report(
    *, report: WeeklyReport, by: User, reason: str, request: HttpRequest | None = None
) -> WeeklyReport:
    """A corrected version of ``report``'s week, region and sector, recomputed from the facts as now
    recorded, with the reason (required). Returns the new version; the earlier ones stay as they were."""
    if not access.can_correct_reports(by) or not code_visible_to(by, report.region_code):
        raise PermissionDenied(_("您不能更正该周报。"))
    if not reason.strip():
        raise RectificationRefused(_("请填写更正原因"), field="reason")
    make_weekly_reports(
        week_start=report.week_start,
        region_codes=[report.region_code],
        by=by,
        reason=reason,
        sector=report.sector,
        request=request,
    )
    return (
        WeeklyReport.objects.filter(week=report.week, region_code=report.region_code, sector=report.sector)
        .order_by("-version")
        .first()
    ) or report


# --- Excel --------------------------------------------------------------------------------------------------


def summary_rows(report: WeeklyReport) -> Iterator[tuple[str, Any, Any]]:
    """(label, value, change from last week) rows of a snapshot: the summary sheet, the print page."""
    f = report.figures
    change = f.get("change", {})
    rate = f.get("clearance_rate")
    yield _("本周新增问题"), f["new"], change.get("new")
    yield _("本周销号"), f["closed"], change.get("closed")
    yield _("未销号（红色）"), f["open"]["red"], change.get("red")
    yield _("未销号（黄色）"), f["open"]["yellow"], change.get("yellow")
    yield _("未销号合计"), f["open"]["total"], change.get("open")
    yield _("已销号（绿色，累计）"), f["green"], change.get("green")
    yield _("逾期未销号"), f["overdue"], change.get("overdue")
    yield _("累计交办问题"), f["assigned"], None
    yield _("清零率（%）"), rate if rate is not None else "—", change.get("clearance_rate")
    escalations = f.get("escalations", {})
    yield _("本周下发督办单"), escalations.get("supervision_orders", 0), None
    yield _("本周通报"), escalations.get("circulars", 0), None
    yield _("本周约谈"), escalations.get("interviews", 0), None
    yield _("本周移交纪检监察"), escalations.get("discipline_referrals", 0), None


def title(report: WeeklyReport) -> str:
    f = report.figures
    name = f.get("region_name", report.region_code)
    if report.sector:
        name = f"{name}·{report.get_sector_display()}"
    return _("%(name)s清零周报（%(week)s，%(start)s至%(end)s）") % {
        "name": name,
        "week": report.week,
        "start": report.week_start.isoformat(),
        "end": report.week_end.isoformat(),
    }


def write_xlsx(report: WeeklyReport, target: str | Path | io.BytesIO) -> None:
    """The snapshot as a workbook: the summary, the overdue list and the campaigns' burn-down."""
    options = {"in_memory": True} if isinstance(target, io.BytesIO) else {}
    workbook = xlsxwriter.Workbook(target if isinstance(target, io.BytesIO) else str(target), options)
    try:
        bold = workbook.add_format({"bold": True})
        header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        heading = workbook.add_format({"bold": True, "font_size": 14})
        f = report.figures
        summary = workbook.add_worksheet(_("汇总"))
        summary.set_column(0, 0, 26)
        summary.set_column(1, 2, 14)
        summary.write_string(0, 0, title(report), heading)
        version = _("第%(version)d版") % {"version": report.version}
        if report.reason:
            version += _("（更正：%(reason)s）") % {"reason": report.reason}
        summary.write_string(1, 0, version)
        summary.write_row(3, 0, [_("指标"), _("本周"), _("较上周")], header)
        for row, (label, value, change) in enumerate(summary_rows(report), start=4):
            summary.write_string(row, 0, label, bold)
            summary.write(row, 1, value)
            if change is not None:
                summary.write(row, 2, change)
        overdue = workbook.add_worksheet(_("逾期问题清单"))
        headers = [
            _("问题编号"),
            _("问题类别"),
            _("所在区域"),
            _("责任单位"),
            _("整改时限"),
            _("逾期天数"),
            _("问题描述"),
        ]
        overdue.write_row(0, 0, headers, header)
        for col, width in enumerate((12, 10, 14, 24, 12, 10, 50)):
            overdue.set_column(col, col, width)
        for row, item in enumerate(f.get("overdue_list", []), start=1):
            overdue.write_row(
                row,
                0,
                [
                    item["code"],
                    item["category"],
                    item["region_name"],
                    item["responsible_unit"],
                    item["due_on"],
                ],
            )
            overdue.write_number(row, 5, item["days_overdue"])
            overdue.write_string(row, 6, item["description"])
        overdue.freeze_panes(1, 0)
        burndown = workbook.add_worksheet(_("专项清零进度"))
        campaigns = f.get("campaigns", [])
        burndown.set_column(0, 1, 12)
        burndown.write_row(0, 0, [_("周次"), _("周日")], header)
        for col, campaign in enumerate(campaigns, start=2):
            burndown.set_column(col, col, 18)
            burndown.write_string(
                0,
                col,
                _("%(name)s（清零时限%(day)s）")
                % {"name": campaign["name"], "day": campaign["clearance_date"]},
                header,
            )
        weeks = sorted({(p["week"], p["week_end"]) for c in campaigns for p in c["burndown"]})
        for row, (label, sunday) in enumerate(weeks, start=1):
            burndown.write_string(row, 0, label)
            burndown.write_string(row, 1, sunday)
            for col, campaign in enumerate(campaigns, start=2):
                point = next((p for p in campaign["burndown"] if p["week"] == label), None)
                if point is not None:
                    burndown.write_number(row, col, point["open"])
        burndown.freeze_panes(1, 2)
    finally:
        workbook.close()

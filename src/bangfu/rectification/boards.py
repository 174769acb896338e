"""What the public clearance board (上网公示) and the wall poster (上墙) show, in a fixed number of queries.

Counts by colour are one grouped query (``services.colour_counts``), the children's counts another; the list
of open problems is paged by a keyset (colour, deadline, id), never by an offset, so that the last page of a
county with tens of thousands of problems costs what the first does.

Only publishable values leave this module (RULES §6.4): a ``BoardRow`` holds the problem's number, category,
place, the village group (自然村/组) of a household, the scrubbed description and measure, the unit, the
deadline, colour and state. Nothing of the household or member is read except the group and, to mask them
in the free text, the members' names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.db.models import Count, F, Q, Value
from django.utils.translation import gettext_lazy as _

from bangfu.core.masking import MASK, scrub
from bangfu.rectification.models import (
    OPEN_STATES,
    Colour,
    Problem,
    ProblemQuerySet,
    ProblemState,
    colour_expression,
)
from bangfu.rectification.services import colour_counts
from bangfu.regions.codes import PREFIX_LENGTH, Level
from bangfu.regions.models import Region
from bangfu.registry.models import Member

# Closed problems shown under the open ones: those closed within the last days, at most this many.
RECENT_DAYS: Final = 30
RECENT_LIMIT: Final = 20
# The colours of open problems in the order they are listed (an open problem is never green: green is closed).
SECTIONS: Final = (Colour.RED, Colour.YELLOW)
# The levels a board exists for: the places problems belong to (a county, a town or a village).
BOARD_LEVELS: Final = (Level.COUNTY, Level.TOWN, Level.VILLAGE)
_CURSOR = re.compile(r"^([01])-([0-9]{8})-([0-9]{1,12})$")
_ROW_FIELDS: Final = (
    "id",
    "region_code",
    "household_id",
    "member_id",
    "description",
    "measure",
    "responsible_unit",
    "due_on",
    "state",
    "closed_on",
    "category__name",
    "category__public_details",
)


@dataclass(frozen=True)
class Counts:
    red: int
    yellow: int
    green: int

    @property
    def total(self) -> int:
        return self.red + self.yellow + self.green

    @property
    def open(self) -> int:
        return self.red + self.yellow

    @property
    def clearance_rate(self) -> str:
        """销号率: the share of the problems closed (green), as "87.5%"; "—" when there are none."""
        if not self.total:
            return "—"
        return f"{self.green * 100 / self.total:.1f}%"


@dataclass(frozen=True)
class BoardRow:
    code: str
    category: str
    place: str
    group: str
    description: str
    measure: str
    responsible_unit: str
    due_on: dt.date
    colour: str
    colour_label: str
    state_label: str
    closed_on: dt.date | None
    cursor: str


@dataclass(frozen=True)
class Child:
    region: Region
    counts: Counts


# What the board shows instead of the text of a problem about a person's health (RULES §6.4).
WITHHELD = _("（涉及个人信息，不公开具体内容）")


def board_region(code: str) -> Region | None:
    """The county, town or village a board is for (None for another level or an unknown code)."""
    return Region.objects.filter(code=code, level__in=BOARD_LEVELS).select_related("parent").first()


def _problems(region: Region) -> ProblemQuerySet:
    return Problem.objects.within(region.prefix).issued()


def counts(region: Region, *, on: dt.date) -> Counts:
    """The problems of the region that existed on ``on``, by colour (one grouped query)."""
    return _counts(colour_counts(Problem.objects.within(region.prefix), on=on))


def counts_and_children(region: Region, *, on: dt.date) -> tuple[Counts, list[Child]]:
    """The region's counts by colour, and its towns (of a county) or villages (of a town) each with theirs.

    Two queries: the problems grouped by place and colour — the region's counts are their sum and a
    child's the sum of the places under it, so each colour is computed once — and the children
    themselves. A village has no children: its counts are ``services.colour_counts``.
    """
    if region.level == Level.VILLAGE:
        return counts(region, on=on), []
    rows = (
        _problems(region)
        .as_of(on)
        .annotate(c=colour_expression(on))
        .values("region_code", "c")
        .order_by()
        .annotate(n=Count("pk"))
    )
    length = PREFIX_LENGTH[Level(region.level + 1)]
    total: dict[str, int] = dict.fromkeys(Colour.values, 0)
    by_child: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(Colour.values, 0))
    for row in rows:
        total[row["c"]] += row["n"]
        # A problem of the region itself (a county-level one) belongs to no child: it is in the total only.
        by_child[row["region_code"][:length]][row["c"]] += row["n"]
    shown = [
        Child(region=child, counts=_counts(by_child[child.prefix]))
        for child in Region.objects.filter(parent=region).order_by("code")
    ]
    return _counts(total), shown


def _counts(by_colour: dict[str, int]) -> Counts:
    return Counts(red=by_colour[Colour.RED], yellow=by_colour[Colour.YELLOW], green=by_colour[Colour.GREEN])


def parse_cursor(value: str | None) -> tuple[int, dt.date, int] | None:
    """The position after which a page starts ("更多"); None for the first page or a malformed value."""
    match = _CURSOR.match(value or "")
    if match is None:
        return None
    try:
        due_on = dt.datetime.strptime(match[2], "%Y%m%d").date()  # noqa: DTZ007 (a date, no time zone)
    except ValueError:
        return None
    return int(match[1]), due_on, int(match[3])


def open_rows(
    region: Region, *, on: dt.date, limit: int, after: tuple[int, dt.date, int] | None = None
) -> tuple[list[BoardRow], str | None]:
    """One page of the region's open problems, red first, then yellow, each by deadline; and the cursor of
    the next page (None on the last).

    Each colour is its own keyset section (colour fixed, then deadline and id), so the colour is computed
    once per row instead of as a sort key and again in every branch of the keyset condition: one query per
    page, two where a page passes from red to yellow; plus the page's places and its households' names.
    """
    first = after[0] if after is not None else 0
    page: list[dict[str, Any]] = []
    for rank in range(first, len(SECTIONS)):
        qs = (
            _problems(region)
            .filter(state__in=OPEN_STATES)
            .annotate(
                colour_then=colour_expression(on), rank=Value(rank), group=F("household__natural_village")
            )
            .filter(colour_then=SECTIONS[rank])
        )
        if after is not None and rank == first:
            _first, due_on, pk = after
            qs = qs.filter(Q(due_on__gt=due_on) | Q(due_on=due_on, pk__gt=pk))
        wanted = limit + 1 - len(page)
        page += qs.order_by("due_on", "pk").values(*_ROW_FIELDS, "colour_then", "rank", "group")[:wanted]
        if len(page) > limit:
            break
    rows = _rows(page[:limit])
    return rows, (rows[-1].cursor if len(page) > limit else None)


def recently_closed(region: Region, *, on: dt.date) -> list[BoardRow]:
    """The problems closed (销号) in the last ``RECENT_DAYS`` days, latest first, at most ``RECENT_LIMIT``."""
    page = (
        _problems(region)
        .filter(
            state=ProblemState.CLOSED, closed_on__gt=on - dt.timedelta(days=RECENT_DAYS), closed_on__lte=on
        )
        .annotate(colour_then=Value(Colour.GREEN), rank=Value(2), group=F("household__natural_village"))
        .order_by("-closed_on", "-pk")
        .values(*_ROW_FIELDS, "colour_then", "rank", "group")[:RECENT_LIMIT]
    )
    return _rows(list(page))


def _rows(page: Sequence[dict[str, Any]]) -> list[BoardRow]:
    places = dict(
        Region.objects.filter(code__in={row["region_code"] for row in page}).values_list("code", "name")
    )
    names = _names_by_household(row["household_id"] for row in page if row["household_id"])
    rows = []
    for row in page:
        private = names.get(row["household_id"], ())
        rows.append(
            BoardRow(
                code=f"ZG{row['id']:07d}",
                category=row["category__name"],
                place=places.get(row["region_code"], ""),
                group=public_text(row["group"], private),
                description=_published(row, "description", private),
                measure=_published(row, "measure", private),
                responsible_unit=scrub(row["responsible_unit"]),
                due_on=row["due_on"],
                colour=row["colour_then"],
                colour_label=str(Colour(row["colour_then"]).label),
                state_label=str(ProblemState(row["state"]).label),
                closed_on=row["closed_on"],
                cursor=f"{row['rank']}-{row['due_on']:%Y%m%d}-{row['id']}",
            )
        )
    return rows


def _published(row: dict[str, Any], field: str, private: Sequence[str]) -> str:
    """A text field as published: withheld for the categories about a person's health."""
    if not row["category__public_details"]:
        return str(WITHHELD)
    return public_text(row[field], private)


def _names_by_household(household_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """The names of every member (past ones too) of these households, longest first (one query)."""
    found: dict[int, set[str]] = defaultdict(set)
    ids = set(household_ids)
    if ids:
        for household_id, name in Member.objects.filter(household_id__in=ids).values_list(
            "household_id", "name"
        ):
            if name and name.strip():
                found[household_id].add(name.strip())
    return {pk: tuple(sorted(names, key=len, reverse=True)) for pk, names in found.items()}


def public_text(text: str | None, private_names: Sequence[str] = ()) -> str:
    """Free text for the public board: ID-number-like and mobile-number-like digits masked
    (``core.masking.scrub``), and the names of the household's members hidden (a clerk writes
    “王一明家危房未改造”; the board may name the village group, never the person)."""
    shown = scrub(text)
    # Longest first, so that a name containing another is hidden whole.
    for name in private_names:
        shown = shown.replace(name, MASK * len(name))
    return shown

"""Household export in the national layout (``bangfu export-households``, the export page).

The file has the columns of ``registry.layout`` in their order, one row per current member with the
household's fields repeated, so it reads back through the import unchanged (a round trip changes nothing).
年度 is the year of the exported income statement; importing a file with 年度 records the household's
snapshot of that year (``HouseholdYear``) when it is missing — the row the nightly ``history.close_year``
writes anyway — so a round trip is exact once that job has run for the year.
It is streamed: households are read in keyset-ordered chunks (``region_code``, ``id`` — the scope index),
each chunk's members, statements, indicators, programmes and employment in one query each, and rows go
straight to ``StreamingWriter`` (xlsxwriter's constant-memory mode), so memory stays flat whatever the size.

ID numbers and phones are masked (``core.masking``) unless the caller asks to reveal them and the user holds
the reveal grant (``access.can_reveal``). Every export is audited (``events.exported``); a revealed one also
writes a security event naming the personal fields that left the system in full.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.core import spreadsheets
from bangfu.core.masking import mask_id_number, mask_phone
from bangfu.regions.codes import CODE_LENGTH, full_code, is_scope_prefix, is_valid_code, prefix_of
from bangfu.regions.models import Region
from bangfu.regions.scoping import code_visible_to
from bangfu.registry import access, layout
from bangfu.registry.models import (
    Employment,
    Household,
    HouseholdStatus,
    IncomeLine,
    IncomeStatement,
    IndicatorObservation,
    IndicatorValue,
    Member,
    PeriodKind,
    ProgrammeEnrolment,
    ProgrammeKind,
    Relation,
)

if TYPE_CHECKING:
    from bangfu.accounts.models import User

WHAT: Final = "registry.household"
SHEET_NAME: Final = "农户信息"
# Households per chunk: a few thousand member rows in memory at a time.
CHUNK: Final = 1000

HOUSEHOLD_COLUMNS: Final = (
    "id",
    "region_code",
    "household_number",
    "natural_village",
    "address",
    "household_type",
    "is_exited_poor",
    "relocated",
    "resettlement_site",
    "phone",
)
MEMBER_COLUMNS: Final = ("id", "household_id", "id_number", *layout.MEMBER_FIELDS)
EMPLOYMENT_COLUMNS: Final = ("member_id", *layout.EMPLOYMENT_FIELDS.values())


class ExportRefused(Exception):
    """The export cannot be made as asked (a malformed or unknown region); ``str()`` is Chinese."""


@dataclass(frozen=True)
class _Chunk:
    """What one chunk of households needs besides the households themselves, keyed by household or member."""

    members: dict[int, list[tuple[Any, ...]]]
    statements: dict[int, tuple[IncomeStatement, set[str], str]]
    indicators: dict[int, tuple[dt.date, dict[str, str]]]
    programmes: dict[tuple[int, str], str]
    employments: dict[int, tuple[Any, ...]]


def export_prefix(region_code: str) -> str:
    """The scope prefix of ``region_code`` (a 12-digit code or a prefix: ``610902000000`` or ``610902``)."""
    code = region_code.strip()
    if is_valid_code(code):
        return prefix_of(code)
    if is_scope_prefix(code):
        return code
    raise ExportRefused(_("区划代码无效：%(code)s") % {"code": code})


def export_households(
    *, by: User, region_code: str, out: Path, reveal: bool = False, year: int | None = None
) -> int:
    """Write the current members of the active households under ``region_code`` to ``out``; return the number
    of member rows written.

    ``region_code`` must lie in the user's scope. ID numbers and phones are masked unless ``reveal`` and the
    user may reveal personal data. ``year`` picks the calendar-year income statement exported (default: each
    household's latest one).

    Side effects: the file; audit ``exported``, and a security event ``personal_data_exported`` when revealed.
    """
    if not access.can_export(by):
        raise PermissionDenied(_("您没有导出农户信息的权限。"))
    prefix = export_prefix(region_code)
    if not code_visible_to(by, prefix):
        raise PermissionDenied(_("区域 %(code)s 不在您的管辖范围内。") % {"code": prefix})
    if not Region.objects.filter(code=full_code(prefix)).exists():
        raise ExportRefused(_("区划代码不存在：%(code)s") % {"code": prefix})
    revealed = reveal and access.can_reveal(by)
    names = dict(Region.objects.within(prefix).values_list("code", "name"))
    households = Household.objects.visible_to(by).within(prefix).filter(status=HouseholdStatus.ACTIVE)
    count = 0
    with spreadsheets.StreamingWriter(
        out,
        sheet_name=SHEET_NAME,
        headers=layout.HEADERS,
        text_columns=[layout.BY_KEY[key].header for key in layout.TEXT_KEYS],
    ) as writer:
        _allow_large_file(writer)
        for chunk in _household_chunks(households):
            related = _load_chunk([row[0] for row in chunk], year=year)
            for household in chunk:
                for values in _rows(household, related, names=names, revealed=revealed):
                    writer.write_row([column.export(values.get(column.key)) for column in layout.COLUMNS])
                    count += 1
    region = full_code(prefix)
    events.exported(actor=by, what=WHAT, count=count, region_code=region)
    if revealed:
        events.security(
            actor=by,
            action="personal_data_exported",
            detail={"what": WHAT, "count": count, "region": region, "fields": ["id_number", "phone"]},
        )
    return count


def _allow_large_file(writer: spreadsheets.StreamingWriter) -> None:
    """Let the file grow past 2 GiB (about 600,000 member rows of this layout): xlsxwriter refuses to write
    such a sheet unless the ZIP64 extension is switched on, which Excel and WPS read. Stopgap until
    ``StreamingWriter`` switches it on itself (reported to its owner); harmless for small files."""
    workbook = getattr(writer, "_workbook", None)
    if workbook is not None and hasattr(workbook, "use_zip64"):
        workbook.use_zip64()


def _household_chunks(households: Any) -> Iterator[list[tuple[Any, ...]]]:
    """Households in (region_code, id) order, about CHUNK at a time: village by village, each read by keyset
    on its id (``region_code = v AND id > last``, exactly what the (region_code, id) index serves; no
    OFFSET, no cursor held open), small villages gathered into one chunk."""
    villages = households.order_by("region_code").values_list("region_code", flat=True).distinct()
    buffer: list[tuple[Any, ...]] = []
    for village in list(villages):
        after = 0
        while True:
            rows = list(
                households.filter(region_code=village, id__gt=after)
                .order_by("id")
                .values_list(*HOUSEHOLD_COLUMNS)[:CHUNK]
            )
            buffer += rows
            if len(buffer) >= CHUNK:
                yield buffer
                buffer = []
            if len(rows) < CHUNK:
                break
            after = rows[-1][0]
    if buffer:
        yield buffer


def _load_chunk(household_ids: Sequence[int], *, year: int | None) -> _Chunk:
    members: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    member_rows = (
        Member.objects.current()
        .filter(household_id__in=household_ids)
        .order_by("household_id", "id")
        .values_list(*MEMBER_COLUMNS)
    )
    relation_at = MEMBER_COLUMNS.index("relation")
    for row in member_rows:
        members[row[1]].append(row)
    for rows in members.values():
        # The head first, as the national layout lists a household.
        rows.sort(key=lambda row: row[relation_at] != Relation.HEAD)
    statements = _statements(household_ids, year=year)
    indicators: dict[int, tuple[dt.date, dict[str, str]]] = {}
    latest: dict[tuple[int, str], tuple[dt.date, int, str]] = {}
    for household_id, indicator, observed_on, pk, value in IndicatorObservation.objects.filter(
        household_id__in=household_ids
    ).values_list("household_id", "indicator", "observed_on", "id", "value"):
        key = (household_id, indicator)
        if key not in latest or (observed_on, pk) > latest[key][:2]:
            latest[key] = (observed_on, pk, value)
    for (household_id, indicator), (observed_on, _pk, value) in latest.items():
        day, values = indicators.get(household_id, (observed_on, {}))
        values[indicator] = value
        indicators[household_id] = (max(day, observed_on), values)
    programmes = {
        (member_id, kind): grade
        for member_id, kind, grade in ProgrammeEnrolment.objects.filter(
            household_id__in=household_ids,
            end_date__isnull=True,
            member__isnull=False,
            kind__in=[ProgrammeKind.DIBAO, ProgrammeKind.EXTREME_POVERTY_SUPPORT],
        ).values_list("member_id", "kind", "grade")
    }
    employments = {
        row[0]: row
        for row in Employment.objects.filter(household_id__in=household_ids, end_date__isnull=True)
        .order_by("start_date", "id")
        .values_list(*EMPLOYMENT_COLUMNS)
    }
    return _Chunk(members, statements, indicators, programmes, employments)


def _statements(
    household_ids: Sequence[int], *, year: int | None
) -> dict[int, tuple[IncomeStatement, set[str], str]]:
    """Each household's calendar-year statement (of ``year``, else the latest), with the components it has
    lines for and the first line note."""
    rows = IncomeStatement.objects.filter(
        household_id__in=household_ids, period_kind=PeriodKind.CALENDAR_YEAR
    )
    if year is not None:
        rows = rows.filter(period_start=dt.date(year, 1, 1))
    chosen: dict[int, IncomeStatement] = {}
    for statement in rows.order_by("period_start", "id"):
        chosen[statement.household_id] = statement
    components: dict[int, set[str]] = defaultdict(set)
    notes: dict[int, str] = {}
    for statement_id, component, note in (
        IncomeLine.objects.filter(statement_id__in=[s.pk for s in chosen.values()])
        .order_by("id")
        .values_list("statement_id", "component", "note")
    ):
        components[statement_id].add(component)
        if note and statement_id not in notes:
            notes[statement_id] = note
    return {
        household_id: (statement, components.get(statement.pk, set()), notes.get(statement.pk, ""))
        for household_id, statement in chosen.items()
    }


def _rows(
    household: tuple[Any, ...], related: _Chunk, *, names: dict[str, str], revealed: bool
) -> Iterator[dict[str, Any]]:
    """The layout values (by key) of each member row of one household."""
    values = dict(zip(HOUSEHOLD_COLUMNS, household, strict=True))
    household_id = values.pop("id")
    code = values["region_code"]
    phone = values["phone"] or ""
    values["phone"] = phone if revealed else mask_phone(phone)
    values["county_name"] = names.get(code[:6] + "0" * (CODE_LENGTH - 6), "")
    values["town_name"] = names.get(code[:9] + "000", "")
    values["village_name"] = names.get(code, "")
    members = related.members.get(household_id, [])
    values["household_size"] = len(members)
    _income(values, related.statements.get(household_id))
    _indicators(values, related.indicators.get(household_id))
    for member in members:
        row = dict(values)
        member_values = dict(zip(MEMBER_COLUMNS, member, strict=True))
        member_id = member_values.pop("id")
        member_values.pop("household_id")
        number = member_values.pop("id_number") or ""
        row["id_number"] = number if revealed else mask_id_number(number)
        row.update(member_values)
        if (member_id, ProgrammeKind.DIBAO) in related.programmes:
            row["dibao"] = True
            row["dibao_grade"] = related.programmes[(member_id, ProgrammeKind.DIBAO)]
        else:
            row["dibao"] = False
        row["extreme_poverty_support"] = (
            member_id,
            ProgrammeKind.EXTREME_POVERTY_SUPPORT,
        ) in related.programmes
        employment = related.employments.get(member_id)
        if employment is not None:
            work = dict(zip(EMPLOYMENT_COLUMNS[1:], employment[1:], strict=True))
            for key, name in layout.EMPLOYMENT_FIELDS.items():
                row[key] = work[name]
        yield row


def _income(values: dict[str, Any], found: tuple[IncomeStatement, set[str], str] | None) -> None:
    if found is None:
        return
    statement, components, note = found
    values["year"] = statement.period_start.year
    for key, component in layout.INCOME_COMPONENTS.items():
        total: Decimal = getattr(statement, key)
        # A component typed as a line is written even when zero; a statement kept as totals only (no
        # lines) writes its non-zero totals.
        if component in components or (not components and total):
            values[key] = total
    values["net_income"] = statement.net_income
    values["net_income_per_capita"] = statement.net_income_per_capita
    if note:
        values["income_note"] = note


def _indicators(values: dict[str, Any], found: tuple[dt.date, dict[str, str]] | None) -> None:
    if found is None:
        return
    observed_on, latest = found
    values["checked_on"] = observed_on
    for key, indicator in layout.INDICATOR_KEYS.items():
        if indicator in latest:
            values[key] = latest[indicator]
    grade = latest.get(layout.INDICATOR_KEYS["housing_grade"])
    if grade:
        values["housing_problem"] = grade in {IndicatorValue.C, IndicatorValue.D}
    water = [values[key] for key in layout.WATER_KEYS if key in values]
    if water:
        values["water_problem"] = IndicatorValue.UNMET in water

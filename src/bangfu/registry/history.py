"""A household as it stood in a year (the national data is year-versioned, RULES §3.4).

Members, programmes, indicators and income statements carry their own dates, so their state at the end of a
year is a query. The household's own attributes (type, exited-poor flag, relocation, size) are kept per
year in ``HouseholdYear``: written by the import of a year's national export and by ``close_year``, which the
nightly job runs for the year of the day before (so on 1 January the year just ended gets its final state,
and earlier in the year the running year's row follows the current values). A year without a row falls
back to the household's current attributes (``HouseholdState.from_snapshot`` says which).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from bangfu.regions.codes import prefix_bounds
from bangfu.registry.models import (
    Household,
    HouseholdStatus,
    HouseholdYear,
    IncomeStatement,
    IndicatorObservation,
    Member,
    ProgrammeEnrolment,
)


@dataclass(frozen=True)
class HouseholdAttributes:
    """The household's own year-versioned attributes."""

    household_type: str
    is_exited_poor: bool
    relocated: bool
    size: int


@dataclass(frozen=True)
class HouseholdState:
    """``household`` as of 31 December of ``year``."""

    household: Household
    year: int
    attributes: HouseholdAttributes
    # True when ``attributes`` come from that year's HouseholdYear row, False when from the current record.
    from_snapshot: bool
    members: Sequence[Member]
    # Programmes the household received at any time during the year (a 低保 grant ended in June still
    # counts for that year's income and checks), not only those still running on 31 December.
    programmes: Sequence[ProgrammeEnrolment]
    # The latest observation per indicator on or before the year's end.
    indicators: dict[str, IndicatorObservation]
    # Statements whose period ends in the year (a calendar-year one and any twelve-month windows).
    income_statements: Sequence[IncomeStatement]

    @property
    def year_end(self) -> date:
        return date(self.year, 12, 31)


def household_as_of(household: Household, *, year: int) -> HouseholdState:
    """The state of ``household`` at the end of ``year``: five small queries, whatever its history."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    members = list(Member.objects.filter(household=household).current_on(end).order_by("pk"))
    snapshot = HouseholdYear.objects.filter(household=household, year=year).first()
    if snapshot is not None:
        attributes = HouseholdAttributes(
            household_type=snapshot.household_type,
            is_exited_poor=snapshot.is_exited_poor,
            relocated=snapshot.relocated,
            size=snapshot.size,
        )
    else:
        attributes = HouseholdAttributes(
            household_type=household.household_type,
            is_exited_poor=household.is_exited_poor,
            relocated=household.relocated,
            size=len(members),
        )
    programmes = list(
        ProgrammeEnrolment.objects.filter(household=household)
        .active_during(start, end)
        .order_by("start_date", "pk")
    )
    indicators: dict[str, IndicatorObservation] = {}
    # Newest first: the first row seen per indicator is the latest (a household has few observations).
    for observation in IndicatorObservation.objects.filter(
        household=household, observed_on__lte=end
    ).order_by("indicator", "-observed_on", "-pk"):
        indicators.setdefault(observation.indicator, observation)
    statements = list(
        IncomeStatement.objects.filter(household=household, period_end__range=(start, end)).order_by(
            "period_end", "period_start"
        )
    )
    return HouseholdState(
        household=household,
        year=year,
        attributes=attributes,
        from_snapshot=snapshot is not None,
        members=members,
        programmes=programmes,
        indicators=indicators,
        income_statements=statements,
    )


_CLOSE_YEAR_SQL = """
INSERT INTO {year_table} (household_id, region_code, year, household_type, is_exited_poor, relocated, size,
                          recorded_at)
SELECT h.id, h.region_code, %s, h.household_type, h.is_exited_poor, h.relocated,
       (SELECT COUNT(*) FROM {member_table} m
         WHERE m.household_id = h.id
           AND (m.joined_on IS NULL OR m.joined_on <= %s)
           AND (m.left_on IS NULL OR m.left_on > %s)),
       %s
  FROM {household_table} h
 WHERE h.region_code >= %s AND h.region_code < %s
   AND (h.status = %s OR h.closed_on > %s)
ON CONFLICT (household_id, year) DO UPDATE SET
    region_code = excluded.region_code,
    household_type = excluded.household_type,
    is_exited_poor = excluded.is_exited_poor,
    relocated = excluded.relocated,
    size = excluded.size,
    recorded_at = excluded.recorded_at
"""


def close_year(*, year: int, prefix: str) -> int:
    """Write (or overwrite) the ``HouseholdYear`` row of ``year`` for every household under ``prefix`` that
    still existed at the year's end: its current type, exited-poor flag and relocation, and the number of
    members in it on 31 December. One INSERT … SELECT … ON CONFLICT statement (PostgreSQL and SQLite),
    idempotent. Returns the number of rows written.

    Derived data: the facts it summarises are audited where they were written, so no audit event here.
    """
    end = date(year, 12, 31)
    lo, hi = prefix_bounds(prefix) if prefix else ("", "A")
    sql = _CLOSE_YEAR_SQL.format(
        year_table=connection.ops.quote_name(HouseholdYear._meta.db_table),
        member_table=connection.ops.quote_name(Member._meta.db_table),
        household_table=connection.ops.quote_name(Household._meta.db_table),
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    day = connection.ops.adapt_datefield_value(end)
    with transaction.atomic(), connection.cursor() as cursor:
        # On SQLite an INSERT … SELECT needs a WHERE before ON CONFLICT (parsing ambiguity); there is one.
        cursor.execute(sql, [year, day, day, now, lo, hi, HouseholdStatus.ACTIVE, day])
        return int(cursor.rowcount)

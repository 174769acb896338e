"""Deadlines from policy: "within N calendar / working days" turned into a due date.

The number of days and how they are counted come from the policy value in force (shape
``{"days": n, "unit": "calendar" | "working"}``) for the region on the start date. Working days follow the
official calendar (``bangfu.core.workdays``) with the years an administrator entered taking precedence; a due
date that had to count days of a year known to neither is ``provisional`` and shown with a 暂定 mark
(template include ``policy/_deadline.html``). Calendar-day deadlines are never provisional.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bangfu.core.workdays import Schedules, add_calendar_days, add_working_days
from bangfu.policy import catalogue
from bangfu.policy.catalogue import DayUnit
from bangfu.policy.exceptions import NotADeadline
from bangfu.policy.models import OfficialCalendarYear
from bangfu.policy.resolution import version_in_force, versions_in_force_by_region

if TYPE_CHECKING:
    from bangfu.regions.models import Region


@dataclass(frozen=True)
class Deadline:
    """A due date; ``provisional`` when it rests on a Monday–Friday guess for a year without official data."""

    date: dt.date
    unit: DayUnit
    provisional: bool
    days: int
    start: dt.date

    @property
    def unit_label(self) -> str:
        return self.unit.label


def official_schedules(*, from_year: int) -> Schedules:
    """The entered official calendar years from ``from_year`` on (latest version of each), one query."""
    return OfficialCalendarYear.objects.schedules(from_year=from_year)


def add_days(
    *, start: dt.date, days: int, unit: DayUnit | str, schedules: Schedules | None = None
) -> Deadline:
    """``days`` calendar or working days after ``start``. For working days the entered schedules are loaded
    (one query) unless the caller passes ``schedules``, e.g. to compute many deadlines with one load.
    Raises ``bangfu.core.workdays.DateOutOfRange`` (a ValueError) past 9999-12-31."""
    unit = DayUnit(unit)
    if unit == DayUnit.CALENDAR:
        return Deadline(
            date=add_calendar_days(start, days), unit=unit, provisional=False, days=days, start=start
        )
    if schedules is None:
        schedules = official_schedules(from_year=start.year)
    result = add_working_days(start, days, schedules=schedules)
    return Deadline(date=result.date, unit=unit, provisional=result.provisional, days=days, start=start)


def due_date(
    *, key: str, start: dt.date, region: str | Region | None, schedules: Schedules | None = None
) -> Deadline:
    """The due date of deadline ``key`` started on ``start`` in ``region``, by the rule in force on ``start``.

    Raises UnknownPolicyKey, NotADeadline (the key is not a duration), InvalidRegion, PolicyNotSet or
    DateOutOfRange.
    Reads: one query for the rule, one for the entered calendar years when counting working days.
    """
    spec = catalogue.get(key)
    if not spec.is_deadline:
        raise NotADeadline(key=key, label=str(spec.label))
    rule = version_in_force(key, region=region, on=start).value
    return add_days(start=start, days=int(rule["days"]), unit=rule["unit"], schedules=schedules)


def due_dates(*, key: str, start: dt.date, regions: Iterable[str]) -> dict[str, Deadline]:
    """``due_date`` for many regions at once, by region code: one query for the rules and at most one for
    the calendar, however many regions (a city-wide list issued to hundreds of villages).

    Raises as ``due_date`` does, for the first region that fails.
    """
    spec = catalogue.get(key)
    if not spec.is_deadline:
        raise NotADeadline(key=key, label=str(spec.label))
    rules = versions_in_force_by_region(key, regions=regions, on=start)
    schedules: Schedules | None = None
    if any(DayUnit(row.value["unit"]) == DayUnit.WORKING for row in rules.values()):
        schedules = official_schedules(from_year=start.year)
    by_rule: dict[tuple[int, str], Deadline] = {}
    result: dict[str, Deadline] = {}
    for code, row in rules.items():
        rule = (int(row.value["days"]), str(row.value["unit"]))
        if rule not in by_rule:
            by_rule[rule] = add_days(start=start, days=rule[0], unit=rule[1], schedules=schedules)
        result[code] = by_rule[rule]
    return result

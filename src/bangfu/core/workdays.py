"""Working days on China's official calendar (法定节假日与调休上班日).

Pure functions, no database. The official schedule comes from the ``chinese-calendar`` package, which only
knows the years the State Council had published when it was released (1.11: 2004–2026). A deadline set in
December already runs into the next year, so callers may pass ``schedules``: years entered by an
administrator from the State Council's notice (kept by ``bangfu.policy`` as data). An entered year replaces
the package's data for that year entirely — a correction must win over a stale package.

For a year known to neither, days fall back to Monday–Friday and every result computed over such a day is
marked ``provisional`` so that screens and the API can flag it (暂定). This deliberately replaces DESIGN.md's
earlier "clear error past the last known year": issue 2 asks for a provisional answer instead of a refusal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import chinese_calendar
from chinese_calendar import constants as _package_days
from django.utils.translation import gettext as _

# The package's range, read from its own data so that upgrading it moves the bound without a code change.
PACKAGE_FIRST_YEAR: int = min(day.year for day in _package_days.holidays)
PACKAGE_LAST_YEAR: int = max(day.year for day in _package_days.holidays)


class DateOutOfRange(ValueError):
    """A computed date would fall outside the dates Python can represent (year 1 to 9999); ``message`` is
    Chinese. Callers that accept dates from users bound them long before this (see ``bangfu.policy``)."""

    def __init__(self, *, start: dt.date, days: int) -> None:
        self.message = _("从 %(start)s 起加 %(days)s 天超出了可计算的日期范围（公元1年至9999年）。") % {
            "start": start.isoformat(),
            "days": days,
        }
        super().__init__(self.message)
        self.start = start
        self.days = days


def add_calendar_days(start: dt.date, n: int) -> dt.date:
    """``start`` plus ``n`` calendar days (自然日); raises DateOutOfRange instead of OverflowError."""
    try:
        return start + dt.timedelta(days=n)
    except OverflowError as exc:
        raise DateOutOfRange(start=start, days=n) from exc


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: the days off (法定节假日, incl. bridged weekends) and the make-up
    working days (调休上班日, usually Saturdays or Sundays)."""

    year: int
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, year: int, *, holidays: Iterable[dt.date], workdays: Iterable[dt.date]) -> YearSchedule:
        return cls(year=year, holidays=frozenset(holidays), workdays=frozenset(workdays))


Schedules = Mapping[int, YearSchedule]


@dataclass(frozen=True)
class WorkdayResult:
    """A computed date; ``provisional`` when a day counted lay in a year without a known official schedule."""

    date: dt.date
    provisional: bool


def package_knows(year: int) -> bool:
    """Whether the installed ``chinese-calendar`` has the official schedule of ``year``."""
    return PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR


def is_known_year(year: int, *, schedules: Schedules | None = None) -> bool:
    """Whether the working days of ``year`` follow an official schedule (entered or packaged)."""
    return (schedules is not None and year in schedules) or package_knows(year)


def is_working_day(day: dt.date, *, schedules: Schedules | None = None) -> bool:
    """Whether ``day`` is a working day (工作日). Entered schedules win over the package; an unknown year
    falls back to Monday–Friday (``is_known_year`` tells whether the answer is provisional)."""
    entered = schedules.get(day.year) if schedules is not None else None
    if entered is not None:
        if day in entered.workdays:
            return True
        return day.weekday() < 5 and day not in entered.holidays
    if package_knows(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def add_working_days(start: dt.date, n: int, *, schedules: Schedules | None = None) -> WorkdayResult:
    """The ``n``-th working day after ``start`` (``start`` itself is not counted, as in "within 5 working days
    of receipt"); ``n == 0`` gives ``start``. Raises ValueError for a negative ``n`` and DateOutOfRange when
    the count would run past 9999-12-31.

    The result is provisional when any day examined after ``start`` lies in a year without a known schedule,
    because a holiday published later could move it.
    """
    if n < 0:
        raise ValueError(f"工作日天数不能为负数：{n}")
    day = start
    provisional = False
    remaining = n
    try:
        while remaining > 0:
            day += dt.timedelta(days=1)
            if not is_known_year(day.year, schedules=schedules):
                provisional = True
            if is_working_day(day, schedules=schedules):
                remaining -= 1
    except OverflowError as exc:
        raise DateOutOfRange(start=start, days=n) from exc
    return WorkdayResult(date=day, provisional=provisional)


def package_schedule(year: int) -> YearSchedule:
    """The package's schedule of ``year`` (empty lists for an unknown year); used to prefill a correction."""
    return YearSchedule.of(
        year,
        holidays=(day for day in _package_days.holidays if day.year == year),
        workdays=(day for day in _package_days.workdays if day.year == year),
    )

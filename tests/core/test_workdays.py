"""Working-day arithmetic on the official calendar, with real 2025/2026 holidays and make-up working days.

Official schedules used (国务院办公厅 notices, as packaged in chinese-calendar 1.11):
2025 春节 1-28…2-4 (make-up Sun 1-26, Sat 2-8); 2025 国庆/中秋 10-1…10-8 (make-up Sun 9-28, Sat 10-11);
2026 春节 2-15…2-23 (make-up Sat 2-14, Sat 2-28); 2026 国庆 10-1…10-7 (make-up Sun 9-20, Sat 10-10).
"""

from __future__ import annotations

import datetime as dt

import pytest

from bangfu.core.workdays import (
    PACKAGE_FIRST_YEAR,
    PACKAGE_LAST_YEAR,
    DateOutOfRange,
    WorkdayResult,
    YearSchedule,
    add_calendar_days,
    add_working_days,
    is_known_year,
    is_working_day,
    package_knows,
    package_schedule,
)

D = dt.date


def test_the_package_knows_2004_to_2026_and_not_2027() -> None:
    assert (PACKAGE_FIRST_YEAR, PACKAGE_LAST_YEAR) == (2004, 2026)
    assert package_knows(2026)
    assert not package_knows(2027)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 1, 26), True),  # Sunday, make-up working day before 春节
        (D(2025, 1, 28), False),  # 除夕, Tuesday
        (D(2025, 2, 4), False),  # last day of 春节, Tuesday
        (D(2025, 2, 8), True),  # Saturday, make-up working day
        (D(2025, 9, 28), True),  # Sunday, make-up working day before 国庆
        (D(2025, 10, 8), False),  # Wednesday inside 国庆/中秋
        (D(2025, 10, 11), True),  # Saturday, make-up working day
        (D(2026, 2, 14), True),  # Saturday, make-up working day before 春节
        (D(2026, 2, 23), False),  # Monday, last day of 春节
        (D(2026, 10, 10), True),  # Saturday, make-up working day after 国庆
        (D(2026, 10, 17), False),  # ordinary Saturday
    ],
)
def test_official_holidays_and_make_up_days(day: dt.date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2025, 9, 30), 1, D(2025, 10, 9)),  # over the whole 国庆/中秋 break
        (D(2025, 9, 26), 1, D(2025, 9, 28)),  # Friday → the make-up Sunday
        (D(2025, 10, 10), 1, D(2025, 10, 11)),  # Friday → the make-up Saturday
        (D(2025, 1, 24), 1, D(2025, 1, 26)),  # Friday → the make-up Sunday before 春节
        (D(2025, 1, 27), 1, D(2025, 2, 5)),  # over 春节 2025
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # Friday → the make-up Saturday
        (D(2026, 2, 13), 2, D(2026, 2, 24)),  # then over 春节 2026
        (D(2026, 2, 27), 1, D(2026, 2, 28)),  # the second make-up Saturday
        (D(2026, 9, 30), 5, D(2026, 10, 13)),  # 10-8, 10-9, Sat 10-10, 10-12, 10-13
        (D(2026, 9, 25), 15, D(2026, 10, 22)),  # a 15-working-day limit started before 国庆
    ],
)
def test_add_working_days_across_official_breaks(start: dt.date, n: int, expected: dt.date) -> None:
    assert add_working_days(start, n) == WorkdayResult(date=expected, provisional=False)


def test_zero_days_is_the_start_and_negative_is_refused() -> None:
    assert add_working_days(D(2026, 10, 1), 0) == WorkdayResult(date=D(2026, 10, 1), provisional=False)
    with pytest.raises(ValueError, match="工作日天数不能为负数"):
        add_working_days(D(2026, 10, 1), -1)


def test_a_december_deadline_running_into_an_unknown_year_is_provisional() -> None:
    # Staying inside 2026 is exact; the sixth working day falls on 2027-01-01, counted Monday–Friday.
    assert add_working_days(D(2026, 12, 24), 5) == WorkdayResult(date=D(2026, 12, 31), provisional=False)
    assert add_working_days(D(2026, 12, 24), 6) == WorkdayResult(date=D(2027, 1, 1), provisional=True)
    assert add_working_days(D(2026, 12, 28), 5) == WorkdayResult(date=D(2027, 1, 4), provisional=True)


def test_an_entered_schedule_makes_the_next_year_exact() -> None:
    # A schedule as an administrator would enter it; the dates are this test's, not the real 2027 notice.
    schedules = {
        2027: YearSchedule.of(2027, holidays=[D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)], workdays=[])
    }
    assert is_known_year(2027, schedules=schedules)
    assert add_working_days(D(2026, 12, 28), 5, schedules=schedules) == WorkdayResult(
        date=D(2027, 1, 5), provisional=False
    )


def test_an_entered_schedule_takes_precedence_over_the_package() -> None:
    # A correction of 2026 that (for the test) moves one holiday: the package's data for 2026 is ignored.
    corrected = {2026: YearSchedule.of(2026, holidays=[D(2026, 12, 31)], workdays=[D(2026, 12, 26)])}
    assert is_working_day(D(2026, 12, 31), schedules=corrected) is False
    assert is_working_day(D(2026, 12, 26), schedules=corrected) is True  # a Saturday made a working day
    assert is_working_day(D(2026, 10, 1), schedules=corrected) is True  # 国庆 not in the corrected list
    assert is_working_day(D(2026, 10, 1)) is False  # …but still a holiday for the package


def test_unknown_years_fall_back_to_monday_to_friday() -> None:
    assert not is_known_year(2099)
    assert is_working_day(D(2099, 1, 1)) is True  # a Thursday
    assert is_working_day(D(2099, 1, 3)) is False  # a Saturday
    assert add_working_days(D(2099, 1, 1), 2) == WorkdayResult(date=D(2099, 1, 5), provisional=True)


def test_package_schedule_lists_the_years_make_up_days() -> None:
    schedule = package_schedule(2026)
    assert sorted(schedule.workdays) == [
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    ]
    assert D(2026, 10, 7) in schedule.holidays
    assert package_schedule(2027) == YearSchedule(year=2027)


def test_counting_past_year_9999_raises_a_clear_value_error_not_an_overflow() -> None:
    with pytest.raises(DateOutOfRange) as caught:
        add_working_days(D(9999, 12, 30), 5)
    assert isinstance(caught.value, ValueError)
    assert caught.value.message == "从 9999-12-30 起加 5 天超出了可计算的日期范围（公元1年至9999年）。"
    assert (caught.value.start, caught.value.days) == (D(9999, 12, 30), 5)
    # The last representable day itself is still reachable.
    assert add_working_days(D(9999, 12, 30), 1) == WorkdayResult(date=D(9999, 12, 31), provisional=True)


def test_calendar_days_past_year_9999_raise_the_same_error() -> None:
    assert add_calendar_days(D(2026, 12, 28), 5) == D(2027, 1, 2)
    with pytest.raises(DateOutOfRange, match="从 9999-12-31 起加 1 天超出了可计算的日期范围"):
        add_calendar_days(D(9999, 12, 31), 1)
    with pytest.raises(DateOutOfRange, match="从 0001-01-01 起加 -1 天"):
        add_calendar_days(D(1, 1, 1), -1)

"""Due dates from the demo's Shaanxi deadlines: calendar days, working days over official breaks, a December
deadline that stays provisional until next year's schedule is entered, and a clear error past year 9999."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from pytest_django import DjangoAssertNumQueries

from bangfu.accounts.models import User
from bangfu.core.workdays import DateOutOfRange
from bangfu.policy import services
from bangfu.policy.catalogue import DayUnit
from bangfu.policy.deadlines import Deadline, add_days, due_date, due_dates
from bangfu.policy.exceptions import NotADeadline, PolicyNotSet, UnknownPolicyKey
from tests.policy.conftest import AddVersion

pytestmark = pytest.mark.usefixtures("demo_policy")

D = dt.date
VILLAGE = "610902001001"
# This test's 2027 schedule, standing in for the State Council's notice (production enters the real one).
HOLIDAYS_2027 = [D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)]


def test_calendar_days_are_never_provisional() -> None:
    # deadline.village_notice: 5 calendar days for 61.
    assert due_date(key="deadline.village_notice", start=D(2026, 9, 30), region=VILLAGE) == Deadline(
        date=D(2026, 10, 5), unit=DayUnit.CALENDAR, provisional=False, days=5, start=D(2026, 9, 30)
    )
    assert due_date(key="deadline.village_notice", start=D(2026, 12, 30), region=VILLAGE) == Deadline(
        date=D(2027, 1, 4), unit=DayUnit.CALENDAR, provisional=False, days=5, start=D(2026, 12, 30)
    )


def test_working_days_skip_national_day_and_count_the_make_up_saturday() -> None:
    # deadline.identification: 15 working days for 61; 2026-10-10 (Sat) is a make-up working day.
    deadline = due_date(key="deadline.identification", start=D(2026, 9, 25), region=VILLAGE)
    assert (deadline.date, deadline.unit, deadline.provisional) == (D(2026, 10, 22), DayUnit.WORKING, False)


def test_working_days_over_spring_festival_2026() -> None:
    # deadline.home_check: 5 working days: Sat 2-14 (make-up), then 春节 to 2-23, then 2-24…2-27.
    deadline = due_date(key="deadline.home_check", start=D(2026, 2, 13), region=VILLAGE)
    assert (deadline.date, deadline.provisional) == (D(2026, 2, 27), False)


def test_a_december_deadline_is_provisional_until_next_year_is_entered(system_admin: User) -> None:
    before = due_date(key="deadline.home_check", start=D(2026, 12, 28), region=VILLAGE)
    assert (before.date, before.provisional) == (D(2027, 1, 4), True)  # 1-1 counted as a working Friday

    services.enter_calendar_year(
        year=2027, holidays=HOLIDAYS_2027, workdays=[], source_note="测试用2027年安排", by=system_admin
    )
    after = due_date(key="deadline.home_check", start=D(2026, 12, 28), region=VILLAGE)
    assert (after.date, after.provisional) == (D(2027, 1, 5), False)


def test_a_deadline_is_two_queries_for_working_days_and_one_for_calendar_days(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    with django_assert_num_queries(2):
        due_date(key="deadline.home_check", start=D(2026, 12, 28), region=VILLAGE)
    with django_assert_num_queries(1):
        due_date(key="deadline.village_notice", start=D(2026, 12, 28), region=VILLAGE)


@pytest.mark.parametrize("key", ["deadline.home_check", "deadline.village_notice"])
def test_many_regions_get_the_due_date_each_would_alone_in_at_most_two_queries(
    key: str, add_version: AddVersion, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    # 旬阳市 counts its own way; the other villages keep Shaanxi's rule.
    add_version(key, "610981", D(2026, 1, 1), {"days": 2, "unit": "calendar"})
    villages = [VILLAGE, "610902001002", "610981100001", "610902002001"]
    start = D(2026, 9, 30)
    with django_assert_num_queries(2 if key == "deadline.home_check" else 1):
        found = due_dates(key=key, start=start, regions=villages)
    assert found == {code: due_date(key=key, start=start, region=code) for code in villages}
    assert found["610981100001"].date == D(2026, 10, 2)


def test_passing_loaded_schedules_saves_the_calendar_query(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    with django_assert_num_queries(0):
        deadline = add_days(start=D(2026, 12, 28), days=5, unit="working", schedules={})
    assert (deadline.date, deadline.provisional) == (D(2027, 1, 4), True)


def test_errors_name_the_problem() -> None:
    with pytest.raises(
        NotADeadline, match="“防止返贫监测范围（家庭年人均纯收入）”（monitoring_line）不是期限"
    ):
        due_date(key="monitoring_line", start=D(2026, 1, 5), region=VILLAGE)
    with pytest.raises(UnknownPolicyKey):
        due_date(key="deadline.nothing", start=D(2026, 1, 5), region=VILLAGE)
    with pytest.raises(PolicyNotSet):  # the demo's deadlines are Shaanxi's only
        due_date(key="deadline.home_check", start=D(2026, 1, 5), region="620000000000")


@pytest.mark.parametrize("key", ["deadline.village_notice", "deadline.home_check"])
def test_a_due_date_past_year_9999_is_a_clear_value_error(key: str) -> None:
    with pytest.raises(DateOutOfRange) as caught:
        due_date(key=key, start=D(9999, 12, 30), region=VILLAGE)
    assert isinstance(caught.value, ValueError)
    assert caught.value.message == "从 9999-12-30 起加 5 天超出了可计算的日期范围（公元1年至9999年）。"


@pytest.mark.parametrize(
    ("provisional", "expected_badge"),
    [(True, True), (False, False)],
)
def test_the_deadline_include_marks_provisional_dates(provisional: bool, expected_badge: bool) -> None:
    deadline = Deadline(
        date=D(2027, 1, 4), unit=DayUnit.WORKING, provisional=provisional, days=5, start=D(2026, 12, 28)
    )
    html = render_to_string("policy/_deadline.html", {"deadline": deadline})
    assert '<time datetime="2027-01-04">2027年1月4日</time>' in html
    assert ("暂定" in html) is expected_badge
    assert ('class="badge text-bg-warning"' in html) is expected_badge

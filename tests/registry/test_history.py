"""A household as of a year, and the year snapshots written by close_year."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from bangfu.registry import history
from bangfu.registry.models import Household, HouseholdYear
from tests.factories import (
    HouseholdFactory,
    HouseholdYearFactory,
    IncomeStatementFactory,
    IndicatorObservationFactory,
    MemberFactory,
    ProgrammeEnrolmentFactory,
)


@pytest.fixture
def household(regions: object) -> Household:
    household = HouseholdFactory(household_type="dibao", relocated=True)
    MemberFactory(household=household, name="王建国", relation="head")
    MemberFactory(
        household=household, name="王奶奶", relation="mother", left_on=date(2024, 3, 1), left_reason="died"
    )
    MemberFactory(household=household, name="李秀英", relation="spouse", joined_on=date(2024, 12, 31))
    MemberFactory(household=household, name="王小明", relation="son", joined_on=date(2025, 1, 1))
    MemberFactory(
        household=household,
        name="王小红",
        relation="daughter",
        left_on=date(2024, 12, 31),
        left_reason="married_out",
    )
    return household


def names(state: history.HouseholdState) -> list[str]:
    return [m.name for m in state.members]


@pytest.mark.django_db
class TestHouseholdAsOf:
    def test_members_at_each_year_end(self, household: Household) -> None:
        assert names(history.household_as_of(household, year=2023)) == ["王建国", "王奶奶", "王小红"]
        assert names(history.household_as_of(household, year=2024)) == ["王建国", "李秀英"]
        assert names(history.household_as_of(household, year=2025)) == ["王建国", "李秀英", "王小明"]

    def test_attributes_from_the_year_row_or_the_current_record(self, household: Household) -> None:
        HouseholdYearFactory(
            household=household,
            year=2023,
            household_type="exited_poor",
            is_exited_poor=True,
            relocated=False,
            size=4,
        )
        snapshot = history.household_as_of(household, year=2023)
        assert snapshot.from_snapshot is True
        assert snapshot.attributes == history.HouseholdAttributes("exited_poor", True, False, 4)
        current = history.household_as_of(household, year=2025)
        assert current.from_snapshot is False
        assert current.attributes == history.HouseholdAttributes("dibao", False, True, 3)

    def test_programmes_indicators_and_income_of_the_year(
        self, household: Household, django_assert_num_queries: Any
    ) -> None:
        ended = ProgrammeEnrolmentFactory(
            household=household, kind="dibao", start_date=date(2022, 1, 1), end_date=date(2024, 2, 29)
        )
        open_one = ProgrammeEnrolmentFactory(
            household=household, kind="temporary_assistance", start_date=date(2024, 12, 31)
        )
        ProgrammeEnrolmentFactory(household=household, kind="relocation", start_date=date(2025, 1, 1))
        IndicatorObservationFactory(
            household=household, indicator="housing_grade", value="D", observed_on=date(2023, 5, 1)
        )
        latest = IndicatorObservationFactory(
            household=household, indicator="housing_grade", value="B", observed_on=date(2024, 11, 1)
        )
        IndicatorObservationFactory(
            household=household, indicator="housing_grade", value="A", observed_on=date(2025, 1, 1)
        )
        water = IndicatorObservationFactory(
            household=household, indicator="water_quality", value="unmet", observed_on=date(2024, 12, 31)
        )
        year_2024 = IncomeStatementFactory(
            household=household, period_start=date(2024, 1, 1), period_end=date(2024, 12, 31)
        )
        window = IncomeStatementFactory(
            household=household,
            period_kind="twelve_months",
            period_start=date(2023, 9, 1),
            period_end=date(2024, 8, 31),
        )
        IncomeStatementFactory(
            household=household, period_start=date(2025, 1, 1), period_end=date(2025, 12, 31)
        )

        with django_assert_num_queries(5):
            state = history.household_as_of(household, year=2024)

        assert state.programmes == [ended, open_one]
        assert state.indicators == {"housing_grade": latest, "water_quality": water}
        assert state.income_statements == [window, year_2024]
        assert state.year_end == date(2024, 12, 31)


@pytest.mark.django_db
class TestCloseYear:
    def test_writes_one_row_per_household_existing_at_year_end(self, household: Household) -> None:
        closed_before = HouseholdFactory(status="closed", closed_on=date(2024, 6, 1))
        closed_after = HouseholdFactory(status="closed", closed_on=date(2025, 2, 1))
        elsewhere = HouseholdFactory(region_code="610981100001")
        MemberFactory(household=closed_after)

        assert history.close_year(year=2024, prefix="610902") == 2

        rows = {row.household_id: row for row in HouseholdYear.objects.all()}
        assert set(rows) == {household.pk, closed_after.pk}
        assert closed_before.pk not in rows
        assert elsewhere.pk not in rows
        row = rows[household.pk]
        assert (
            row.year,
            row.region_code,
            row.household_type,
            row.is_exited_poor,
            row.relocated,
            row.size,
        ) == (
            2024,
            household.region_code,
            "dibao",
            False,
            True,
            2,
        )
        assert rows[closed_after.pk].size == 1

    def test_idempotent_and_overwrites_the_years_row(self, household: Household) -> None:
        HouseholdYearFactory(household=household, year=2025, household_type="ordinary", size=9)
        history.close_year(year=2025, prefix="")
        history.close_year(year=2025, prefix="")
        row = HouseholdYear.objects.get(household=household, year=2025)
        assert (row.household_type, row.size) == ("dibao", 3)
        assert HouseholdYear.objects.count() == 1

    def test_one_statement_whatever_the_number_of_households(
        self, household: Household, django_assert_max_num_queries: Any
    ) -> None:
        HouseholdFactory.create_batch(5)
        # One INSERT … SELECT, inside a savepoint (SAVEPOINT, RELEASE) in the test's transaction.
        with django_assert_max_num_queries(3):
            history.close_year(year=2025, prefix="6109")
        assert HouseholdYear.objects.count() == 6


@pytest.mark.django_db
def test_nightly_job_closes_the_year_of_yesterday(household: Household) -> None:
    from django.utils import timezone

    from bangfu.registry import jobs

    result = jobs.close_household_years.enqueue()
    yesterday = timezone.localdate() - timedelta(days=1)
    assert result.return_value == 1
    assert list(HouseholdYear.objects.values_list("household_id", "year")) == [(household.pk, yesterday.year)]

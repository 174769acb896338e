"""What the database itself guarantees: generated income columns, constraints, and the date querysets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from bangfu.registry.models import IncomeStatement, Member, ProgrammeEnrolment
from tests.factories import (
    DuplicateCandidateFactory,
    HouseholdFactory,
    IncomeStatementFactory,
    MemberFactory,
    ProgrammeEnrolmentFactory,
)


@pytest.mark.django_db
class TestGeneratedIncome:
    @pytest.mark.parametrize(
        ("wages", "expenditure", "size", "net", "per_capita"),
        [
            ("24000", "800", 3, "23200.00", "7733.33"),
            ("27401", "0", 3, "27401.00", "9133.67"),
            (
                "10.05",
                "0",
                2,
                "10.05",
                "5.03",
            ),  # a half fen rounds away from zero, as PostgreSQL's numeric does
            ("0.29", "0", 1, "0.29", "0.29"),
            ("0.1", "0.3", 2, "-0.20", "-0.10"),
            ("1000", "1500", 4, "-500.00", "-125.00"),
        ],
    )
    def test_net_and_per_capita_are_computed_by_the_database(
        self, regions: object, wages: str, expenditure: str, size: int, net: str, per_capita: str
    ) -> None:
        statement = IncomeStatementFactory(
            wages=Decimal(wages),
            business=Decimal("0"),
            transfers=Decimal("0"),
            business_expenditure=Decimal(expenditure),
            household_size=size,
        )
        statement.refresh_from_db()
        assert (statement.net_income, statement.net_income_per_capita) == (Decimal(net), Decimal(per_capita))

    def test_generated_columns_follow_an_update(self, regions: object) -> None:
        statement = IncomeStatementFactory()
        IncomeStatement.objects.filter(pk=statement.pk).update(property=Decimal("1000"), household_size=4)
        statement.refresh_from_db()
        # 24000 + 3000 + 1000 + 1200 − 800
        assert (statement.net_income, statement.net_income_per_capita) == (
            Decimal("28400.00"),
            Decimal("7100.00"),
        )

    def test_the_period_is_unique_per_household(self, regions: object) -> None:
        statement = IncomeStatementFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            IncomeStatementFactory(household=statement.household)


@pytest.mark.django_db
class TestMemberConstraints:
    def test_one_current_head_per_household(self, regions: object) -> None:
        head = MemberFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            MemberFactory(household=head.household, relation="head")
        MemberFactory(household=head.household, relation="head", left_on=date(2020, 1, 1))

    def test_an_id_number_is_current_in_one_household_only(self, regions: object) -> None:
        first = MemberFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            MemberFactory(id_number=first.id_number, id_number_index=first.id_number_index)
        Member.objects.filter(pk=first.pk).update(left_on=date(2025, 1, 1))
        MemberFactory(id_number=first.id_number, id_number_index=first.id_number_index)

    def test_a_duplicate_pair_is_stored_in_id_order_once(self, regions: object) -> None:
        candidate = DuplicateCandidateFactory()
        assert candidate.member_a_id < candidate.member_b_id
        with pytest.raises(IntegrityError), transaction.atomic():
            DuplicateCandidateFactory(
                member_a=candidate.member_b, member_b=candidate.member_a, region_code="610902001000"
            )


@pytest.mark.django_db
class TestDateQuerysets:
    def test_members_current_on_a_day(self, regions: object) -> None:
        household = HouseholdFactory()
        always = MemberFactory(household=household, relation="head")
        joined = MemberFactory(household=household, relation="son", joined_on=date(2024, 6, 1))
        left = MemberFactory(
            household=household, relation="mother", left_on=date(2024, 6, 1), left_reason="died"
        )
        members = Member.objects.filter(household=household)
        assert set(members.current_on(date(2024, 5, 31))) == {always, left}
        assert set(members.current_on(date(2024, 6, 1))) == {always, joined}
        assert set(members.current()) == {always, joined}

    def test_programmes_active_during_a_period(self, regions: object) -> None:
        household = HouseholdFactory()
        ended = ProgrammeEnrolmentFactory(
            household=household, start_date=date(2023, 1, 1), end_date=date(2023, 12, 31)
        )
        ongoing = ProgrammeEnrolmentFactory(
            household=household, kind="relocation", start_date=date(2022, 5, 1)
        )
        programmes = ProgrammeEnrolment.objects.filter(household=household)
        assert set(programmes.active_during(date(2023, 12, 31), date(2024, 3, 1))) == {ended, ongoing}
        assert set(programmes.active_on(date(2024, 1, 1))) == {ongoing}
        assert set(programmes.active_on(date(2022, 4, 30))) == set()
        assert str(ongoing) == "易地扶贫搬迁 2022-05-01"

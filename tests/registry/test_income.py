"""Income statements: the window rule, totals from counted lines, generated net and per-capita income."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.registry import income, services
from bangfu.registry.models import Household, IncomeLine, IncomeStatement
from tests.factories import HouseholdFactory, IncomeStatementFactory, MemberFactory

LINES: list[dict[str, Any]] = [
    {"component": "wages", "item": "务工收入", "amount": "18000.00", "note": "苏州电子厂9个月"},
    {"component": "wages", "item": "公益岗位工资", "amount": Decimal("6000"), "note": ""},
    {"component": "business", "item": "种植收入", "amount": "3000.5", "note": "魔芋"},
    {"component": "property", "item": "土地流转", "amount": 800, "note": ""},
    {"component": "transfers", "item": "低保金", "amount": "4920", "note": ""},
    {"component": "business_expenditure", "item": "化肥种子", "amount": "1200", "note": ""},
    {"component": "insurance_payout", "item": "防贫保险", "amount": "5000", "note": "住院理赔"},
    {"component": "compliant_out_of_pocket", "item": "住院自付", "amount": "7300", "note": ""},
    {"component": "excluded", "item": "危房改造补助", "amount": "20000", "note": "专项补助，不计入收入"},
    {"component": "excluded", "item": "慰问金", "amount": "500", "note": "春节慰问"},
]


@pytest.mark.parametrize(
    ("on", "kind", "window"),
    [
        (date(2021, 6, 15), "twelve_months", (date(2020, 6, 1), date(2021, 5, 31))),
        (date(2021, 6, 1), "twelve_months", (date(2020, 6, 1), date(2021, 5, 31))),
        (date(2022, 1, 10), "twelve_months", (date(2021, 1, 1), date(2021, 12, 31))),
        (date(2024, 3, 31), "twelve_months", (date(2023, 3, 1), date(2024, 2, 29))),
        (date(2026, 3, 1), "calendar_year", (date(2025, 1, 1), date(2025, 12, 31))),
        (date(2025, 12, 31), "calendar_year", (date(2024, 1, 1), date(2024, 12, 31))),
    ],
)
def test_income_window(on: date, kind: str, window: tuple[date, date]) -> None:
    assert income.income_window(on=on, kind=kind) == window


def test_unknown_window_kind() -> None:
    with pytest.raises(ValueError, match="unknown income period kind"):
        income.income_window(on=date(2026, 1, 1), kind="fiscal")


@pytest.fixture
def household(regions: object) -> Household:
    household = HouseholdFactory()
    MemberFactory(household=household, relation="head")
    MemberFactory(household=household, relation="spouse", joined_on=date(2025, 6, 1))
    MemberFactory(household=household, relation="son", left_on=date(2025, 12, 31), left_reason="moved_out")
    MemberFactory(household=household, relation="daughter", joined_on=date(2026, 1, 5))
    return household


def calendar_2025(
    household: Household, by: User, lines: list[dict[str, Any]] = LINES, **kwargs: Any
) -> IncomeStatement:
    return services.set_income_statement(
        household=household,
        by=by,
        period_kind="calendar_year",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        lines=lines,
        **kwargs,
    )


@pytest.mark.django_db
class TestSetIncomeStatement:
    def test_totals_count_lines_and_never_excluded_items(
        self, household: Household, town_officer: User
    ) -> None:
        statement = calendar_2025(household, town_officer)
        assert (
            statement.wages,
            statement.business,
            statement.property,
            statement.transfers,
            statement.business_expenditure,
            statement.insurance_payout,
            statement.compliant_out_of_pocket,
        ) == (
            Decimal("24000.00"),
            Decimal("3000.50"),
            Decimal("800.00"),
            Decimal("4920.00"),
            Decimal("1200.00"),
            Decimal("5000.00"),
            Decimal("7300.00"),
        )
        # 24000 + 3000.50 + 800 + 4920 − 1200; the 20,500 of excluded items are not in it.
        assert statement.net_income == Decimal("31520.50")
        # Members on 31 Dec 2025: head and spouse (joined in June); the son left that day, the daughter later.
        assert statement.household_size == 2
        assert statement.net_income_per_capita == Decimal("15760.25")
        assert IncomeLine.objects.filter(statement=statement, component="excluded").count() == 2
        assert set(IncomeLine.objects.filter(statement=statement).values_list("region_code", flat=True)) == {
            household.region_code
        }

    def test_resubmitting_replaces_the_lines_and_audits_before_and_after(
        self, household: Household, town_officer: User
    ) -> None:
        first = calendar_2025(household, town_officer)
        second = calendar_2025(
            household,
            town_officer,
            lines=[{"component": "wages", "item": "务工收入", "amount": "10000", "note": "更正"}],
            household_size=3,
        )
        assert second.pk == first.pk
        assert list(second.lines.values_list("item", "amount")) == [("务工收入", Decimal("10000.00"))]
        assert (second.wages, second.business, second.net_income, second.net_income_per_capita) == (
            Decimal("10000.00"),
            Decimal("0.00"),
            Decimal("10000.00"),
            Decimal("3333.33"),
        )
        created, updated = AuditEvent.objects.filter(object_type="registry.incomestatement").order_by("seq")
        assert created.action == "create"
        assert len(created.data["after"]["lines"]) == 10
        assert updated.action == "update"
        assert updated.data["after"]["lines"] == [
            {"component": "wages", "item": "务工收入", "amount": "10000.00", "note": "更正"}
        ]
        assert "net_income" in updated.data["changed"]

    def test_period_and_line_problems(self, household: Household, town_officer: User) -> None:
        with pytest.raises(services.RegistryRefused) as caught:
            services.set_income_statement(
                household=household,
                by=town_officer,
                period_kind="twelve_months",
                period_start=date(2025, 6, 15),
                period_end=date(2026, 5, 31),
                lines=[
                    {"component": "salary", "item": "x", "amount": "1"},
                    {"component": "wages", "item": "x", "amount": "-5"},
                    {"component": "wages", "item": "x", "amount": "1.005"},
                    {"component": "wages", "item": "x", "amount": "一千"},
                ],
            )
        assert [p.message for p in caught.value.problems] == [
            "认定前12个月口径的统计期须为完整的12个月，如 2025-06-01 至 2026-05-31",
            "第1行：收支项无效：salary",
            "第2行：金额不能为负数",
            "第3行：金额最多两位小数、十位整数",
            "第4行：金额无效：一千",
        ]
        assert IncomeStatement.objects.count() == 0

    def test_a_household_without_members_at_period_end_needs_a_size(
        self, town_officer: User, regions: object
    ) -> None:
        empty = HouseholdFactory()
        with pytest.raises(services.RegistryRefused, match="截止日期 2025-12-31 该户没有在户成员"):
            calendar_2025(empty, town_officer)

    def test_village_cadre_must_submit_a_change(self, household: Household, village_cadre: User) -> None:
        with pytest.raises(PermissionDenied, match="请提交变更申请"):
            calendar_2025(household, village_cadre)
        assert IncomeStatement.objects.count() == 0


@pytest.mark.django_db
class TestLookups:
    def test_statement_for_window_and_latest(self, household: Household, town_officer: User) -> None:
        statement = calendar_2025(household, town_officer)
        assert income.statement_for_window(household, on=date(2026, 3, 1), kind="calendar_year") == statement
        assert income.statement_for_window(household, on=date(2026, 3, 1), kind="twelve_months") is None
        assert income.latest_statement(household, on=date(2025, 12, 30)) is None
        assert income.latest_statement(household, on=date(2026, 1, 1)) == statement

    def test_recompute_totals_is_one_update_for_many_statements(
        self, town_officer: User, regions: object, django_assert_num_queries: Any
    ) -> None:
        statements = [IncomeStatementFactory(wages=Decimal("1")) for _ in range(3)]
        for statement in statements:
            IncomeLine.objects.create(
                statement=statement,
                region_code=statement.region_code,
                component="wages",
                amount=Decimal("700"),
            )
        with django_assert_num_queries(1):
            assert income.recompute_totals(IncomeStatement.objects.all()) == 3
        assert (
            list(IncomeStatement.objects.values_list("wages", "transfers"))
            == [(Decimal("700.00"), Decimal("0.00"))] * 3
        )

"""Household income (家庭人均纯收入, RULES §3): the income window, component totals and statement look-ups.

A statement's lines carry a component each; the component totals on ``IncomeStatement`` are the sums of its
counted lines, and net income (wages + business + property + transfers − business expenditure) and its
per-capita value are generated columns of the database, so no one can type them. Lines of component
``excluded`` (fixed-purpose subsidies such as 危房改造补助, one-off help such as 慰问金; RULES §3.1) are
recorded with their note and never counted. 理赔收入 and 合规自付支出 are separate totals, outside net income
(RULES §3.3 leaves the "reference income" arithmetic to the province, so it is not computed here).

The income window (RULES §3.2):

* ``twelve_months`` — a new identification counts the twelve months ending with the month before the day
  of identification: identified on 2021-06-15 → 2020-06-01 … 2021-05-31;
* ``calendar_year`` — the annual review counts the last *complete* calendar year before ``on``: on
  2026-03-01 → 2025-01-01 … 2025-12-31. The national year-keyed tables hold 上年 figures collected early in
  the following year; an in-year estimate (当年预估) is entered with explicit dates instead.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from bangfu.registry.models import (
    ZERO,
    Household,
    IncomeComponent,
    IncomeLine,
    IncomeStatement,
    Member,
    PeriodKind,
)

if TYPE_CHECKING:
    from django.db.models import Expression

# Counted components and the statement field holding their total; ``excluded`` is deliberately absent.
TOTAL_FIELDS: Final[dict[str, str]] = {
    IncomeComponent.WAGES: "wages",
    IncomeComponent.BUSINESS: "business",
    IncomeComponent.PROPERTY: "property",
    IncomeComponent.TRANSFERS: "transfers",
    IncomeComponent.BUSINESS_EXPENDITURE: "business_expenditure",
    IncomeComponent.INSURANCE_PAYOUT: "insurance_payout",
    IncomeComponent.COMPLIANT_OUT_OF_POCKET: "compliant_out_of_pocket",
}


def income_window(*, on: date, kind: str) -> tuple[date, date]:
    """The first and last day of the income period for a judgement made on ``on`` (see module docstring)."""
    if kind == PeriodKind.TWELVE_MONTHS:
        end = on.replace(day=1) - timedelta(days=1)
        start = date(end.year - 1, end.month, 1) + timedelta(days=32)
        return start.replace(day=1), end
    if kind == PeriodKind.CALENDAR_YEAR:
        return date(on.year - 1, 1, 1), date(on.year - 1, 12, 31)
    raise ValueError(f"unknown income period kind {kind!r}")


def household_size_on(household: Household, day: date) -> int:
    """Members in the household at the end of ``day`` (the default household size of a statement)."""
    return Member.objects.filter(household=household).current_on(day).count()


def statement_for(household: Household, *, start: date, end: date) -> IncomeStatement | None:
    """The household's statement for exactly this period, if any."""
    return IncomeStatement.objects.filter(household=household, period_start=start, period_end=end).first()


def statement_for_window(household: Household, *, on: date, kind: str) -> IncomeStatement | None:
    """The household's statement for the income window of a judgement on ``on``."""
    start, end = income_window(on=on, kind=kind)
    return statement_for(household, start=start, end=end)


def latest_statement(household: Household, *, on: date) -> IncomeStatement | None:
    """The statement whose period ended most recently on or before ``on``."""
    return (
        IncomeStatement.objects.filter(household=household, period_end__lte=on)
        .order_by("-period_end", "-period_start", "-pk")
        .first()
    )


def _line_total(component: str) -> Expression:
    lines = (
        IncomeLine.objects.filter(statement=OuterRef("pk"), component=component)
        .order_by()
        .values("statement")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(Subquery(lines, output_field=money), Value(ZERO), output_field=money)


def recompute_totals(statements: QuerySet[IncomeStatement]) -> int:
    """Set every component total of ``statements`` to the sum of its counted lines, in one UPDATE.

    Used by ``services.set_income_statement`` and by bulk writers (the importer) after inserting lines;
    a statement without lines gets zeros. Returns the number of statements updated.
    """
    return statements.update(**{name: _line_total(component) for component, name in TOTAL_FIELDS.items()})

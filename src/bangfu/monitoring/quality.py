"""Data-quality checks (数据质量核查, RULES §12.3): logic checks of the registry that the national export
scripts run, rebuilt nightly as a list per village of what to fix, each item linking to the household.

Each check is one query over the registry; a run replaces the findings of the region it covers with one
``INSERT … SELECT`` per check (set-based: no Python loop over households or members). Checks that would
need the ID number in clear (its birth date and sex against the row's) are made where the number is typed —
the forms, the API and the import refuse a mismatch — not here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext_lazy as _

from bangfu.monitoring.models import QualityIssue
from bangfu.regions.codes import prefix_bounds
from bangfu.registry.models import (
    Employment,
    Household,
    HouseholdStatus,
    IncomeStatement,
    Member,
    ProgrammeEnrolment,
    ProgrammeKind,
    Relation,
    SchoolStatus,
)


@dataclass(frozen=True)
class Check:
    code: str
    name: Any  # a lazy Chinese label
    # The rows found as of a day: values household_id, member_id (or None), region_code.
    query: Callable[[dt.date], QuerySet[Any]]


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _active_members() -> QuerySet[Member]:
    return Member.objects.filter(left_on__isnull=True, household__status=HouseholdStatus.ACTIVE)


def _members(qs: QuerySet[Member]) -> QuerySet[Any]:
    return qs.values_list("household_id", "id", "region_code")


def _households(qs: QuerySet[Any], path: str = "id") -> QuerySet[Any]:
    # A typed NULL: PostgreSQL will not put an untyped parameter into the bigint column.
    return qs.annotate(no_member=Cast(Value(None), output_field=BigIntegerField())).values_list(
        path, "no_member", "region_code"
    )


def _latest_statements() -> QuerySet[IncomeStatement]:
    newer = IncomeStatement.objects.filter(
        household=OuterRef("household_id"), period_end__gt=OuterRef("period_end")
    )
    return IncomeStatement.objects.filter(household__status=HouseholdStatus.ACTIVE).filter(~Exists(newer))


def no_head(on: dt.date) -> QuerySet[Any]:
    heads = Member.objects.filter(household=OuterRef("pk"), left_on__isnull=True, relation=Relation.HEAD)
    someone = Member.objects.filter(household=OuterRef("pk"), left_on__isnull=True)
    return _households(
        Household.objects.filter(status=HouseholdStatus.ACTIVE).filter(Exists(someone), ~Exists(heads))
    )


def child_out_of_school(on: dt.date) -> QuerySet[Any]:
    return _members(
        _active_members().filter(
            birth_date__lte=_years_before(on, 6),
            birth_date__gt=_years_before(on, 16),
            school_status=SchoolStatus.NOT_IN_SCHOOL,
        )
    )


def uninsured(on: dt.date) -> QuerySet[Any]:
    return _members(
        _active_members().filter(resident_medical_insurance=False, employee_medical_insurance=False)
    )


def implausible_age(on: dt.date) -> QuerySet[Any]:
    return _members(_active_members().filter(Q(birth_date__gt=on) | Q(birth_date__lt=_years_before(on, 120))))


def tiny_wages(on: dt.date) -> QuerySet[Any]:
    return _households(_latest_statements().filter(wages__gt=0, wages__lt=100), "household_id")


def size_mismatch(on: dt.date) -> QuerySet[Any]:
    current = (
        Member.objects.filter(household=OuterRef("household_id"), left_on__isnull=True)
        .order_by()
        .values("household")
        .annotate(n=Count("id"))
        .values("n")
    )
    counted = _latest_statements().annotate(current=Coalesce(Subquery(current), 0))
    return _households(counted.exclude(household_size=F("current")), "household_id")


def dibao_without_transfers(on: dt.date) -> QuerySet[Any]:
    dibao = ProgrammeEnrolment.objects.filter(
        household=OuterRef("household_id"), kind=ProgrammeKind.DIBAO
    ).active_on(on)
    return _households(_latest_statements().filter(Exists(dibao), transfers=0), "household_id")


def employment_without_employer(on: dt.date) -> QuerySet[Any]:
    open_jobs = Employment.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on),
        household__status=HouseholdStatus.ACTIVE,
        member__left_on__isnull=True,
    ).filter(Q(employer="") | Q(industry=""))
    return open_jobs.values_list("household_id", "member_id", "region_code")


CHECKS: Final = (
    Check("DQ01", _("有在户成员但没有户主"), no_head),
    Check("DQ02", _("义务教育阶段适龄儿童标为非在校生"), child_out_of_school),
    Check("DQ03", _("未参加基本医疗保险"), uninsured),
    Check("DQ04", _("出生日期晚于今天或年龄超过120岁"), implausible_age),
    Check("DQ05", _("工资性收入大于0但不足100元"), tiny_wages),
    Check("DQ06", _("收支情况的家庭人口数与在户人数不一致"), size_mismatch),
    Check("DQ07", _("享受低保但转移性收入为0"), dibao_without_transfers),
    Check("DQ08", _("务工记录缺少务工企业或所属行业"), employment_without_employer),
)
CHECK_NAMES: Final = {check.code: check.name for check in CHECKS}


def refresh(*, on: dt.date, region_prefix: str = "") -> dict[str, int]:
    """Rebuild the findings under ``region_prefix`` (default: everywhere) as of ``on``: one transaction, one
    DELETE and one INSERT … SELECT per check. Returns the number found per check."""
    table = connection.ops.quote_name(QualityIssue._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(c) for c in ("code", "found_on", "household_id", "member_id", "region_code")
    )
    counts: dict[str, int] = {}
    with transaction.atomic():
        existing = QualityIssue.objects.all()
        if region_prefix:
            low, high = prefix_bounds(region_prefix)
            existing = existing.filter(region_code__gte=low, region_code__lt=high)
        existing.delete()
        for check in CHECKS:
            rows = check.query(on)
            if region_prefix:
                low, high = prefix_bounds(region_prefix)
                rows = rows.filter(region_code__gte=low, region_code__lt=high)
            select, params = rows.query.get_compiler(connection=connection).as_sql()
            # The inner SELECT is the ORM's, with its own parameters; the two constants come first, as the
            # placeholders stand in the statement.
            sql = f"INSERT INTO {table} ({columns}) SELECT %s, %s, q.* FROM ({select}) AS q"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(sql, [check.code, connection.ops.adapt_datefield_value(on), *params])
                counts[check.code] = cursor.rowcount
    return counts

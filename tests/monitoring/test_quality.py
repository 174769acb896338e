"""Data-quality checks (``monitoring.quality``): each finds exactly the records it describes, the list is
rebuilt by each run, and the page shows a scope its own findings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from bangfu.accounts.models import User
from bangfu.monitoring import quality
from bangfu.monitoring.models import QualityIssue
from bangfu.regions.models import Region
from bangfu.registry.models import Household, Member, ProgrammeKind
from tests.factories import (
    EmploymentFactory,
    HouseholdFactory,
    IncomeStatementFactory,
    MemberFactory,
    ProgrammeEnrolmentFactory,
)

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 3, 20)


def clean(village: str = "610902001001") -> Member:
    """A household with nothing to fix: an insured adult head, a statement for one person with transfers."""
    head = MemberFactory(household=HouseholdFactory(region_code=village), birth_date=dt.date(1970, 5, 1))
    IncomeStatementFactory(household=head.household, household_size=1)
    return head


def found() -> set[tuple[str, int, int | None]]:
    return set(QualityIssue.objects.values_list("code", "household_id", "member_id"))


def test_each_check_finds_exactly_its_records(regions: dict[str, Region]) -> None:
    clean()
    headless = MemberFactory(relation="spouse", birth_date=dt.date(1975, 1, 1))
    IncomeStatementFactory(household=headless.household, household_size=1)
    pupil_home = clean()
    pupil = MemberFactory(
        household=pupil_home.household,
        relation="son",
        birth_date=dt.date(2015, 9, 1),
        school_status="not_in_school",
    )
    pupil_home.household.income_statements.update(household_size=2)
    uninsured = clean()
    Member.objects.filter(pk=uninsured.pk).update(resident_medical_insurance=False)
    unborn = clean()
    Member.objects.filter(pk=unborn.pk).update(birth_date=dt.date(2027, 1, 1))
    tiny = clean()
    tiny.household.income_statements.update(wages=Decimal("50"))
    crowded = clean()
    crowded.household.income_statements.update(household_size=4)
    dibao = clean()
    dibao.household.income_statements.update(transfers=Decimal("0"))
    ProgrammeEnrolmentFactory(
        household=dibao.household, kind=ProgrammeKind.DIBAO, start_date=dt.date(2024, 1, 1)
    )
    worker = clean()
    EmploymentFactory(member=worker, employer="")

    counts = quality.refresh(on=ON)

    assert found() == {
        ("DQ01", headless.household_id, None),
        ("DQ02", pupil_home.household_id, pupil.pk),
        ("DQ03", uninsured.household_id, uninsured.pk),
        ("DQ04", unborn.household_id, unborn.pk),
        ("DQ05", tiny.household_id, None),
        ("DQ06", crowded.household_id, None),
        ("DQ07", dibao.household_id, None),
        ("DQ08", worker.household_id, worker.pk),
    }
    assert counts == {f"DQ0{n}": 1 for n in range(1, 9)}
    assert QualityIssue.objects.get(code="DQ02").region_code == "610902001001"


def test_a_fixed_record_drops_off_at_the_next_run(regions: dict[str, Region]) -> None:
    uninsured = clean()
    Member.objects.filter(pk=uninsured.pk).update(resident_medical_insurance=False)
    quality.refresh(on=ON)
    assert QualityIssue.objects.count() == 1

    Member.objects.filter(pk=uninsured.pk).update(resident_medical_insurance=True)
    quality.refresh(on=ON)
    assert QualityIssue.objects.count() == 0


def test_a_run_for_one_county_leaves_the_others(regions: dict[str, Region]) -> None:
    here = clean()
    there = clean(village="610981100001")
    Member.objects.filter(pk__in=[here.pk, there.pk]).update(resident_medical_insurance=False)
    quality.refresh(on=ON)
    Member.objects.filter(pk=there.pk).update(resident_medical_insurance=True)

    quality.refresh(on=ON, region_prefix="610902")

    assert set(QualityIssue.objects.values_list("region_code", flat=True)) == {"610902001001", "610981100001"}


def test_the_page_lists_the_scopes_findings_with_links(
    regions: dict[str, Region], village_cadre: User, other_village_cadre: User
) -> None:
    mine = clean()
    theirs = clean(village="610902001002")
    Member.objects.filter(pk__in=[mine.pk, theirs.pk]).update(resident_medical_insurance=False)
    quality.refresh(on=ON)

    client = Client()
    client.force_login(village_cadre)
    page = client.get("/warnings/quality/").content.decode()
    assert f"/households/{mine.household_id}/" in page
    assert f"/households/{theirs.household_id}/" not in page
    assert "未参加基本医疗保险 1" in page
    assert isinstance(Household.objects.get(pk=mine.household_id), Household)

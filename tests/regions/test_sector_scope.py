"""Sector departments (行业部门) are fail-closed: they see a model's rows only through its sector field.

No product model carries a sector yet, so the mechanism is exercised on the region table with a queryset whose
"sector" is the region's name — the same SQL shape a sector column produces.
"""

from __future__ import annotations

import pytest

from bangfu.accounts.models import User
from bangfu.regions.models import Region, RegionQuerySet


class _RowsWithoutSector(RegionQuerySet):
    shared_across_sectors = False


class _RowsBySector(RegionQuerySet):
    shared_across_sectors = False
    sector_field = "name"


@pytest.fixture
def sector_rows(regions: dict[str, Region]) -> None:
    Region.objects.create(code="610902001003", name="medical_insurance", parent=regions["610902001000"])
    Region.objects.create(code="610902001004", name="civil_affairs", parent=regions["610902001000"])
    Region.objects.create(code="610981100002", name="medical_insurance", parent=regions["610981100000"])


@pytest.mark.django_db
def test_department_sees_only_its_sector_within_its_region(department_user: User, sector_rows: None) -> None:
    visible = _RowsBySector(model=Region).visible_to(department_user)
    assert set(visible.values_list("code", flat=True)) == {"610902001003"}


@pytest.mark.django_db
def test_department_sees_nothing_of_a_model_naming_no_sector(
    department_user: User, sector_rows: None
) -> None:
    assert list(_RowsWithoutSector(model=Region).visible_to(department_user)) == []


@pytest.mark.django_db
def test_other_roles_are_not_narrowed_by_sector(county_clerk: User, sector_rows: None) -> None:
    visible = _RowsBySector(model=Region).visible_to(county_clerk)
    assert {"610902001003", "610902001004"} <= set(visible.values_list("code", flat=True))
    assert "610981100002" not in set(visible.values_list("code", flat=True))


@pytest.mark.django_db
def test_departments_see_the_region_tree_itself(department_user: User, regions: dict[str, Region]) -> None:
    assert Region.objects.visible_to(department_user).filter(code="610902001001").exists()

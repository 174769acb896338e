"""An inspection group assigned two counties picks regions in either of them, and nowhere else."""

from __future__ import annotations

import re

import pytest

from bangfu.accounts.models import User
from bangfu.regions.models import Region
from bangfu.regions.picker import build_picker
from tests.permissions import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_county_inspector(inspector: User, regions: dict[str, Region]) -> User:
    inspector.assigned_regions.set([regions["610981000000"]])
    return User.objects.get(pk=inspector.pk)


def test_the_picker_offers_both_assigned_counties_as_roots(two_county_inspector: User) -> None:
    picker = build_picker(user=two_county_inspector, value=None)
    assert [r.code for r in picker.roots] == ["610902000000", "610981000000"]
    assert picker.root is not None
    assert picker.root.code == "610902000000"


def test_picking_in_the_second_county_roots_the_picker_there(two_county_inspector: User) -> None:
    picker = build_picker(user=two_county_inspector, value="610981100001")
    assert picker.root is not None
    assert picker.root.code == "610981000000"
    assert picker.picked is not None
    assert picker.picked.name == "红军村"
    assert [level.parent.code for level in picker.levels] == ["610981000000", "610981100000"]


def test_a_code_outside_both_counties_is_not_picked(
    two_county_inspector: User, regions: dict[str, Region]
) -> None:
    Region.objects.create(code="610921000000", name="汉阴县", parent=regions["610900000000"])
    picker = build_picker(user=two_county_inspector, value="610921000000")
    assert picker.picked is not None
    assert picker.picked.code == "610902000000"


def test_the_picker_fragment_renders_the_roots_select(two_county_inspector: User) -> None:
    response = client_for(two_county_inspector).get("/regions/picker/", {"region": "610981100000"})
    assert response.status_code == 200
    roots = response.content.decode().split('aria-label="督查区域"', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option value="(\d+)"\s*(selected)?>([^<]+)</option>', roots)
    assert options == [("610902000000", "", "汉滨区"), ("610981000000", "selected", "旬阳市")]

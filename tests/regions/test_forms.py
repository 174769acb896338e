"""The region field for filter forms: limited to the user's scope, rendered as the picker."""

from __future__ import annotations

from django.http import QueryDict

from bangfu.accounts.models import User
from bangfu.regions.forms import RegionFilterForm
from bangfu.regions.models import Region
from tests.regions.markup import picker_selects


def test_picked_region_is_the_last_value_submitted(county_clerk: User) -> None:
    # What the picker submits: one value per select, the deepest last.
    data = QueryDict("region=610902001000&region=610902001002")
    form = RegionFilterForm(data, user=county_clerk)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["region"] == Region.objects.get(code="610902001002")


def test_region_outside_the_scope_is_rejected_in_chinese(village_cadre: User) -> None:
    form = RegionFilterForm(QueryDict("region=610902001002"), user=village_cadre)

    assert not form.is_valid()
    assert form.errors == {"region": ["所选区域不存在，或不在您的管辖范围内。"]}


def test_region_is_optional(town_officer: User) -> None:
    form = RegionFilterForm(QueryDict(""), user=town_officer)
    assert form.is_valid()
    assert form.cleaned_data["region"] is None


def test_field_renders_the_picker_with_the_bound_value(town_officer: User) -> None:
    html = str(RegionFilterForm(QueryDict("region=610902001002"), user=town_officer)["region"])

    assert 'data-picked="610902001002"' in html
    assert picker_selects(html) == [
        [
            ("610902001000", "老城街道（全部）", False),
            ("610902001001", "东关村", False),
            ("610902001002", "西关村", True),
        ]
    ]
    assert "五里镇" not in html


def test_field_for_an_admin_role_offers_nothing(auditor: User, regions: dict[str, Region]) -> None:
    form = RegionFilterForm(QueryDict("region=610902001001"), user=auditor)

    assert "没有可选择的区域" in str(form["region"])
    assert not form.is_valid()

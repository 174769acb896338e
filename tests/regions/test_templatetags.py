"""``{% load regions %}`` used from any template."""

from __future__ import annotations

from django.template import Context, Template

from bangfu.accounts.models import User
from bangfu.regions.models import Region
from tests.regions.markup import picker_selects


def _render(source: str, **context: object) -> str:
    return Template("{% load regions %}" + source).render(Context(context))


def test_breadcrumb_can_link_the_current_region(county_clerk: User, regions: dict[str, Region]) -> None:
    html = _render(
        "{% region_breadcrumb region link_last=True %}", region=regions["610902100000"], user=county_clerk
    )

    assert '<a href="/regions/610902000000/">汉滨区</a>' in html
    assert '<a href="/regions/610902100000/">五里镇</a>' in html
    assert 'href="/regions/610900000000/"' not in html
    # A linked last region is the parent of the page (a household's village), not the page itself.
    assert 'aria-current="page"' not in html


def test_breadcrumb_for_someone_without_scope_has_no_links(auditor: User, regions: dict[str, Region]) -> None:
    html = _render("{% region_breadcrumb region %}", region=regions["610902001001"], user=auditor)
    assert "<a " not in html
    assert html.count('class="breadcrumb-item') == 5


def test_picker_tag_renders_for_the_user_with_a_custom_name(county_clerk: User) -> None:
    html = _render('{% region_picker value="610902100000" name="area" %}', user=county_clerk)

    assert html.count('name="area"') == 2
    assert picker_selects(html, "area") == [
        [
            ("610902000000", "汉滨区（全部）", False),
            ("610902001000", "老城街道", False),
            ("610902100000", "五里镇", True),
        ],
        [("610902100000", "五里镇（全部）", False), ("610902100001", "五里村", False)],
    ]


def test_picker_tag_ignores_a_value_outside_the_scope(town_officer: User) -> None:
    html = _render('{% region_picker value="610981100001" %}', user=town_officer)

    assert 'data-picked="610902001000"' in html
    assert "红军村" not in html

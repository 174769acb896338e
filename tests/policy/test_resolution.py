"""``bangfu.policy.value``: most specific region prefix first, then latest effective date; one query."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pytest_django import DjangoAssertNumQueries

from bangfu import policy
from bangfu.policy import resolution
from bangfu.policy.exceptions import InvalidRegion, PolicyNotSet, UnknownPolicyKey
from bangfu.policy.models import enclosing_prefixes
from bangfu.regions.models import Region
from tests.policy.conftest import AddVersion

D = dt.date
VILLAGE = "610902001001"  # 东关村, 汉滨区, 安康市, 陕西省
XUNYANG_VILLAGE = "610981100001"  # 红军村, 旬阳市


@pytest.fixture
def lines(add_version: AddVersion, demo_policy: None) -> None:
    """On top of the seeded 6,000 ("" from 2021) and the demo's 7,800 ("61" from 2024)."""
    add_version("monitoring_line", "6109", D(2025, 1, 1), 8000)
    add_version("monitoring_line", "6109", D(2026, 3, 1), 8200)
    add_version("monitoring_line", "610902", D(2026, 1, 1), 8500)
    add_version("monitoring_line", "", D(2026, 1, 1), 9000)  # a newer national row, less specific


@pytest.mark.parametrize(
    ("region", "on", "expected"),
    [
        (VILLAGE, D(2023, 6, 1), Decimal(6000)),  # only the national floor is in force
        (VILLAGE, D(2024, 1, 1), Decimal(7800)),  # the province's line from its first day
        (VILLAGE, D(2025, 12, 31), Decimal(8000)),  # the city's line
        (VILLAGE, D(2026, 6, 1), Decimal(8500)),  # the county's own line beats the city's newer one
        (XUNYANG_VILLAGE, D(2026, 2, 28), Decimal(8000)),  # the city's line before its 2026 version
        (XUNYANG_VILLAGE, D(2026, 3, 1), Decimal(8200)),  # …and from its first day
        ("610902", D(2026, 6, 1), Decimal(8500)),  # a prefix works like a code
        ("610000000000", D(2026, 6, 1), Decimal(7800)),  # the province beats the newer national row
        ("620000000000", D(2026, 6, 1), Decimal(9000)),  # another province: the national rows only
        ("620000000000", D(2025, 6, 1), Decimal(6000)),
        (None, D(2026, 6, 1), Decimal(9000)),  # no region: national rows only
        ("", D(2025, 6, 1), Decimal(6000)),
    ],
)
@pytest.mark.usefixtures("lines")
def test_most_specific_prefix_then_latest_date(region: str | None, on: dt.date, expected: Decimal) -> None:
    assert policy.value("monitoring_line", region=region, on=on) == expected


@pytest.mark.usefixtures("lines")
def test_a_region_object_is_accepted(regions: dict[str, Region]) -> None:
    assert policy.value("monitoring_line", region=regions[VILLAGE], on=D(2026, 6, 1)) == Decimal(8500)
    assert policy.value("monitoring_line", region=regions["610981000000"], on=D(2026, 6, 1)) == Decimal(8200)


@pytest.mark.parametrize("on", [D(2023, 6, 1), D(2025, 12, 31), D(2026, 2, 28), D(2026, 6, 1)])
@pytest.mark.usefixtures("lines")
def test_many_regions_resolve_in_one_query_as_each_alone(
    on: dt.date, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    regions = [VILLAGE, XUNYANG_VILLAGE, "610902", "610000000000", "620000000000"]
    with django_assert_num_queries(1):
        rows = resolution.versions_in_force_by_region("monitoring_line", regions=regions, on=on)
    assert list(rows) == regions
    for region in regions:
        assert rows[region].pk == resolution.version_in_force("monitoring_line", region=region, on=on).pk


def test_many_regions_name_the_first_without_a_rule(demo_policy: None) -> None:
    # The demo's deadlines are Shaanxi's only: a village of Gansu has none.
    with pytest.raises(PolicyNotSet) as caught:
        resolution.versions_in_force_by_region(
            "deadline.home_check", regions=[VILLAGE, "620102001001"], on=D(2026, 6, 1)
        )
    assert caught.value.region_prefix == "620102001001"


@pytest.mark.usefixtures("lines")
def test_value_is_one_query(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    with django_assert_num_queries(1):
        assert policy.value("monitoring_line", region=VILLAGE, on=D(2026, 6, 1)) == Decimal(8500)


def test_values_for_several_keys_is_one_query(
    demo_policy: None, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    keys = [
        "monitoring_line",
        "deadline.identification",
        "deadline.village_notice",
        "codes.elimination_methods",
    ]
    with django_assert_num_queries(1):
        values = policy.values_for(keys, region=VILLAGE, on=D(2026, 6, 1))
    assert values == {
        "monitoring_line": Decimal(7800),
        "deadline.identification": {"days": 15, "unit": "working"},
        "deadline.village_notice": {"days": 5, "unit": "calendar"},
        "codes.elimination_methods": ["帮扶消除", "自然消除"],
    }


def test_values_for_names_the_first_key_not_set(demo_policy: None) -> None:
    # The demo's Shaanxi deadlines do not apply to another province.
    with pytest.raises(PolicyNotSet) as caught:
        policy.values_for(
            ["monitoring_line", "deadline.identification"], region="620000000000", on=D(2026, 6, 1)
        )
    assert caught.value.key == "deadline.identification"


def test_nothing_in_force_raises_policy_not_set_in_chinese(db: None) -> None:
    with pytest.raises(PolicyNotSet) as caught:
        policy.value("monitoring_line", region=VILLAGE, on=D(2020, 12, 31))
    assert caught.value.message == (
        "政策参数“防止返贫监测范围（家庭年人均纯收入）”（monitoring_line）在 2020-12-31 对区划610902001001"
        "没有生效的取值，请市指挥部先录入。"
    )


def test_unknown_key_raises_with_a_chinese_message_before_any_query(
    db: None, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(0), pytest.raises(UnknownPolicyKey) as caught:
        policy.value("monitoring_lin", region=VILLAGE, on=D(2026, 6, 1))
    assert caught.value.message == "未知的政策参数：“monitoring_lin”。请检查参数名称是否正确。"
    assert str(caught.value) == caught.value.message


@pytest.mark.parametrize(
    "region", ["6100", "61090", "6109x", "61090200100", "abcdefghijkl", "610900000000000"]
)
def test_a_malformed_region_is_refused(db: None, region: str) -> None:
    with pytest.raises(InvalidRegion) as caught:
        policy.value("monitoring_line", region=region, on=D(2026, 6, 1))
    assert caught.value.message.startswith(f"区划“{region}”无效")


def test_a_datetime_is_not_a_date(db: None) -> None:
    with pytest.raises(TypeError):
        policy.value("monitoring_line", region=VILLAGE, on=dt.datetime(2026, 6, 1, 12, 0))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("610902001001", ["", "61", "6109", "610902", "610902001", "610902001001"]),
        ("610902000000", ["", "61", "6109", "610902"]),
        ("610000000000", ["", "61"]),
        ("610902001", ["", "61", "6109", "610902", "610902001"]),
        (None, [""]),
    ],
)
def test_enclosing_prefixes_run_from_everywhere_to_the_region(
    region: str | None, expected: list[str]
) -> None:
    assert enclosing_prefixes(resolution.normalize_region(region)) == expected

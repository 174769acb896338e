"""Region codes: level derivation, prefixes, parents and the range bounds the scoping filter uses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bangfu.regions.codes import (
    Level,
    full_code,
    is_scope_prefix,
    is_valid_code,
    level_of,
    parent_code,
    prefix_bounds,
    prefix_of,
)


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("610000000000", Level.PROVINCE),
        ("610900000000", Level.CITY),
        ("610902000000", Level.COUNTY),
        ("610902001000", Level.TOWN),
        ("610902001001", Level.VILLAGE),
        # A town directly under a city without counties (东莞市): county digits are 00.
        ("441900003000", Level.TOWN),
        # A village whose number ends in zeros is still a village: only the whole tail counts.
        ("610902001100", Level.VILLAGE),
    ],
)
def test_level_is_derived_from_trailing_zeros(code: str, level: Level) -> None:
    assert level_of(code) == level


@pytest.mark.parametrize(
    "code", ["", "6109", "61090200100", "6109020010011", "61090200100x", "６１０９０２００１００１"]
)
def test_level_of_rejects_anything_but_twelve_ascii_digits(code: str) -> None:
    with pytest.raises(ValueError, match="区划代码必须是12位数字"):
        level_of(code)
    assert is_valid_code(code) is False


@pytest.mark.parametrize(
    ("code", "prefix"),
    [
        ("610000000000", "61"),
        ("610900000000", "6109"),
        ("610902000000", "610902"),
        ("610902001000", "610902001"),
        ("610902001001", "610902001001"),
    ],
)
def test_prefix_of_and_full_code_round_trip(code: str, prefix: str) -> None:
    assert prefix_of(code) == prefix
    assert full_code(prefix) == code


@pytest.mark.parametrize(
    ("code", "parent"),
    [
        ("610000000000", None),
        ("610900000000", "610000000000"),
        ("610902000000", "610900000000"),
        ("610902001000", "610902000000"),
        ("610902001001", "610902001000"),
        ("441900003000", "441900000000"),  # 东莞's towns hang under the city itself
    ],
)
def test_parent_code(code: str, parent: str | None) -> None:
    assert parent_code(code) == parent


@pytest.mark.parametrize(
    ("prefix", "bounds"),
    [
        ("61", ("61", "62")),
        ("6109", ("6109", "611")),  # carried: no ':' that a linguistic collation would ignore
        ("69", ("69", "7")),
        ("610999", ("610999", "611")),
        ("99", ("99", "99A")),
    ],
)
def test_prefix_bounds_are_digit_strings_carried_upwards(prefix: str, bounds: tuple[str, str]) -> None:
    assert prefix_bounds(prefix) == bounds


@pytest.mark.parametrize("prefix", ["", "6a", "61 ", "６１"])
def test_prefix_bounds_reject_non_digits(prefix: str) -> None:
    with pytest.raises(ValueError, match="范围前缀必须是数字"):
        prefix_bounds(prefix)


@given(
    prefix=st.text(alphabet="0123456789", min_size=1, max_size=12),
    code=st.text(alphabet="0123456789", min_size=12, max_size=12),
)
def test_prefix_bounds_hold_exactly_the_codes_with_the_prefix(prefix: str, code: str) -> None:
    lo, hi = prefix_bounds(prefix)
    assert (lo <= code < hi) == code.startswith(prefix)


@pytest.mark.parametrize(
    ("prefix", "valid"),
    [
        ("61", True),
        ("6109", True),
        ("610902", True),
        ("610902001", True),
        ("610902001001", True),
        ("6", False),
        ("610", False),
        ("61090200", False),
        ("", False),
        ("61a9", False),
    ],
)
def test_scope_prefixes_have_a_level_length(prefix: str, valid: bool) -> None:
    assert is_scope_prefix(prefix) is valid

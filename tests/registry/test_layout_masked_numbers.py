"""A masked ID number (an export without full numbers, a copied page) is refused as masked, never repeated;
a number that merely carries a stray star is no masked number and is checked like any other."""

from __future__ import annotations

import pytest

from bangfu.core.cellvalues import MaskedValue
from bangfu.registry.layout import parse_id_number


@pytest.mark.parametrize("value", ["610902********1234", "610902********123x", "6109021990****1234"])
def test_a_masked_id_number_is_refused_without_repeating_it(value: str) -> None:
    with pytest.raises(MaskedValue) as refused:
        parse_id_number(value)
    assert str(refused.value) == "身份证号码已脱敏（含“*”），不能导入"


@pytest.mark.parametrize("value", ["610902199001011234*", "61090219900101123*", "*"])
def test_a_stray_star_is_left_to_the_number_checks(value: str) -> None:
    # The full number must not reach a message as "masked": check_member reports its length or character.
    assert parse_id_number(value) == value

"""The one masking layer: exact outputs for every kind, and safety on missing or short values."""

from __future__ import annotations

import pytest

from bangfu.core.masking import (
    MASKERS,
    mask_bank_account,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
    scrub,
)


def test_id_number_keeps_region_and_last_four() -> None:
    assert mask_id_number("610902199001011234") == "610902********1234"
    assert mask_id_number("61090219900101123X") == "610902********123X"


def test_id_number_is_normalised_before_masking() -> None:
    assert mask_id_number(" 61090219900101123x") == "610902********123X"
    assert mask_id_number("６１０９０２１９９００１０１１２３４") == "610902********1234"


def test_phone_keeps_three_and_four() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_phone("0915-3212345") == "091****2345"


def test_name_for_public_use() -> None:
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("张") == "*"
    assert mask_name(" 李四 ") == "李*"


def test_bank_account_keeps_last_four() -> None:
    assert mask_bank_account("6228480012345678901") == "***************8901"
    assert mask_bank_account("6228 4800 1234 5678 901") == "***************8901"


@pytest.mark.parametrize("masker", list(MASKERS.values()))
@pytest.mark.parametrize("missing", [None, ""])
def test_missing_values_give_empty_string(masker: object, missing: str | None) -> None:
    assert callable(masker)
    assert masker(missing) == ""


def test_values_too_short_to_mask_are_hidden_completely() -> None:
    assert mask_id_number("1234567890") == "**********"
    assert mask_phone("1234567") == "*******"
    assert mask_bank_account("1234") == "****"


def test_maskers_by_kind() -> None:
    expected = {
        "id_number": mask_id_number,
        "phone": mask_phone,
        "name": mask_name,
        "bank_account": mask_bank_account,
        "text": mask_text,
    }
    assert expected == MASKERS


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("zhangsan1990", "zh*********0"),
        ("610902199001011234", "61***************4"),
        ("abcd", "a**d"),
        ("abc", "***"),
        ("", ""),
    ],
)
def test_free_text_keeps_at_most_two_leading_and_one_trailing_character(typed: str, stored: str) -> None:
    assert mask_text(typed) == stored


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("电话 138-1111-2222 联系", "电话 ************* 联系"),
        ("手机 138 1111 2222", "手机 *************"),
        ("+86 13811112222", "***************"),
        ("办公室 0915-3212345", "办公室 ************"),
        ("(0915)3212345", "*************"),
        ("户编号610902001001000321", "户编号******************"),
        # Dates, amounts and short numbers stay readable.
        ("2026-11-29前完成，补助1200元，12.5万元", "2026-11-29前完成，补助1200元，12.5万元"),
    ],
)
def test_scrub_masks_phones_typed_in_groups_landlines_and_long_numbers(text: str, shown: str) -> None:
    assert scrub(text) == shown

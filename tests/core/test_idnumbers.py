"""Identity numbers after GB 11643-1999: normalisation, check character, parsing and its messages."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bangfu.core.idnumbers import IdNumber, InvalidIdNumber, check_digit, is_valid, normalize, parse

TO_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@st.composite
def valid_id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.text("0123456789", min_size=6, max_size=6))
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)))
    sequence = draw(st.integers(min_value=0, max_value=999))
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


# --- known numbers ----------------------------------------------------------------------------------------


def test_standard_example_with_check_character_x_parses_to_its_parts() -> None:
    assert parse("11010519491231002X") == IdNumber(
        number="11010519491231002X", region_prefix="110105", birth_date=date(1949, 12, 31), sex="female"
    )


def test_standard_example_born_1880_parses_as_male() -> None:
    assert parse("440524188001010014") == IdNumber(
        number="440524188001010014", region_prefix="440524", birth_date=date(1880, 1, 1), sex="male"
    )


def test_check_digit_of_known_numbers() -> None:
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"
    assert check_digit("61090219900101123") == "5"  # weighted sum 205, 205 mod 11 = 7 -> "5"


def test_lower_case_x_full_width_digits_and_spaces_are_accepted() -> None:
    assert parse(" 110105 19491231 002x ").number == "11010519491231002X"
    assert parse("１１０１０５１９４９１２３１００２Ｘ").number == "11010519491231002X"
    assert parse("110105\u300019491231\u3000002ｘ").number == "11010519491231002X"


def test_normalize_removes_whitespace_and_converts_full_width() -> None:
    assert normalize("\t６１０９０２ 19900101\u3000123x\n") == "61090219900101123X"


# --- precise messages ---------------------------------------------------------------------------------------


def _message(raw: str, **kwargs: date) -> str:
    with pytest.raises(InvalidIdNumber) as excinfo:
        parse(raw, **kwargs)
    return str(excinfo.value)


def test_empty_number_is_rejected() -> None:
    assert _message(" \u3000") == "身份证号码不能为空"


def test_wrong_length_names_the_actual_length() -> None:
    assert _message("1101051949123100") == "身份证号码长度应为18位，实际为16位"
    assert _message("11010519491231002X1") == "身份证号码长度应为18位，实际为19位"


def test_fifteen_digit_old_number_must_be_upgraded() -> None:
    assert _message("110105491231002") == "这是15位旧身份证号码，请先升级为18位号码后再录入"


def test_illegal_character_names_position_and_character() -> None:
    assert _message("110105A9491231002X") == "身份证号码含非法字符：第7位为“A”"
    assert _message("1101051949123100XX") == "身份证号码含非法字符：第17位为“X”"
    assert _message("11010519491231002Y") == "身份证号码含非法字符：第18位为“Y”"


def test_impossible_birth_date_is_rejected() -> None:
    first17 = "11010519490230002"  # 30 February
    assert _message(first17 + "0") == "身份证号码中的出生日期无效：19490230"


def test_birth_year_before_1800_is_rejected() -> None:
    assert _message("11010517991231002X") == "身份证号码中的出生日期无效：17991231"


def test_birth_after_the_given_day_is_rejected() -> None:
    first17 = "61090220260301123"
    number = first17 + check_digit(first17)
    assert _message(number, on=date(2026, 2, 28)) == "身份证号码中的出生日期无效：2026-03-01 晚于 2026-02-28"
    assert parse(number, on=date(2026, 3, 1)).birth_date == date(2026, 3, 1)


def test_wrong_check_character_names_the_expected_one() -> None:
    assert _message("110105194912310021") == "身份证号码校验码错误，应为X，实际为1"
    assert _message("440524188001010015") == "身份证号码校验码错误，应为4，实际为5"


def test_check_digit_needs_exactly_17_digits() -> None:
    with pytest.raises(InvalidIdNumber, match=r"^计算校验码需要17位数字$"):
        check_digit("1101051949123100")
    with pytest.raises(InvalidIdNumber, match=r"^计算校验码需要17位数字$"):
        check_digit("1101051949123100X")


def test_invalid_id_number_is_a_value_error() -> None:
    assert issubclass(InvalidIdNumber, ValueError)


def test_is_valid_answers_without_raising() -> None:
    assert is_valid("11010519491231002x") is True
    assert is_valid("110105194912310021") is False
    assert is_valid("110105491231002") is False
    assert is_valid("") is False


def test_is_valid_rejects_a_birth_after_the_given_day() -> None:
    first17 = "61090220260301123"
    number = first17 + check_digit(first17)
    assert is_valid(number, on=date(2026, 2, 28)) is False
    assert is_valid(number, on=date(2026, 3, 1)) is True
    # Without a day to compare against, only the date's plausibility is checked.
    assert is_valid(number) is True


# --- properties -----------------------------------------------------------------------------------------


@given(valid_id_numbers())
def test_every_valid_number_round_trips(number: str) -> None:
    parsed = parse(number)
    assert parsed.number == number
    assert parsed.region_prefix == number[:6]
    assert parsed.birth_date == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert parsed.sex == ("male" if int(number[16]) % 2 else "female")
    assert is_valid(number)


@given(valid_id_numbers(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_changing_any_one_of_the_first_17_digits_breaks_the_check(
    number: str, position: int, shift: int
) -> None:
    changed_digit = str((int(number[position]) + shift) % 10)
    changed = number[:position] + changed_digit + number[position + 1 :]
    # MOD 11-2 detects every single substitution: the check character can never still match.
    assert check_digit(changed[:17]) != number[17]
    assert not is_valid(changed)


@given(valid_id_numbers(), st.sampled_from("0123456789X"))
def test_changing_the_check_character_breaks_the_check(number: str, replacement: str) -> None:
    changed = number[:17] + replacement
    if replacement == number[17]:
        assert is_valid(changed)
    else:
        with pytest.raises(
            InvalidIdNumber, match=f"^身份证号码校验码错误，应为{number[17]}，实际为{replacement}$"
        ):
            parse(changed)


@given(st.text())
def test_normalize_is_idempotent(raw: str) -> None:
    assert normalize(normalize(raw)) == normalize(raw)


@given(valid_id_numbers(), st.lists(st.sampled_from([" ", "\u3000", "\t"]), max_size=3))
def test_full_width_input_equals_ascii_input(number: str, spaces: list[str]) -> None:
    full_width = number.translate(TO_FULL_WIDTH)
    typed = "".join(spaces) + full_width[:6] + "".join(spaces) + full_width[6:] + "".join(spaces)
    assert normalize(typed) == number
    assert parse(typed) == parse(number)
    assert parse(number.lower()) == parse(number)

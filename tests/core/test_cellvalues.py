"""Cell values as clerks type them in Excel/WPS: accepted spellings, exact results, exact Chinese refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bangfu.core.cellvalues import (
    CellError,
    MaskedValue,
    cell_text,
    is_blank,
    is_exact_number,
    normalize_text,
    parse_bool,
    parse_choice,
    parse_code,
    parse_date,
    parse_decimal,
    parse_int,
    parse_month,
    parse_phone,
    parse_text,
)

TO_FULL_WIDTH = str.maketrans("0123456789-/.,", "０１２３４５６７８９－／．，")
EXCEL_EPOCH = dt.date(1899, 12, 30)
# python-calamine returns naive datetimes, as Excel stores them.
naive = dt.datetime.fromisoformat
ID_NUMBER_AS_FLOAT = 610902199001011235.0  # what calamine returns for an ID typed into a "General" cell


def _refusal(function: object, value: object, **kwargs: object) -> str:
    with pytest.raises(CellError) as excinfo:
        function(value, **kwargs)  # type: ignore[operator]
    return str(excinfo.value)


# --- blank cells --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [None, "", "   ", "\u3000", "\n", "/", "／", "-", "—", "——", "－", "'", "\u200b"]
)
def test_empty_whitespace_and_placeholder_cells_are_blank_for_every_parser(value: object) -> None:
    assert is_blank(value)
    assert parse_date(value) is None
    assert parse_month(value) is None
    assert parse_decimal(value) is None
    assert parse_int(value) is None
    assert parse_bool(value) is None
    assert parse_phone(value) is None
    assert parse_code(value) is None
    assert parse_text(value) is None
    assert parse_choice(value, {"男": "male"}) is None


@pytest.mark.parametrize("value", [0, 0.0, False, "0", "张三", "-5", "/a"])
def test_zero_false_and_text_are_not_blank(value: object) -> None:
    assert not is_blank(value)


# --- text ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("  张三 ", "张三"),
        ("'610902199001011235", "610902199001011235"),
        ("＇13800138000", "13800138000"),
        ("\ufeff王五\u200b", "王五"),
        (13800138000.0, "13800138000"),
        (6.109021990010112e17, "610902199001011200"),
        (2.5, "2.5"),
        (1e-7, "0.0000001"),
        (42, "42"),
        (Decimal("12.50"), "12.50"),
        (True, "TRUE"),
        (dt.date(2023, 1, 5), "2023-01-05"),
        (naive("2023-01-05 00:00"), "2023-01-05"),
        (naive("2023-01-05 08:30"), "2023-01-05 08:30:00"),
        (dt.time(10, 30), "10:30:00"),
        (None, ""),
    ],
)
def test_cell_text_is_what_the_cell_shows_without_exponent_or_trailing_zero(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_normalize_text_folds_full_width_and_removes_all_whitespace_but_keeps_case() -> None:
    assert normalize_text(" Ａｂ　１２\n３ 元 ") == "Ab123元"
    assert normalize_text("之 子") == "之子"


def test_parse_text_keeps_inner_text_and_refuses_overlong_values_naming_them() -> None:
    assert parse_text("  老城街道 东关村 3组 ") == "老城街道 东关村 3组"
    assert (
        _refusal(parse_text, "一二三四五六", max_length=5) == "内容过长：最多5个字，实际6个字（一二三四五六）"
    )


# --- dates --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2023, 1, 5), dt.date(2023, 1, 5)),
        (naive("2023-01-05 10:30"), dt.date(2023, 1, 5)),
        (44931, dt.date(2023, 1, 5)),
        (44931.0, dt.date(2023, 1, 5)),
        (44931.75, dt.date(2023, 1, 5)),
        ("44931", dt.date(2023, 1, 5)),
        (1, dt.date(1900, 1, 1)),
        (59, dt.date(1900, 2, 28)),
        (61, dt.date(1900, 3, 1)),
        ("2023-1-5", dt.date(2023, 1, 5)),
        ("2023/01/05", dt.date(2023, 1, 5)),
        ("2023.01.05", dt.date(2023, 1, 5)),
        ("2023 - 1 - 5", dt.date(2023, 1, 5)),
        ("2023年1月5日", dt.date(2023, 1, 5)),
        ("2023年01月05号", dt.date(2023, 1, 5)),
        ("2023年1月5", dt.date(2023, 1, 5)),
        ("20230105", dt.date(2023, 1, 5)),
        (20230105, dt.date(2023, 1, 5)),
        (20230105.0, dt.date(2023, 1, 5)),
        ("２０２３－０１－０５", dt.date(2023, 1, 5)),
        ("２０２３年１月５日", dt.date(2023, 1, 5)),
        ("2023/1/5 0:00:00", dt.date(2023, 1, 5)),
        ("2023-01-05T08:30", dt.date(2023, 1, 5)),
        ("'2023-01-05", dt.date(2023, 1, 5)),
        # month precision: the first day of the month
        ("202301", dt.date(2023, 1, 1)),
        (202301, dt.date(2023, 1, 1)),
        ("2023-01", dt.date(2023, 1, 1)),
        ("2023/1", dt.date(2023, 1, 1)),
        ("2023年1月", dt.date(2023, 1, 1)),
        ("2023年1", dt.date(2023, 1, 1)),
    ],
)
def test_parse_date_accepts_every_common_spelling(value: object, expected: dt.date) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2023-13-05", "无法识别的日期：2023-13-05"),
        ("2023-02-30", "无法识别的日期：2023-02-30"),
        ("2023年2月30日", "无法识别的日期：2023年2月30日"),
        ("20231305", "无法识别的日期：20231305"),
        ("202313", "无法识别的日期：202313"),
        ("2023-1/5", "无法识别的日期：2023-1/5"),
        ("1/5/2023", "无法识别的日期：1/5/2023"),
        ("23-1-5", "无法识别的日期：23-1-5"),
        ("去年春天", "无法识别的日期：去年春天"),
        (60, "无法识别的日期：60"),  # Excel's non-existent 1900-02-29
        (0, "无法识别的日期：0"),
        (-3, "无法识别的日期：-3"),
        (150000, "无法识别的日期：150000"),
        (dt.time(10, 30), "无法识别的日期：10:30:00"),
        (dt.timedelta(hours=5), "无法识别的日期：5:00:00"),
        (True, "无法识别的日期：TRUE"),
        (2023, "日期不完整，只有年份：2023"),
        ("2023", "日期不完整，只有年份：2023"),
        ("2023年", "日期不完整，只有年份：2023年"),
        ("1023-01-01", "日期超出合理范围（1900年至2199年）：1023-01-01"),
        ("30230101", "日期超出合理范围（1900年至2199年）：30230101"),
        (dt.date(1899, 12, 31), "日期超出合理范围（1900年至2199年）：1899-12-31"),
    ],
)
def test_parse_date_refuses_with_a_message_naming_the_value(value: object, message: str) -> None:
    assert _refusal(parse_date, value) == message


def test_a_four_digit_number_is_a_year_typed_alone_not_a_serial_of_1905() -> None:
    assert _refusal(parse_date, 1918) == "日期不完整，只有年份：1918"
    assert parse_date(2200) == dt.date(1906, 1, 8)  # serial 2200


def test_parse_date_with_on_refuses_later_dates_and_accepts_that_day() -> None:
    on = dt.date(2025, 6, 1)
    assert parse_date("2025-06-01", on=on) == on
    assert _refusal(parse_date, "2030-01-01", on=on) == "日期 2030-01-01 晚于 2025-06-01"


def test_parse_month_gives_the_first_of_the_month_also_for_full_dates() -> None:
    assert parse_month("202307") == dt.date(2023, 7, 1)
    assert parse_month(202307.0) == dt.date(2023, 7, 1)
    assert parse_month("2023年7月") == dt.date(2023, 7, 1)
    assert parse_month(dt.date(2023, 7, 19)) == dt.date(2023, 7, 1)
    assert parse_month("2023-07-19") == dt.date(2023, 7, 1)
    assert _refusal(parse_month, "2023-00") == "无法识别的日期：2023-00"


dates = st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2199, 12, 31))


@given(st.dates(min_value=dt.date(1906, 1, 8), max_value=dt.date(2199, 12, 31)))
def test_excel_serial_numbers_round_trip(day: dt.date) -> None:
    # Serials 1900–2199 (days in 1905 and early 1906) are read as a lone year instead, see below.
    serial = (day - EXCEL_EPOCH).days
    assert parse_date(serial) == day
    assert parse_date(float(serial) + 0.5) == day


@given(
    dates,
    st.sampled_from(
        ["{y}-{m}-{d}", "{y}/{m:02d}/{d:02d}", "{y}.{m}.{d}", "{y}年{m}月{d}日", "{y}{m:02d}{d:02d}"]
    ),
)
def test_text_dates_round_trip_in_half_and_full_width(day: dt.date, pattern: str) -> None:
    text = pattern.format(y=day.year, m=day.month, d=day.day)
    assert parse_date(text) == day
    assert parse_date(text.translate(TO_FULL_WIDTH)) == day


@given(dates)
def test_month_forms_round_trip_to_the_first_day(day: dt.date) -> None:
    first = day.replace(day=1)
    assert parse_month(f"{day.year}{day.month:02d}") == first
    assert parse_month(int(f"{day.year}{day.month:02d}")) == first
    assert parse_date(f"{day.year}年{day.month}月") == first


# --- amounts ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1,234.5", "1234.50"),
        ("1，234元", "1234.00"),
        ("１２３", "123.00"),
        ("¥300", "300.00"),
        ("￥300.5", "300.50"),
        ("人民币 300 元", "300.00"),
        (" 300 元 ", "300.00"),
        ("12,345,678.9", "12345678.90"),
        (".5", "0.50"),
        ("7.", "7.00"),
        ("0.125", "0.13"),  # half-up, as accountants round
        ("0.124", "0.12"),
        (0.1, "0.10"),
        (1234.5600000000002, "1234.56"),  # a float left over from a formula
        (300, "300.00"),
        (Decimal("3.456"), "3.46"),
        ("'500", "500.00"),
        ("0", "0.00"),
    ],
)
def test_parse_decimal_accepts_yuan_amounts_as_typed(value: object, expected: str) -> None:
    result = parse_decimal(value)
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3万", "金额请以元为单位填写数字，不能带“万”：3万"),
        ("1.5万元", "金额请以元为单位填写数字，不能带“万元”：1.5万元"),
        ("5千", "金额请以元为单位填写数字，不能带“千”：5千"),
        ("1,5", "无法识别的数字：1,5"),
        ("1,2345", "无法识别的数字：1,2345"),
        ("12.3.4", "无法识别的数字：12.3.4"),
        ("1.2e3", "无法识别的数字：1.2e3"),
        ("三百", "无法识别的数字：三百"),
        ("元", "无法识别的数字：元"),
        (True, "无法识别的数字：TRUE"),
        (dt.date(2023, 1, 5), "无法识别的数字：2023-01-05"),
        (float("nan"), "无法识别的数字：nan"),
        ("-5", "不能为负数：-5"),
        (-0.5, "不能为负数：-0.5"),
        ("12345678901.5", "数字过大：12345678901.5"),
    ],
)
def test_parse_decimal_refuses_with_a_message_naming_the_value(value: object, message: str) -> None:
    assert _refusal(parse_decimal, value) == message


def test_parse_decimal_accepts_negatives_only_when_minimum_allows_them() -> None:
    assert parse_decimal("-5", minimum=Decimal(-100)) == Decimal("-5.00")
    assert parse_decimal("\u22125", minimum=Decimal("-Infinity")) == Decimal("-5.00")
    assert parse_decimal("-1,234.5元", minimum=-10000) == Decimal("-1234.50")
    assert _refusal(parse_decimal, "-500", minimum=-100) == "不能小于-100：-500"
    assert _refusal(parse_decimal, "0.5", minimum=1) == "不能小于1：0.5"
    assert _refusal(parse_decimal, "101", maximum=100) == "不能大于100：101"


def test_negative_zero_is_zero() -> None:
    assert str(parse_decimal("-0")) == "0.00"
    assert str(parse_decimal(-0.0)) == "0.00"


def test_parse_decimal_rounds_to_the_requested_places() -> None:
    assert parse_decimal("2.5", places=0) == Decimal(3)
    assert parse_decimal("1.23456", places=4) == Decimal("1.2346")


@given(st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2))
def test_amounts_round_trip_with_separators_currency_and_full_width(amount: Decimal) -> None:
    grouped = f"{amount:,.2f}"
    assert parse_decimal(grouped) == amount
    assert parse_decimal(f"¥{grouped}元") == amount
    assert parse_decimal(grouped.translate(TO_FULL_WIDTH) + "元") == amount
    assert parse_decimal(float(amount)) == amount


# --- whole numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3), (3, 3), (3.0, 3), ("3.0", 3), ("１２", 12), ("1,000", 1000), (" 4 ", 4), (Decimal("5.00"), 5)],
)
def test_parse_int_accepts_whole_numbers_in_any_form(value: object, expected: int) -> None:
    assert parse_int(value) == expected


def test_parse_int_strips_the_units_the_caller_names() -> None:
    assert parse_int("3人", units=["人"]) == 3
    assert parse_int("6个月", units=["月", "个月"]) == 6
    assert _refusal(parse_int, "3人") == "应为整数：3人"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2.5", "应为整数：2.5"),
        (2.5, "应为整数：2.5"),
        ("三", "应为整数：三"),
        (True, "应为整数：TRUE"),
        (dt.date(2023, 1, 1), "应为整数：2023-01-01"),
        ("-1", "不能为负数：-1"),
    ],
)
def test_parse_int_refuses_with_a_message_naming_the_value(value: object, message: str) -> None:
    assert _refusal(parse_int, value) == message


def test_parse_int_bounds() -> None:
    assert parse_int("-3", minimum=-5) == -3
    assert _refusal(parse_int, "0", minimum=1) == "不能小于1：0"
    assert _refusal(parse_int, "13", maximum=12) == "不能大于12：13"


# --- yes/no -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["是", "√", "✓", "✔", "1", "Y", "y", "Ｙ", "yes", "YES", "true", "True", "有", " 是 ", 1, 1.0, True],
)
def test_parse_bool_true_spellings(value: object) -> None:
    assert parse_bool(value) is True


@pytest.mark.parametrize(
    "value", ["否", "×", "✗", "✘", "0", "N", "n", "Ｎ", "no", "false", "FALSE", "无", "没有", 0, 0.0, False]
)
def test_parse_bool_false_spellings(value: object) -> None:
    assert parse_bool(value) is False


@pytest.mark.parametrize("value", ["x", "X", "是的吧", "2", 2, "不详"])
def test_parse_bool_refuses_ambiguous_values_naming_them(value: object) -> None:
    assert _refusal(parse_bool, value) == f"无法识别的是否值：{cell_text(value)}（请填“是”或“否”）"


# --- choices ------------------------------------------------------------------------------------------------

SEX = {"男": "male", "男性": "male", "女": "female", "女性": "female"}
RELATION = {"户主": "head", "配偶": "spouse", "之子": "son"}
GRADE = {"A": "a", "B": "b", "C": "c", "D": "d"}


def test_parse_choice_maps_every_spelling_to_its_code() -> None:
    assert parse_choice("男", SEX) == "male"
    assert parse_choice(" 女性\u3000", SEX) == "female"
    assert parse_choice("之 子", RELATION) == "son"


def test_parse_choice_folds_full_width_and_latin_case() -> None:
    assert parse_choice("ｃ", GRADE) == "c"
    assert parse_choice("d", GRADE) == "d"


def test_parse_choice_ignores_a_leading_code_number_as_systems_export_it() -> None:
    assert parse_choice("1-户主", RELATION) == "head"
    assert parse_choice("02 配偶", RELATION) == "spouse"
    assert parse_choice("3、之子", RELATION) == "son"


def test_parse_choice_refusal_lists_one_spelling_per_code() -> None:
    assert _refusal(parse_choice, "男的", choices=SEX) == "无法识别的取值：男的（可填：男、女）"
    assert (
        _refusal(parse_choice, "9-外甥", choices=RELATION)
        == "无法识别的取值：9-外甥（可填：户主、配偶、之子）"
    )


# --- phones -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086-13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        (13800138000, "13800138000"),
        (13800138000.0, "13800138000"),
        ("'13800138000", "13800138000"),
        ("0915-1234567", "09151234567"),
        ("09151234567", "09151234567"),
        ("(0915)1234567", "09151234567"),
        ("（0915）12345678", "091512345678"),
        ("010-12345678", "01012345678"),
        (9151234567, "09151234567"),  # a landline typed into a number cell lost its leading zero
        (1012345678.0, "01012345678"),
    ],
)
def test_parse_phone_accepts_mobiles_and_landlines_with_area_code(value: object, expected: str) -> None:
    assert parse_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2345678", "固定电话须带区号：2345678"),
        ("12345678901", "无法识别的电话号码：12345678901"),
        ("1380013800", "无法识别的电话号码：1380013800"),
        ("9151234567", "无法识别的电话号码：9151234567"),  # typed as text, the zero was never there
        ("13800138000/13900139000", "只能填写一个电话号码：13800138000/13900139000"),
        ("13800138000 转 123", "无法识别的电话号码：13800138000 转 123"),
        ("无", "无法识别的电话号码：无"),
        (True, "无法识别的电话号码：TRUE"),
    ],
)
def test_parse_phone_refuses_with_a_message_naming_the_value(value: object, message: str) -> None:
    assert _refusal(parse_phone, value) == message


# --- codes (ID numbers, household numbers) ------------------------------------------------------------------


def test_parse_code_returns_the_digits_as_typed_in_a_text_cell() -> None:
    assert parse_code("'610902199001011235") == "610902199001011235"
    assert parse_code(" 610902 19900101 123x ") == "61090219900101123x"
    assert parse_code("６１０９０２１９９００１０１１２３Ｘ") == "61090219900101123X"
    assert parse_code(6109020010010001) == "6109020010010001"  # an int is exact


def test_an_id_number_excel_stored_as_a_float_is_refused_not_silently_wrong() -> None:
    assert not is_exact_number(ID_NUMBER_AS_FLOAT)
    expected = "身份证号码被Excel存成了数字，已丢失末尾数字，请将该列设为文本格式后重新填写"
    assert _refusal(parse_code, ID_NUMBER_AS_FLOAT) == expected
    # the same number copied from the screen as scientific text
    assert _refusal(parse_code, "6.10902E+17") == expected
    assert _refusal(parse_code, "６.１０９０２Ｅ＋１７") == expected


def test_parse_code_names_the_column_in_its_refusal() -> None:
    assert _refusal(parse_code, 6.1090200100100006e19, label="户编号") == (
        "户编号被Excel存成了数字，已丢失末尾数字，请将该列设为文本格式后重新填写"
    )
    assert _refusal(parse_code, 12.5, label="户编号") == "户编号不应含小数：12.5"


def test_a_short_code_stored_as_a_float_is_still_exact() -> None:
    assert is_exact_number(6109020010010001.0)
    assert parse_code(6109020010010001.0) == "6109020010010001"


@pytest.mark.parametrize("value", ["138****5678", "0915-***4567"])
def test_a_masked_phone_is_refused_as_masked_without_repeating_it(value: str) -> None:
    with pytest.raises(MaskedValue, match="电话号码已脱敏") as refused:
        parse_phone(value)
    assert "5678" not in str(refused.value)
    assert "4567" not in str(refused.value)


@pytest.mark.parametrize("value", ["0915-3212345*801", "*", "13812345678*"])
def test_a_star_alone_does_not_make_a_phone_masked(value: str) -> None:
    with pytest.raises(CellError) as refused:
        parse_phone(value)
    assert not isinstance(refused.value, MaskedValue)

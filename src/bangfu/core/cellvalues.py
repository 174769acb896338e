"""Typed values from spreadsheet cells as county clerks type them in Excel or WPS.

A cell arrives as whatever python-calamine returns: ``str``, ``int``, ``float``, ``bool``, ``date``,
``datetime``, ``time``, ``timedelta``, ``""`` for an empty cell (and for an error cell such as ``#N/A``), or
``None`` when a caller passes a missing value. Each ``parse_*`` function turns one cell into one typed value,
returns ``None`` for a blank cell and raises ``CellError`` with a Chinese message naming the bad value, so the
importer can report "row 12, column E: 无法识别的日期：2023-13-05" without guessing.

What people type differently but mean the same is accepted: full-width digits and punctuation (NFKC), spaces,
a leading apostrophe (Excel's "store as text" mark when it survives as a character), thousands separators,
``¥`` and ``元``, Excel serial dates, ``2023年1月5日`` … What is ambiguous is refused with the reason, never
guessed: ``3万`` (which unit?), ``1,5`` (a decimal comma or a missing digit?), ``2023`` in a date column
(which day?), an 18-digit ID number Excel already turned into a float (its last digits are gone).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _


class CellError(ValueError):
    """A cell's value cannot be used; ``str(exc)`` is a Chinese message for the person who typed it."""


class MaskedValue(CellError):
    """A number shown masked (``610902********1234``, ``138****5678``): copied from a masked page or export,
    it cannot be imported — the digits behind the stars are gone."""


def refuse_masked(text: str, *, shape: re.Pattern[str], label: str) -> None:
    """Raise ``MaskedValue`` when ``text`` has the exact ``shape`` of a masked number (``MASKED_ID_NUMBER``,
    ``MASKED_PHONE``). The value is not repeated: a cell that only looks masked may hold more digits."""
    if "*" in text and shape.fullmatch(text):
        raise MaskedValue(_("%(label)s已脱敏（含“*”），不能导入") % {"label": label})


# How masked numbers look (``core.masking`` and other systems' exports): an 18-character ID number with
# at least four stars among its digits, an 11- or 12-digit phone number with at least three.
MASKED_ID_NUMBER = re.compile(r"(?=.{18}$)[0-9]*\*{4,}[0-9]*[0-9X]")
MASKED_PHONE = re.compile(r"(?=.{11,12}$)[0-9]+\*{3,}[0-9]+")

# Excel counts days from 1899-12-30 for serials from 61 on; serials 1–59 count from 1899-12-31 because Excel
# pretends 1900 was a leap year (serial 60 is the non-existent 1900-02-29, refused).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_LEAP_BUG_SERIAL = 60
# Dates outside these years are typing mistakes in this domain (a birth in 1023, a programme ending in 3023).
MIN_YEAR = 1900
MAX_YEAR = 2199
_MAX_SERIAL = (dt.date(MAX_YEAR, 12, 31) - _EXCEL_EPOCH).days
# Integers from 2**53 on cannot be told apart from their neighbours once stored as a binary float, which is
# how Excel stores every number: an 18-digit ID number typed into a "General" cell loses its last digits.
MAX_EXACT_FLOAT_INTEGER = 2**53

# Characters that are invisible but survive copy-and-paste from web pages and chat apps.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
# A lone dash or slash is how forms say "nothing to fill in" (不适用); it is blank, not a value.
_PLACEHOLDERS = frozenset({"/", "\\", "-", "--", "—", "——", "–", "―", "──"})
# Every text that is blank starts with one of these (after outer whitespace): ``is_blank``'s fast path.
_BLANKISH_INITIALS = frozenset("/\\-—–―─－／＼\u200b\u200c\u200d\u2060\ufeff'＇")
_APOSTROPHES = ("'", "＇")
_WHITESPACE = re.compile(r"\s+")
# NFKC keeps U+2212 MINUS SIGN, which some input methods produce for "-".
_MINUS = str.maketrans({"\u2212": "-"})


# --- text ---------------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """The text a cell shows, for messages and for text columns; ``""`` for a blank cell.

    Outer whitespace, invisible characters and a leading apostrophe are removed. An integral number becomes
    its digits without an exponent or ``.0`` (``13800138000.0`` -> ``"13800138000"``); whether those digits
    are still exact is ``is_exact_number``'s question. Dates print as ISO ``YYYY-MM-DD``.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.translate(_INVISIBLE).strip()
        if text.startswith(_APOSTROPHES):
            text = text[1:].lstrip()
        return text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    # repr is the shortest text that reads back as the same float, so 6.109021990010112e+17 prints as
    # 610902199001011200 (the digits Excel shows) and 0.1 as 0.1, not the float's exact binary expansion.
    number = Decimal(repr(value))
    if value.is_integer():
        number = number.quantize(Decimal(1))
    return format(number, "f")


def normalize_text(value: Any) -> str:
    """``cell_text`` folded for comparison: NFKC (full-width letters, digits and punctuation to ASCII) and no
    whitespace at all (also the ideographic space and line breaks inside a cell). Case is kept."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", cell_text(value)))


def is_blank(value: Any) -> bool:
    """Whether a cell holds nothing: empty, only whitespace, or a placeholder dash or slash."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return True
        # Placeholders are short and start with a dash or slash; other cells need no normalisation to tell.
        if len(text) > 4 or text[0] not in _BLANKISH_INITIALS:
            return False
        text = normalize_text(text)
        return text == "" or text in _PLACEHOLDERS
    return False


def parse_text(value: Any, *, max_length: int | None = None) -> str | None:
    """Free text (names, addresses, notes): outer whitespace removed, inner text kept as typed."""
    if is_blank(value):
        return None
    text = cell_text(value)
    if max_length is not None and len(text) > max_length:
        raise CellError(
            _("内容过长：最多%(maximum)d个字，实际%(length)d个字（%(value)s）")
            % {"maximum": max_length, "length": len(text), "value": _shorten(text)}
        )
    return text


def is_exact_number(value: Any) -> bool:
    """False for a float so large that its integer digits may not be the ones typed (see ``parse_code``)."""
    return not (isinstance(value, float) and abs(value) >= MAX_EXACT_FLOAT_INTEGER)


_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")


def parse_code(value: Any, *, label: str | None = None) -> str | None:
    """A code that is digits but not a number: ID numbers, household numbers, bank accounts.

    Returns the text without any whitespace, full-width characters folded (NFKC); validating the code is the
    caller's job. A float too large to be exact, or its scientific text (``6.10902E+17`` copied from the
    screen), is refused: the last digits are lost and must be typed again in a text cell. ``label`` names the
    column in that message (default 身份证号码).
    """
    if is_blank(value):
        return None
    what = label if label is not None else _("身份证号码")
    if not is_exact_number(value) or (
        isinstance(value, str) and _SCIENTIFIC.fullmatch(normalize_text(value))
    ):
        raise CellError(
            _("%(label)s被Excel存成了数字，已丢失末尾数字，请将该列设为文本格式后重新填写") % {"label": what}
        )
    if isinstance(value, float) and not value.is_integer():
        raise CellError(_("%(label)s不应含小数：%(value)s") % {"label": what, "value": cell_text(value)})
    return normalize_text(value)


# --- dates --------------------------------------------------------------------------------------------------

# Year, month and day with one separator used twice: 2023-1-5, 2023/01/05, 2023.1.5; an optional time of day
# follows when a datetime was exported as text (2023/1/5 0:00:00, 2023-01-05T08:30).
_TIME = r"(?:\s*[ T]\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_YMD = re.compile(r"(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})" + _TIME)
_YMD_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_YM = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})")
_YM_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月?")
_YEAR_ONLY = re.compile(r"\d{4}\s*年")
_NUMERIC = re.compile(r"\d+(?:\.\d+)?")


def parse_date(value: Any, *, on: dt.date | None = None) -> dt.date | None:
    """A calendar date from any of the ways a date is typed; month precision gives the first of the month.

    Accepted: ``date``/``datetime`` cells, Excel serial numbers (``44931``, ``44931.5``), ``2023-1-5``,
    ``2023/01/05``, ``2023.1.5``, ``2023年1月5日``, ``20230105`` (text or number), and month forms ``202301``,
    ``2023-01``, ``2023年1月`` (-> 2023-01-01), all also in full-width digits. ``on`` (optional) refuses dates
    after that day (a birth or a joining date cannot be in the future).
    """
    result = _parse_date(value, month_only=False)
    if result is not None and on is not None and result > on:
        raise CellError(_("日期 %(date)s 晚于 %(on)s") % {"date": result.isoformat(), "on": on.isoformat()})
    return result


def parse_month(value: Any) -> dt.date | None:
    """A month (``202301``, ``2023-01``, ``2023年1月``, or any full date) as the first day of that month."""
    return _parse_date(value, month_only=True)


def _parse_date(value: Any, *, month_only: bool) -> dt.date | None:
    if is_blank(value):
        return None
    shown = cell_text(value)
    if isinstance(value, dt.datetime):
        result = value.date()
    elif isinstance(value, dt.date):
        result = value
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        result = _date_from_number(value, shown=shown)
    elif isinstance(value, str):
        result = _date_from_text(shown)
    else:
        # A bool, a time of day or a duration is not a day.
        raise CellError(_("无法识别的日期：%(value)s") % {"value": shown})
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise CellError(
            _("日期超出合理范围（%(first)d年至%(last)d年）：%(value)s")
            % {"first": MIN_YEAR, "last": MAX_YEAR, "value": shown}
        )
    return result.replace(day=1) if month_only else result


def _date_from_text(text: str) -> dt.date:
    folded = unicodedata.normalize("NFKC", text).strip()
    if _NUMERIC.fullmatch(folded):
        return _date_from_number(Decimal(folded), shown=text)
    if match := _YMD.fullmatch(folded):
        return _make_date(int(match[1]), int(match[3]), int(match[4]), shown=text)
    if match := _YMD_CHINESE.fullmatch(folded):
        return _make_date(int(match[1]), int(match[2]), int(match[3]), shown=text)
    if match := (_YM.fullmatch(folded) or _YM_CHINESE.fullmatch(folded)):
        return _make_date(int(match[1]), int(match[2]), 1, shown=text)
    if _YEAR_ONLY.fullmatch(folded):
        raise CellError(_("日期不完整，只有年份：%(value)s") % {"value": text})
    raise CellError(_("无法识别的日期：%(value)s") % {"value": text})


def _date_from_number(number: float | Decimal, *, shown: str) -> dt.date:
    if not math.isfinite(number) or number < 0:
        raise CellError(_("无法识别的日期：%(value)s") % {"value": shown})
    whole = int(number)
    if whole == number:
        digits = str(whole)
        # 8 and 6 digits starting with a plausible year are a date or a month typed without separators
        # (20230105, 202301). Serials of dates up to 2199 stay below 110000, so there is no ambiguity.
        if len(digits) == 8:
            return _make_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]), shown=shown)
        if len(digits) == 6 and int(digits[:4]) >= MIN_YEAR:
            return _make_date(int(digits[:4]), int(digits[4:]), 1, shown=shown)
        if MIN_YEAR <= whole <= MAX_YEAR:
            # As a serial this would be a day in 1905 or 1906; a clerk who types 2023 means a year.
            raise CellError(_("日期不完整，只有年份：%(value)s") % {"value": shown})
    if whole < 1 or whole > _MAX_SERIAL or whole == _EXCEL_LEAP_BUG_SERIAL:
        raise CellError(_("无法识别的日期：%(value)s") % {"value": shown})
    # A fraction is the time of day; the date is the whole part.
    offset = whole if whole > _EXCEL_LEAP_BUG_SERIAL else whole + 1
    return _EXCEL_EPOCH + dt.timedelta(days=offset)


def _make_date(year: int, month: int, day: int, *, shown: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError(_("无法识别的日期：%(value)s") % {"value": shown}) from None


# --- numbers ------------------------------------------------------------------------------------------------

# Digits with correctly placed thousands separators, or plain digits; an optional fraction.
_AMOUNT = re.compile(r"(?P<sign>[+-]?)(?P<int>\d{1,3}(?:,\d{3})+|\d*)(?:\.(?P<frac>\d*))?")
_CURRENCY_PREFIXES = ("¥", "RMB", "rmb", "人民币")
_YUAN = "元"
# Units a clerk might add that change the magnitude; refused rather than converted, because "3万" in a column
# headed "（元）" is far more often a slip than an instruction.
_OTHER_UNITS = ("万元", "千元", "百元", "亿元", "万", "千", "百", "亿", "角", "分", "w", "W", "k", "K")


def parse_decimal(
    value: Any,
    *,
    places: int = 2,
    minimum: Decimal | int | None = None,
    maximum: Decimal | int | None = None,
    max_digits: int = 12,
) -> Decimal | None:
    """An amount in yuan, rounded half-up to ``places`` decimals.

    Accepted: numbers, ``1,234.5``, ``1，234元``, ``１２３``, ``¥300``, `` 300 元 ``. Refused: other units
    (``3万``), misplaced separators (``1,5``), and negatives unless ``minimum`` allows them (``minimum=None``
    means "not below zero"; pass ``Decimal("-Infinity")`` for no bound). ``max_digits`` bounds the total
    digits as the database column does.
    """
    if is_blank(value):
        return None
    shown = cell_text(value)
    number: Decimal
    if isinstance(value, bool):
        raise CellError(_("无法识别的数字：%(value)s") % {"value": shown})
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellError(_("无法识别的数字：%(value)s") % {"value": shown})
        # The shortest repr: a cell holding 0.1 gives 0.1, not 0.1000000000000000055511151231257827.
        number = Decimal(repr(value))
    elif isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str):
        number = _decimal_from_text(shown)
    else:
        raise CellError(_("无法识别的数字：%(value)s") % {"value": shown})
    if not number.is_finite():
        raise CellError(_("无法识别的数字：%(value)s") % {"value": shown})
    try:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise CellError(_("数字过大：%(value)s") % {"value": shown}) from None
    if number.is_zero():
        number = abs(number)  # "-0" is zero, not a negative amount
    if len(number.as_tuple().digits) > max_digits:
        raise CellError(_("数字过大：%(value)s") % {"value": shown})
    _check_range(number, shown=shown, minimum=minimum, maximum=maximum)
    return number


def _decimal_from_text(shown: str) -> Decimal:
    text = _WHITESPACE.sub("", unicodedata.normalize("NFKC", shown)).translate(_MINUS)
    for prefix in _CURRENCY_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    for unit in _OTHER_UNITS:
        if text.endswith(unit) and _AMOUNT.fullmatch(text[: -len(unit)]):
            raise CellError(
                _("金额请以元为单位填写数字，不能带“%(unit)s”：%(value)s") % {"unit": unit, "value": shown}
            )
    text = text.removesuffix(_YUAN)
    match = _AMOUNT.fullmatch(text)
    if not match or not (match["int"] or match["frac"]):
        raise CellError(_("无法识别的数字：%(value)s") % {"value": shown})
    return Decimal(f"{match['sign']}{(match['int'] or '0').replace(',', '')}.{match['frac'] or '0'}")


def _check_range(
    number: Decimal | int, *, shown: str, minimum: Decimal | int | None, maximum: Decimal | int | None
) -> None:
    if minimum is None and number < 0:
        raise CellError(_("不能为负数：%(value)s") % {"value": shown})
    if minimum is not None and number < minimum:
        raise CellError(_("不能小于%(minimum)s：%(value)s") % {"minimum": minimum, "value": shown})
    if maximum is not None and number > maximum:
        raise CellError(_("不能大于%(maximum)s：%(value)s") % {"maximum": maximum, "value": shown})


def parse_int(
    value: Any,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    units: Iterable[str] = (),
) -> int | None:
    """A whole number (a count, months, a year). ``3.0`` and ``"3.0"`` are 3; ``2.5`` is refused.

    ``units`` are suffixes people add that say no more than the column header (``人``, ``个月``). Negatives
    are refused unless ``minimum`` allows them, as in ``parse_decimal``.
    """
    if is_blank(value):
        return None
    shown = cell_text(value)
    number: Decimal
    if isinstance(value, bool):
        raise CellError(_("应为整数：%(value)s") % {"value": shown})
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float) and math.isfinite(value):
        number = Decimal(repr(value))
    elif isinstance(value, Decimal) and value.is_finite():
        number = value
    elif isinstance(value, str):
        text = _WHITESPACE.sub("", unicodedata.normalize("NFKC", shown)).translate(_MINUS)
        for unit in sorted(units, key=len, reverse=True):
            if unit and text.endswith(unit):
                text = text[: -len(unit)]
                break
        match = _AMOUNT.fullmatch(text)
        if not match or not match["int"]:
            raise CellError(_("应为整数：%(value)s") % {"value": shown})
        number = Decimal(f"{match['sign']}{match['int'].replace(',', '')}.{match['frac'] or '0'}")
    else:
        raise CellError(_("应为整数：%(value)s") % {"value": shown})
    if number != number.to_integral_value():
        raise CellError(_("应为整数：%(value)s") % {"value": shown})
    whole = int(number)
    _check_range(whole, shown=shown, minimum=minimum, maximum=maximum)
    return whole


# --- flags and choices --------------------------------------------------------------------------------------

_TRUE = frozenset({"是", "√", "✓", "✔", "☑", "1", "y", "yes", "true", "t", "有", "对"})
# A Latin "x" is not here: some forms tick a box with it, others cross it out.
_FALSE = frozenset({"否", "×", "✗", "✘", "☒", "╳", "0", "n", "no", "false", "f", "无", "没有", "不是", "错"})


def parse_bool(value: Any) -> bool | None:
    """Yes/no: 是/否, √/×, ✓/✗, 1/0, Y/N, true/false, 有/无 (full-width forms too; case-insensitive)."""
    if isinstance(value, bool):
        return value
    if is_blank(value):
        return None
    if isinstance(value, int | float | Decimal) and value in (0, 1):
        return bool(value)
    text = normalize_text(value).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(_("无法识别的是否值：%(value)s（请填“是”或“否”）") % {"value": cell_text(value)})


# "1-户主", "01 户主", "2、配偶": some systems export the code number in front of the label.
_LEADING_CODE = re.compile(r"\d{1,3}[-.、:：_]?(?=\D)")


def parse_choice(value: Any, choices: Mapping[str, str]) -> str | None:
    """The stored code for a value from a code table.

    ``choices`` maps every accepted spelling, already passed through ``normalize_text``, to the stored code.
    The cell is normalised the same way; Latin letters are compared case-insensitively, and a leading code
    number as some systems export it (``1-户主``, ``01 户主``) is ignored when the rest is a known spelling.
    """
    if is_blank(value):
        return None
    text = normalize_text(value)
    code = choices.get(text)
    if code is not None:
        return code
    folded = text.casefold()
    for spelling, candidate in choices.items():
        if spelling.casefold() == folded:
            return candidate
    prefix = _LEADING_CODE.match(text)
    if prefix:
        code = choices.get(text[prefix.end() :])
        if code is not None:
            return code
    # One spelling per code in the message (the first given), so the hint stays short.
    shown: dict[str, str] = {}
    for spelling, candidate in choices.items():
        shown.setdefault(candidate, spelling)
    raise CellError(
        _("无法识别的取值：%(value)s（可填：%(allowed)s）")
        % {"value": cell_text(value), "allowed": "、".join(shown.values())}
    )


# --- phones -------------------------------------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
# Area code 010/02x + 8 digits, or a four-digit area code + 7 or 8 digits.
_LANDLINE = re.compile(r"0(?:[12]\d{9}|[3-9]\d{9,10})")
_LOCAL_ONLY = re.compile(r"[2-9]\d{6,7}")
_TWO_NUMBERS = re.compile(r"\d{7,}\D+\d{7,}")
_PHONE_SEPARATORS = re.compile(r"[\s\-‐‑–—()（）]")


def parse_phone(value: Any) -> str | None:
    """A mainland mobile (``13800138000``) or a landline with area code (``09151234567``), digits only.

    Spaces, dashes and brackets are removed (``0915-1234567``, ``(0915)1234567``, ``138 0013 8000``), and a
    country code ``+86``/``0086``/``86`` before a mobile number. A landline typed into a number cell loses its
    leading zero (``9151234567``); that zero is put back, since a number cell cannot hold it.
    """
    if is_blank(value):
        return None
    shown = cell_text(value)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CellError(_("无法识别的电话号码：%(value)s") % {"value": shown})
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", shown))
    refuse_masked(text, shape=MASKED_PHONE, label=_("电话号码"))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and _MOBILE.fullmatch(text[len(prefix) :]):
            text = text[len(prefix) :]
            break
    if _MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text):
        return text
    if isinstance(value, int | float) and _LANDLINE.fullmatch("0" + text):
        return "0" + text
    if _LOCAL_ONLY.fullmatch(text):
        raise CellError(_("固定电话须带区号：%(value)s") % {"value": shown})
    if _TWO_NUMBERS.search(text):
        raise CellError(_("只能填写一个电话号码：%(value)s") % {"value": shown})
    raise CellError(_("无法识别的电话号码：%(value)s") % {"value": shown})


def _shorten(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[:limit] + "…"

"""Resident identity numbers (公民身份号码) after GB 11643-1999.

An 18-character number: 6-digit region code where the number was issued, 8-digit birth date (YYYYMMDD),
3-digit sequence (odd for men, even for women) and a check character computed per ISO 7064 MOD 11-2
("X" stands for 10). People type these on phones and in Excel/WPS, so input is normalised first:
spaces (also the full-width space) removed, full-width digits and a lower-case or full-width x converted.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import date
from typing import Literal, NoReturn

from django.utils.translation import gettext as _

LENGTH = 18
OLD_LENGTH = 15
# ISO 7064 MOD 11-2 weights are 2^(17-i) mod 11 for positions 0..16; the check character is looked up
# from the weighted sum modulo 11.
_WEIGHTS = tuple(pow(2, LENGTH - 1 - i, 11) for i in range(LENGTH - 1))
_CHECK_CHARS = "10X98765432"
_DIGITS = "0123456789"
_LAST_CHARS = _DIGITS + "X"
# The standard's own format example is born in 1880, so the plausibility floor sits below that.
_EARLIEST_BIRTH_YEAR = 1800

_FULL_WIDTH = {ord("０") + i: str(i) for i in range(10)} | {ord("Ｘ"): "X", ord("ｘ"): "X", ord("x"): "X"}

Sex = Literal["male", "female"]


class InvalidIdNumber(ValueError):
    """The text is not a valid 18-character identity number; ``str(exc)`` is a Chinese message for users."""


@dataclass(frozen=True)
class IdNumber:
    """A parsed, valid identity number and what it encodes."""

    number: str
    region_prefix: str
    birth_date: date
    sex: Sex

    def __str__(self) -> str:
        return self.number


def normalize(raw: str) -> str:
    """Remove all whitespace and convert full-width digits and x/ｘ/Ｘ to ASCII ``0-9`` / ``X``.

    Idempotent; no validation (see ``parse``).
    """
    return "".join(raw.split()).translate(_FULL_WIDTH)


def check_digit(first17: str) -> str:
    """The GB 11643 check character ("0"-"9" or "X") for the first 17 digits of a number."""
    if len(first17) != LENGTH - 1 or not (first17.isascii() and first17.isdigit()):
        raise InvalidIdNumber(_("计算校验码需要17位数字"))
    total = sum(map(operator.mul, map(int, first17), _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def parse(raw: str, *, on: date | None = None) -> IdNumber:
    """Validate ``raw`` and return what it encodes; raise ``InvalidIdNumber`` with the precise problem.

    ``on`` (optional) rejects birth dates after that day; the caller passes its explicit "today".
    """
    number = normalize(raw)
    if not number:
        raise InvalidIdNumber(_("身份证号码不能为空"))
    if len(number) == OLD_LENGTH and number.isascii() and number.isdigit():
        raise InvalidIdNumber(_("这是15位旧身份证号码，请先升级为18位号码后再录入"))
    if len(number) != LENGTH:
        raise InvalidIdNumber(_("身份证号码长度应为18位，实际为%(length)d位") % {"length": len(number)})
    # The common case, 17 ASCII digits and a digit or X, is checked at C speed; only a number that fails it
    # is walked character by character to name the offending position.
    if not (number[:17].isascii() and number[:17].isdigit() and number[17] in _LAST_CHARS):
        _raise_for_character(number)
    birth_date = _birth_date(number[6:14])
    if on is not None and birth_date > on:
        raise InvalidIdNumber(
            _("身份证号码中的出生日期无效：%(birth)s 晚于 %(on)s")
            % {"birth": birth_date.isoformat(), "on": on.isoformat()}
        )
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise InvalidIdNumber(
            _("身份证号码校验码错误，应为%(expected)s，实际为%(actual)s")
            % {"expected": expected, "actual": number[17]}
        )
    # The 17th character is the sequence's last digit: odd for men, even for women.
    sex: Sex = "male" if int(number[16]) % 2 == 1 else "female"
    return IdNumber(number=number, region_prefix=number[:6], birth_date=birth_date, sex=sex)


def _raise_for_character(number: str) -> NoReturn:
    for position, char in enumerate(number, start=1):
        allowed = _LAST_CHARS if position == LENGTH else _DIGITS
        if char not in allowed:
            raise InvalidIdNumber(
                _("身份证号码含非法字符：第%(position)d位为“%(char)s”") % {"position": position, "char": char}
            )
    raise AssertionError(number)  # unreachable: the caller found a character outside the alphabet


def is_valid(raw: str, *, on: date | None = None) -> bool:
    """Whether ``raw`` parses as a valid identity number (with a birth no later than ``on``, if given)."""
    try:
        parse(raw, on=on)
    except InvalidIdNumber:
        return False
    return True


def _birth_date(digits: str) -> date:
    try:
        birth = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        birth = None
    if birth is None or birth.year < _EARLIEST_BIRTH_YEAR:
        raise InvalidIdNumber(_("身份证号码中的出生日期无效：%(digits)s") % {"digits": digits})
    return birth

"""Statistical division codes (统计用区划代码): 12 digits, 省2 市2 县2 乡3 村3.

Pure functions on codes, shared by the model, the scoping mechanism and the loaders.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

CODE_LENGTH = 12


class Level(models.IntegerChoices):
    PROVINCE = 1, _("省")
    CITY = 2, _("市")
    COUNTY = 3, _("县")
    TOWN = 4, _("乡镇")
    VILLAGE = 5, _("村")


# Significant digits of a code at each level: the scope prefix of a region of that level.
PREFIX_LENGTH = {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6, Level.TOWN: 9, Level.VILLAGE: 12}


def is_valid_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and code.isascii() and code.isdigit()


def level_of(code: str) -> Level:
    """Derive the level from the trailing zeros of a full 12-digit code."""
    if not is_valid_code(code):
        raise ValueError(f"区划代码必须是12位数字：{code!r}")
    for level in (Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWN):
        if code[PREFIX_LENGTH[level] :] == "0" * (CODE_LENGTH - PREFIX_LENGTH[level]):
            return level
    return Level.VILLAGE


def prefix_of(code: str) -> str:
    """The scope prefix of a full code: 610902000000 (county) -> 610902."""
    return code[: PREFIX_LENGTH[level_of(code)]]


def full_code(prefix: str) -> str:
    """Pad a prefix back to 12 digits: 6109 -> 610900000000."""
    return prefix.ljust(CODE_LENGTH, "0")


def parent_code(code: str) -> str | None:
    level = level_of(code)
    if level == Level.PROVINCE:
        return None
    return full_code(code[: PREFIX_LENGTH[Level(level - 1)]])


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """Half-open string range [lo, hi) holding every code that starts with ``prefix``.

    ``code >= lo AND code < hi`` is served by a plain B-tree index on PostgreSQL and SQLite, unlike
    ``LIKE 'prefix%'`` under a non-C collation or ``substr(code, …) = prefix``.
    """
    if not prefix or not prefix.isascii() or not prefix.isdigit():
        raise ValueError(f"范围前缀必须是数字：{prefix!r}")
    # The upper bound is the prefix plus one, carried, in digits only ("6109" -> "611", "69" -> "7"): under a
    # linguistic collation (PostgreSQL with an ICU or glibc locale) punctuation such as ':' is ignored at the
    # first level, so "610:" would sort *before* "610900000000" and the range would be empty.
    digits = prefix.rstrip("9")
    if not digits:
        # All nines: no digit string of the same length is greater; letters sort after digits in every
        # collation, so "99" -> "99A" still bounds codes of any length from above.
        return prefix, prefix + "A"
    return prefix, digits[:-1] + str(int(digits[-1]) + 1)


def is_scope_prefix(prefix: str) -> bool:
    """The exact prefix of some region: 2, 4, 6, 9 or 12 digits and not a padded shorter one.

    "6109" (安康市) is a prefix; "6100" is not: it pads to 陕西省's code, whose prefix is "61".
    """
    if len(prefix) not in PREFIX_LENGTH.values() or not (prefix.isascii() and prefix.isdigit()):
        return False
    return prefix_of(full_code(prefix)) == prefix

"""The one place that masks personal data for screens, audit events, exports and public pages.

Every function accepts ``None`` or ``""`` and returns ``""`` for them, so templates and exporters can pass a
missing value straight through. Masking never validates: a malformed value is masked by the same rule, and a
value too short to mask meaningfully is hidden completely rather than shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bangfu.core.idnumbers import normalize as normalize_id_number

MASK = "*"


def mask_id_number(value: str | None) -> str:
    """``610902199001011234`` -> ``610902********1234``: the issuing region and the last four stay visible."""
    if not value:
        return ""
    return _keep_ends(normalize_id_number(value), head=6, tail=4)


def mask_phone(value: str | None) -> str:
    """``13812345678`` -> ``138****5678``: the carrier prefix and the last four stay visible."""
    if not value:
        return ""
    return _keep_ends(_compact(value), head=3, tail=4)


def mask_name(value: str | None) -> str:
    """A name for public notices: ``张三`` -> ``张*``, ``张三丰`` -> ``张*丰``, ``欧阳娜娜`` -> ``欧**娜``."""
    if not value:
        return ""
    name = value.strip()
    if len(name) <= 1:
        return MASK * len(name)
    if len(name) == 2:
        return name[0] + MASK
    return name[0] + MASK * (len(name) - 2) + name[-1]


def mask_bank_account(value: str | None) -> str:
    """``6228480012345678901`` -> ``***************8901``: only the last four stay visible."""
    if not value:
        return ""
    return _keep_ends(_compact(value), head=0, tail=4)


def mask_text(value: str | None) -> str:
    """Free text that may be anything (a username typed at login that matches no account, which may be an
    ID number or a password typed in the wrong box): at most the first two and the last character stay
    (``zhangsan1990`` -> ``zh*********0``, ``abcd`` -> ``a**d``, ``abc`` -> ``***``)."""
    if not value:
        return ""
    head = 2 if len(value) >= 8 else 1 if len(value) >= 4 else 0
    tail = 1 if len(value) >= 4 else 0
    if not tail:
        return MASK * len(value)
    return _keep_ends(value, head=head, tail=tail)


# What a public notice of monitoring objects may carry (RULES §6.4): the village group, the head's name, the
# household size and the category. Never an ID number, phone, bank account or health detail (a risk type
# such as 因病/因残 is one).
PUBLIC_NOTICE_FIELDS = ("group", "head_name", "household_size", "category")
# Digits that look like an ID number (15 or 18 characters) or a phone number, wherever they stand: a mainland
# mobile, also typed in groups (138-1111-2222, 138 1111 2222, +86 …), a landline with its area code
# (0915-3212345, (0915)3212345) or without it (a run of 7–8 digits), and any other run of 7 or more digits
# (an account or a household number). Dates typed with separators (2026-11-29) are left alone.
_ID_OR_PHONE = re.compile(
    r"(?<![0-9])(?:"
    r"[0-9]{17}[0-9Xx]"
    r"|(?:\+?86[- ]?)?1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4}"
    r"|\(?0[0-9]{2,3}\)?[- ]?[0-9]{7,8}"
    r"|[0-9]{7,}"
    r")(?![0-9Xx])"
)


def scrub(text: str | None) -> str:
    """Free text bound for a public page with every ID-number-like and mobile-number-like run of digits
    masked (a clerk may type one into a group name or a note)."""
    if not text:
        return ""
    return _ID_OR_PHONE.sub(lambda m: MASK * len(m.group(0)), text)


def public_notice_row(values: dict[str, object]) -> dict[str, str]:
    """The publishable part of a notice row: only ``PUBLIC_NOTICE_FIELDS``, each scrubbed."""
    return {key: scrub(str(values.get(key, "") or "")) for key in PUBLIC_NOTICE_FIELDS}


MASKERS: dict[str, Callable[[str | None], str]] = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "name": mask_name,
    "bank_account": mask_bank_account,
    "text": mask_text,
}


def _compact(value: str) -> str:
    # Phone and account numbers are often typed with spaces or dashes in groups; the groups are no secret,
    # but keeping them would make the masked length depend on the typing style.
    return "".join(value.split()).replace("-", "")


def _keep_ends(value: str, *, head: int, tail: int) -> str:
    # At least one character must be hidden, otherwise a short value would be shown in full.
    if len(value) <= head + tail:
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[-tail:]

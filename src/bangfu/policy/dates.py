"""The dates the policy app accepts: 2000-01-01 to 2100-12-31 (lookups, deadlines, versions, calendars).

Why these bounds: the rules kept here start with the 2021–2025 transition period (the national monitoring
floor dates from 2021), so no version, lookup or deadline before 2000 means anything, and nobody plans policy
or enters an official calendar for the next century. The upper bound also keeps date arithmetic far from
Python's last date (9999-12-31): a deadline of up to ten years counted from 2100 still fits, while a start
date of 9999-12-30 used to overflow and answer 500. Forms, the API and the services check dates against
these bounds, with a Chinese message naming the field, before any computation runs.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

FIRST_YEAR = 2000
LAST_YEAR = 2100
EARLIEST = dt.date(FIRST_YEAR, 1, 1)
LATEST = dt.date(LAST_YEAR, 12, 31)


def in_range(day: dt.date) -> bool:
    return EARLIEST <= day <= LATEST


def out_of_range_message(day: dt.date, *, label: str) -> str:
    """The Chinese message for ``day`` outside the range, naming the input by its ``label``."""
    return _("“%(label)s”必须在 %(first)s 至 %(last)s 之间，收到 %(day)s。") % {
        "label": label,
        "first": EARLIEST.isoformat(),
        "last": LATEST.isoformat(),
        "day": day.isoformat(),
    }

"""A logging filter that masks ID numbers and phone numbers in every log line.

Personal data never belongs in a log (DESIGN.md §4.5), but a request line can carry one: a clerk searches the
household list for an ID number (``/households/?q=610902…``), and the development server, a reverse proxy
handing the path on, or an error report then write the query string out. Masking at the handler makes that
structural instead of relying on every caller: whatever reaches the console passes through ``mask_text``.
"""

from __future__ import annotations

import logging
import re

from bangfu.core.masking import mask_id_number, mask_phone

# An 18-character ID (17 digits + digit/X) or an 11-digit mainland mobile number, not inside a longer run of
# digits (a 20-digit order number stays as it is). Full-width digits are covered by NFKC-free matching of
# ASCII only: IDs typed in full width are URL-encoded in request lines and not readable as digits there.
_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def mask_text(text: str) -> str:
    """``text`` with every ID number and mobile number masked (``core.masking`` rules)."""
    text = _ID_NUMBER.sub(lambda match: mask_id_number(match.group()), text)
    return _MOBILE.sub(lambda match: mask_phone(match.group()), text)


class MaskPersonalData(logging.Filter):
    """Rewrites each record's message (arguments merged in) with personal numbers masked; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True

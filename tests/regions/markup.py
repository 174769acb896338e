"""Reading the region components out of rendered HTML, for exact assertions."""

from __future__ import annotations

import re


def breadcrumb(html: str) -> list[tuple[str, bool]]:
    """(name, is_link) for each region item of a breadcrumb."""
    items = re.findall(r'<li class="breadcrumb-item[^"]*"[^>]*data-region="\d{12}">(.*?)</li>', html, re.S)
    return [(re.sub(r"<[^>]+>", "", item).strip(), "<a " in item) for item in items]


def picker_selects(html: str, name: str = "region") -> list[list[tuple[str, str, bool]]]:
    """Per select of a region picker: (value, label, selected) of each option."""
    selects = re.findall(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    return [
        [
            (value, re.sub(r"\s+", "", label), bool(selected))
            for value, selected, label in re.findall(
                r'<option value="(\d{12})"\s*(selected)?\s*>(.*?)</option>', select, re.S
            )
        ]
        for select in selects
    ]

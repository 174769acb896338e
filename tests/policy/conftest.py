"""Fixtures for the policy tests.

The data migration seeds the demo defaults (陕西省 "61" and national rows) into every test database, so
the tests build on those rows: monitoring_line is 6,000 everywhere from 2021-01-01 and 7,800 for 61 from
2024-01-01.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from bangfu.policy.models import OfficialCalendarYear, PolicyValue

AddVersion = Callable[..., PolicyValue]


@pytest.fixture
def add_version(db: None) -> AddVersion:
    """Store a version directly (no user, no audit): the state a lookup test starts from."""

    def add(
        key: str, region_prefix: str, effective_from: dt.date, value: Any, note: str = "测试依据"
    ) -> PolicyValue:
        return PolicyValue.objects.create(
            key=key, region_prefix=region_prefix, effective_from=effective_from, value=value, source_note=note
        )

    return add


def calendar_rows() -> list[tuple[int, int, list[str], list[str]]]:
    """Every stored calendar version, as plain tuples (to assert that nothing changed)."""
    return list(
        OfficialCalendarYear.objects.order_by("year", "version").values_list(
            "year", "version", "holidays", "workdays"
        )
    )


def policy_rows() -> list[tuple[str, str, dt.date, Any, str]]:
    """Every stored policy version, as plain tuples (to assert that nothing changed)."""
    return list(
        PolicyValue.objects.order_by("key", "region_prefix", "effective_from").values_list(
            "key", "region_prefix", "effective_from", "value", "source_note"
        )
    )

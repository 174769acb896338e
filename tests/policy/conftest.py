"""Fixtures for the policy tests.

The data migration seeds the sourced national rows into every test database (monitoring_line is 6,000
everywhere from 2021-01-01, the water and housing standards, the code tables); ``national_policy`` makes sure
they are there for every test. Tests that need the demo's assumed values for 陕西省 "61" (7,800 from
2024-01-01, the deadlines …) ask for ``demo_policy``, which loads them through the demo's own seeding service.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps

from bangfu.demo.services import seed_demo_policy
from bangfu.policy.models import OfficialCalendarYear, PolicyValue
from bangfu.regions.models import Region

AddVersion = Callable[..., PolicyValue]


SEED_MIGRATION = importlib.import_module("bangfu.policy.migrations.0002_seed_shaanxi_defaults")


@pytest.fixture(autouse=True)
def national_policy(db: None) -> None:
    """The national rows of the data migration, as every database has them after ``migrate``.

    A transactional test (``transaction=True``, live server) ends by flushing every table, and data migrations
    do not run again; with ``--dist loadfile`` a policy test file can run on a worker after such a test. The
    rows are then restored from the migration itself, so the tests see what a migrated database holds.
    """
    if not PolicyValue.objects.filter(created_by__isnull=True, region_prefix="").exists():
        SEED_MIGRATION.seed(apps, None)


@pytest.fixture
def demo_policy(regions: dict[str, Region]) -> None:
    """The demo's assumed values for 陕西省 (61), as ``bangfu demo`` loads them."""
    seed_demo_policy()


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

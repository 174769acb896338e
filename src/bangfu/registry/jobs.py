"""Periodic registry jobs (declared in ``bangfu.schedule``): thin, idempotent, set-based."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from bangfu.registry import duplicates, history


@task()
def close_household_years() -> int:
    """Write every household's ``HouseholdYear`` row for the year of yesterday (see ``history``): run
    nightly, so the running year follows the current values and on 1 January the year just ended is final."""
    yesterday = timezone.localdate() - timedelta(days=1)
    return history.close_year(year=yesterday.year, prefix="")


@task()
def find_duplicate_members() -> int:
    """Refresh the list of likely duplicate people everywhere (``duplicates.find_duplicates``)."""
    return duplicates.find_duplicates(prefix="")

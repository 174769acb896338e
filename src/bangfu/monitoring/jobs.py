"""Periodic monitoring jobs (declared in ``bangfu.schedule``): thin and idempotent."""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import task

from bangfu.monitoring.screening import ScreeningError, screen

logger = logging.getLogger(__name__)


@task()
def screen_nightly() -> int:
    """Run every rule in force as of today; returns the number of new warnings. A run repeated the same day
    adds none (each episode warns once). A missing policy value is logged, not retried in a loop."""
    try:
        run, _results = screen(on=timezone.localdate())
    except ScreeningError:
        logger.exception("nightly screening could not run")
        return 0
    return run.created_warnings


@task()
def screen_versions(version_ids: list[int]) -> int:
    """Screen just-stored department uploads (incremental: their kinds' rules over their rows only);
    enqueued by the dataset import when it commits. Returns the number of new warnings."""
    try:
        run, _results = screen(on=timezone.localdate(), versions=version_ids)
    except ScreeningError:
        logger.exception("screening of dataset versions %s could not run", version_ids)
        return 0
    return run.created_warnings


@task()
def refresh_quality_nightly() -> int:
    """Rebuild every village's data-quality list (``quality.refresh``); returns the number of findings."""
    from bangfu.monitoring import quality

    return sum(quality.refresh(on=timezone.localdate()).values())


@task()
def digest_daily() -> int:
    """The morning's digest of late identification work per town and county (``digest.build``); returns
    how many regions have one. Rerunning the same day replaces it."""
    from bangfu.monitoring import digest

    return digest.build(on=timezone.localdate())

"""Reactions to what lower apps announce (connected in ``MonitoringConfig.ready``)."""

from __future__ import annotations

from typing import Any


def screen_new_version(sender: Any, *, version_id: int, **kwargs: Any) -> None:
    """A department upload was stored: screen its rows (incremental) in the background."""
    from bangfu.monitoring.jobs import screen_versions

    screen_versions.enqueue([version_id])

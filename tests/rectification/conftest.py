"""A fixed clock for rectification tests: ``clock.set(date)`` makes that day today (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.today = timezone.localdate()

    def set(self, day: dt.date) -> dt.date:
        """Make ``day`` today for ``timezone.localdate()`` (the services' and pages' notion of today)."""
        self.today = day
        self.monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: self.today)
        return day


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)

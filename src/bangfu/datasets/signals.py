"""What the datasets app tells the apps above it, without importing them (DESIGN.md §3: dependencies point
one way): ``version_stored`` is sent once a new upload's transaction has committed, with ``version_id``."""

from __future__ import annotations

from django.dispatch import Signal

version_stored = Signal()

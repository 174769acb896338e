"""Rectification in the API (filled by the part's own work)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["rectification"])

"""Routes of one part of the rectification app (filled by the part's own work)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

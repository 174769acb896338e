"""Public routes of the clearance board (mounted at /boards/ without a namespace; no login)."""

from __future__ import annotations

from django.urls import URLPattern, path

from bangfu.rectification import public_views

urlpatterns: list[URLPattern] = [
    path("<str:code>/", public_views.board, name="problem-board-public"),
    path("<str:code>/poster/", public_views.poster, name="problem-board-poster"),
]

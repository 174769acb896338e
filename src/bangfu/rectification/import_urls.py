"""Routes of the ledger import (整改台账导入): a draft list's upload form, a run's page, its errors file."""

from __future__ import annotations

from django.urls import URLPattern, path

from bangfu.rectification import import_views

urlpatterns: list[URLPattern] = [
    path("lists/<int:pk>/import/", import_views.list_import, name="list-import"),
    path("imports/<int:pk>/", import_views.import_detail, name="import-detail"),
    path("imports/<int:pk>/errors/", import_views.import_errors, name="import-errors"),
]

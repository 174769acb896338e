"""Rectification pages under /rectification/ (名称空间 ``rectification``).

Each part keeps its routes beside its views: problems and lists here, the ledger import, the weekly reports
and supervision in their own route modules (included without a namespace of their own, so every name is
``rectification:…``).
"""

from __future__ import annotations

from django.urls import include, path

app_name = "rectification"

urlpatterns = [
    path("", include("bangfu.rectification.import_urls")),
    path("", include("bangfu.rectification.report_urls")),
    path("", include("bangfu.rectification.supervision_urls")),
]

"""Routes of the weekly clearance reports (清零周报) under /rectification/reports/."""

from __future__ import annotations

from django.urls import path

from bangfu.rectification import report_views

urlpatterns = [
    path("reports/", report_views.report_list, name="report-list"),
    path("reports/<int:pk>/", report_views.report_detail, name="report-detail"),
    path("reports/<int:pk>/print/", report_views.report_print, name="report-print"),
    path("reports/<int:pk>/xlsx/", report_views.report_xlsx, name="report-xlsx"),
    path("reports/<int:pk>/correct/", report_views.report_correct, name="report-correct"),
]

"""URLs of the audit app: the auditor screen."""

from __future__ import annotations

from django.urls import path

from bangfu.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="event-list"),
    path("<int:seq>/", views.event_detail, name="event-detail"),
    path("verify/", views.verify, name="verify"),
    path("export/", views.export, name="export"),
]

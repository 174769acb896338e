"""Warning pages under /warnings/ (名称空间 ``monitoring``)."""

from __future__ import annotations

from django.urls import path

from bangfu.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("", views.warning_list, name="warning-list"),
    path("<int:pk>/", views.warning_detail, name="warning-detail"),
    path("<int:pk>/answer/", views.warning_answer, name="warning-answer"),
    path("rules/", views.rule_list, name="rule-list"),
    path("rules/new/", views.rule_new, name="rule-new"),
    path("quality/", views.quality_list, name="quality-list"),
    path("runs/", views.run_list, name="run-list"),
]

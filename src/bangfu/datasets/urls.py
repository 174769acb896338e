"""Department data pages under /datasets/ (名称空间 ``datasets``)."""

from __future__ import annotations

from django.urls import path

from bangfu.datasets import views

app_name = "datasets"

urlpatterns = [
    path("", views.dataset_list, name="dataset-list"),
    path("<int:pk>/", views.dataset_detail, name="dataset-detail"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
]

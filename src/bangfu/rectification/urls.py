"""Rectification pages under /rectification/ (名称空间 ``rectification``).

Each part keeps its routes beside its views: problems and lists here, the ledger import, the weekly reports
and supervision in their own route modules (included without a namespace of their own, so every name is
``rectification:…``).
"""

from __future__ import annotations

from django.urls import include, path

from bangfu.rectification import problem_views

app_name = "rectification"

urlpatterns = [
    path("", problem_views.problem_board, name="problem-board"),
    path("problems/", problem_views.problem_list, name="problem-list"),
    path("problems/new/", problem_views.problem_new, name="problem-new"),
    path("problems/<int:pk>/", problem_views.problem_detail, name="problem-detail"),
    path("problems/<int:pk>/progress/", problem_views.problem_progress, name="problem-progress"),
    path("problems/<int:pk>/closure/", problem_views.problem_closure, name="problem-closure"),
    path("problems/<int:pk>/verify/", problem_views.problem_verify, name="problem-verify"),
    path("evidence/<int:pk>/", problem_views.evidence_file, name="evidence-file"),
    path("lists/", problem_views.list_index, name="list-index"),
    path("lists/new/", problem_views.list_new, name="list-new"),
    path("lists/<int:pk>/", problem_views.list_detail, name="list-detail"),
    path("lists/<int:pk>/issue/", problem_views.list_issue, name="list-issue"),
    path("", include("bangfu.rectification.import_urls")),
    path("", include("bangfu.rectification.report_urls")),
    path("", include("bangfu.rectification.supervision_urls")),
]

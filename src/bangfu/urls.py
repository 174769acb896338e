"""Root URL configuration: one include per app, the API under /api/v1/."""

from __future__ import annotations

from django.urls import include, path, re_path

from bangfu.api import api, api_not_found
from bangfu.monitoring import public_views

urlpatterns = [
    path("", include("bangfu.dashboards.urls")),
    path("", include("bangfu.core.urls")),
    path("accounts/", include("bangfu.accounts.urls")),
    path("regions/", include("bangfu.regions.urls")),
    path("audit/", include("bangfu.audit.urls")),
    path("policy/", include("bangfu.policy.urls")),
    path("households/", include("bangfu.registry.urls")),
    path("datasets/", include("bangfu.datasets.urls")),
    path("warnings/", include("bangfu.monitoring.urls")),
    path("cases/", include("bangfu.monitoring.case_urls")),
    path("rectification/", include("bangfu.rectification.urls")),
    # Public, no login: each region's clearance board (上网公示) and the poster for the village wall (上墙).
    path("boards/", include("bangfu.rectification.public_urls")),
    # Public, no login: a household's own report, reached by the QR code posted in its village.
    path("report/<str:code>/", public_views.self_report, name="self-report"),
    path("report/<str:code>/done/", public_views.self_report_done, name="self-report-done"),
    # Public, no login: each village's notices of monitoring objects (only what may be published).
    path("notices/<str:code>/", public_views.notice_board, name="notice-board"),
    path("notices/<str:code>/archive/", public_views.notice_archive, name="notice-archive"),
    path("notice/<int:pk>/", public_views.notice_detail, name="notice-detail"),
    # The API root itself is no operation: answer it with the API's JSON 404 like any unknown API path.
    path("api/v1/", api_not_found),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
]

handler403 = "bangfu.core.views.permission_denied"
handler404 = "bangfu.core.views.page_not_found"
handler500 = "bangfu.core.views.server_error"

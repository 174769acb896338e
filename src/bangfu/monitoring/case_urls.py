"""Case pages under /cases/ (名称空间 ``cases``)."""

from __future__ import annotations

from django.urls import path

from bangfu.monitoring import case_views, lead_views, public_views, visit_views

app_name = "cases"

urlpatterns = [
    path("", case_views.case_board, name="case-board"),
    path("digest/", case_views.digest, name="digest"),
    path("<int:pk>/", case_views.case_detail, name="case-detail"),
    path("<int:pk>/step/", case_views.case_step, name="case-step"),
    path("<int:pk>/back/", case_views.case_back, name="case-back"),
    path("<int:pk>/reject/", case_views.case_reject, name="case-reject"),
    path("<int:pk>/eliminate/", case_views.case_eliminate, name="case-eliminate"),
    path("<int:pk>/roll-back/", case_views.case_roll_back, name="case-roll-back"),
    path("<int:pk>/measures/", case_views.case_measure, name="case-measure"),
    path("<int:pk>/contact/", case_views.case_contact, name="case-contact"),
    path("<int:pk>/visit/", visit_views.visit_new, name="visit-new"),
    path("visits/", visit_views.my_households, name="my-households"),
    path("visits/<int:pk>/photo/", visit_views.visit_photo, name="visit-photo"),
    path("events/<int:pk>/attachment/", visit_views.event_attachment, name="event-attachment"),
    path("leads/", lead_views.lead_list, name="lead-list"),
    path("leads/<int:pk>/", lead_views.lead_detail, name="lead-detail"),
    path("leads/<int:pk>/accept/", lead_views.lead_accept, name="lead-accept"),
    path("leads/<int:pk>/decline/", lead_views.lead_decline, name="lead-decline"),
    path("report/", lead_views.report_new, name="report-new"),
    path("hotline/", lead_views.hotline_new, name="hotline-new"),
    path("poster/<str:code>/", public_views.report_poster, name="report-poster"),
]

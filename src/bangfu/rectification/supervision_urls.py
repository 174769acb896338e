"""Routes of supervision and escalation (督办单, 通报 / 约谈 / 移交纪检), under /rectification/."""

from __future__ import annotations

from django.urls import URLPattern, path

from bangfu.rectification import supervision_views as views

urlpatterns: list[URLPattern] = [
    path("orders/", views.order_list, name="order-list"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("orders/<int:pk>/issue/", views.order_issue, name="order-issue"),
    path("orders/<int:pk>/discard/", views.order_discard, name="order-discard"),
    path("orders/<int:pk>/reply/", views.order_reply, name="order-reply"),
    path("orders/<int:pk>/docx/", views.order_docx, name="order-docx"),
    path("escalations/", views.escalation_list, name="escalation-list"),
    path("escalations/new/", views.escalation_new, name="escalation-new"),
]

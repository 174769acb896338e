"""URLs of the page shell: the home page and Django's language switch (``set_language``)."""

from __future__ import annotations

from django.urls import include, path

from bangfu.core import views

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
]

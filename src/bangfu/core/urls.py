"""URLs of the page shell: Django's language switch (``set_language``)."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("i18n/", include("django.conf.urls.i18n"))]

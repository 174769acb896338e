"""The error pages, wired as handler403/404/500 in urls.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # A PermissionDenied raised by our own checks carries a Chinese sentence meant for the user.
    message = str(exception) if exception is not None else ""
    return render(request, "403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The exception text is not shown: it can name URL patterns and internal lookups.
    return render(request, "404.html", {"request_path": request.path}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Render 500.html without the request: whatever failed (database, session, a context processor) may
    fail again while rendering, so the page uses nothing but static files and translations."""
    return HttpResponseServerError(loader.get_template("500.html").render())

"""The error pages, wired as handler403/404/500 in urls.py (an entry point: it may use any app)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from bangfu.accounts.permissions import current_user
from bangfu.audit import events
from bangfu.regions.scoping import OutOfScope


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # A PermissionDenied raised by our own checks carries a Chinese sentence meant for the user.
    message = str(exception) if exception is not None else ""
    return render(request, "403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The exception text is not shown: it can name URL patterns and internal lookups.
    if isinstance(exception, OutOfScope):
        record_out_of_scope(request, exception)
    return render(request, "404.html", {"request_path": request.path}, status=404)


def record_out_of_scope(request: HttpRequest, exception: OutOfScope) -> None:
    """Another region's row was asked for: the answer stays a plain 404; the attempt is audited."""
    events.out_of_scope(
        actor=current_user(request),
        model_label=exception.model._meta.label,
        lookup=exception.lookup,
        request=request,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """Render 500.html without the request: whatever failed (database, session, a context processor) may
    fail again while rendering, so the page uses nothing but static files and translations."""
    return HttpResponseServerError(loader.get_template("500.html").render())

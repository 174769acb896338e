"""The page shell's own views: the home page and the error pages (wired as handler403/404/500 in urls.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from bangfu.accounts.models import User
from bangfu.accounts.navigation import ACCOUNT_ITEMS, NAV_ITEMS, ROLE_DUTIES, links_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A short welcome for the user's role: what the role does, the scope region and the pages offered.

    Shows only what exists (the links come from the navigation, which lists resolvable pages only); no
    figures until the apps that own them provide them.
    """
    user = request.user
    if not isinstance(user, User):  # login_required lets only real users through; this narrows the type
        raise PermissionDenied
    region = user.region
    # Every page offered to the role except this one, then the user's own account pages.
    pages = [item for item in NAV_ITEMS if item.url_name != "home"]
    return render(
        request,
        "core/home.html",
        {
            "role_duties": ROLE_DUTIES.get(user.role, ""),
            "home_links": [*links_for(user, items=pages), *links_for(user, items=ACCOUNT_ITEMS)],
            "scope_region": region,
            "scope_path": [*region.ancestors(), region] if region is not None else [],
        },
    )


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

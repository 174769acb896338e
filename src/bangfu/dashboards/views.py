"""Overview pages. Today: the home page each role lands on; figures arrive with the apps that own them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bangfu.accounts.navigation import ACCOUNT_ITEMS, NAV_ITEMS, ROLE_DUTIES, links_for
from bangfu.accounts.permissions import current_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A short welcome for the user's role: what the role does, the scope region and the pages offered.

    Shows only what exists (the links come from the navigation, which lists resolvable pages only); no
    figures until the apps that own them provide them.
    """
    user = current_user(request)
    if user is None:
        raise PermissionDenied
    # Every page offered to the role except this one, then the user's own account pages.
    pages = [item for item in NAV_ITEMS if item.url_name != "home"]
    return render(
        request,
        "dashboards/home.html",
        {
            "role_duties": ROLE_DUTIES.get(user.role, ""),
            "home_links": [*links_for(user, items=pages), *links_for(user, items=ACCOUNT_ITEMS)],
            "scope_region": user.region,
        },
    )

"""Template context for the page shell: the navigation offered to the logged-in user."""

from __future__ import annotations

from django.http import HttpRequest

from bangfu.accounts import services
from bangfu.accounts.models import User
from bangfu.accounts.navigation import ACCOUNT_ITEMS, links_for, menu_for


def navigation(request: HttpRequest) -> dict[str, object]:
    """``nav_menu`` (main navigation: links and menus of links) and ``account_links`` (user menu) for the
    logged-in user.

    Anonymous visitors (the log-in page, error pages) get empty lists.
    """
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"nav_menu": [], "account_links": []}
    if services.second_factor_required(user=user, session=request.session) and not (
        services.session_is_verified(request)
    ):
        # Between the password and the second factor every page but the TOTP ones sends the user back:
        # nothing to offer yet.
        return {"nav_menu": [], "account_links": []}
    match = getattr(request, "resolver_match", None)
    current_view = match.view_name if match is not None else None
    return {
        "nav_menu": menu_for(user, current_view=current_view),
        "account_links": links_for(user, current_view=current_view, items=ACCOUNT_ITEMS),
    }

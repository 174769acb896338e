"""Session rules for 等保三级: idle time-out, second factor for admin roles, forced password change.

The API (``/api/``) also accepts the browser session (beside bearer tokens), so the same rules hold there
for a session user, answered in the API's JSON error shape instead of a redirect; a token request carries
no session and passes untouched (its user is only known inside the API view). htmx requests get an
``HX-Redirect`` header instead of a 302, which htmx would otherwise follow inside the fragment it swaps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from bangfu.accounts import services
from bangfu.accounts.permissions import current_user

LAST_ACTIVITY_SESSION_KEY = "bangfu_last_activity"
# Refresh the stored activity time at most once a minute: saving the session on every request would cost a
# database write per request. The stored time is then up to a minute old, which only makes the time-out
# slightly stricter, never looser.
ACTIVITY_REFRESH_SECONDS = 60
IDLE_REASON = "idle"

# Pages a user must reach while the second factor or a password change is still pending.
_SECOND_FACTOR_PAGES = frozenset(
    {
        "accounts:login",
        "accounts:logout",
        "accounts:second-factor-setup",
        "accounts:second-factor-verify",
    }
)
_PASSWORD_CHANGE_PAGES = _SECOND_FACTOR_PAGES | {"accounts:password-change"}


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def is_htmx_request(request: HttpRequest) -> bool:
    # HtmxMiddleware runs after these, so ``request.htmx`` is not set yet: ask django-htmx directly.
    return bool(HtmxDetails(request))


def api_refusal(*, status: int, code: str, message: str) -> JsonResponse:
    """The API's error shape (``{"code", "message"}``, DESIGN.md §6) for a session that may not proceed."""
    return JsonResponse(
        {"code": code, "message": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that also works for htmx fragment requests."""
    if is_htmx_request(request):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


class IdleTimeoutMiddleware:
    """Log out a session idle longer than ``SESSION_IDLE_TIMEOUT`` and send the user to log in again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.get_response(request)
        now = timezone.now().timestamp()
        last = request.session.get(LAST_ACTIVITY_SESSION_KEY)
        if isinstance(last, int | float) and now - last > settings.SESSION_IDLE_TIMEOUT.total_seconds():
            if is_api_request(request):
                # The call goes on as anonymous: the API answers 401 where it needs a user.
                services.log_out(request=request)
                return self.get_response(request)
            return self._expire(request)
        if not isinstance(last, int | float) or now - last >= ACTIVITY_REFRESH_SECONDS:
            request.session[LAST_ACTIVITY_SESSION_KEY] = now
        return self.get_response(request)

    def _expire(self, request: HttpRequest) -> HttpResponse:
        # Messages are not available yet (MessageMiddleware runs later), so the log-in page reads the
        # reason from the query string.
        query: dict[str, str] = {"reason": IDLE_REASON}
        if request.method == "GET" and not is_htmx_request(request):
            query["next"] = request.get_full_path()
        services.log_out(request=request)
        return redirect(request, f"{resolve_url(settings.LOGIN_URL)}?{urlencode(query)}")


class SecondFactorRequiredMiddleware:
    """Admin roles (and users who enrolled) must pass TOTP before any page other than log-in/out and TOTP.

    Sends users with a confirmed device to the verify page, others to the setup page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = current_user(request)
        if user is None or _view_name(request) in _SECOND_FACTOR_PAGES:
            return None
        if not services.second_factor_required(user=user, session=request.session):
            return None
        if services.session_is_verified(request):
            return None
        if is_api_request(request):
            return api_refusal(
                status=401, code="second_factor_required", message=_("请先在网页上完成动态口令验证。")
            )
        target = (
            "accounts:second-factor-verify"
            if services.confirmed_device(user)
            else "accounts:second-factor-setup"
        )
        return redirect(request, reverse(target))


class PasswordChangeRequiredMiddleware:
    """A user holding a temporary password (set by the security admin) must replace it first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = current_user(request)
        if user is None or not user.must_change_password or _view_name(request) in _PASSWORD_CHANGE_PAGES:
            return None
        if is_api_request(request):
            return api_refusal(
                status=403, code="password_change_required", message=_("请先在网页上修改临时密码。")
            )
        messages.warning(request, _("您正在使用临时密码，请先设置新密码。"))
        return redirect(request, reverse("accounts:password-change"))


def _view_name(request: HttpRequest) -> str:
    match = request.resolver_match
    return match.view_name if match is not None else ""

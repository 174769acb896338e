"""Role checks for views (三员分立): ``@role_required(Role.SECURITY_ADMIN)``.

Anonymous visitors are sent to the log-in page; a logged-in user of another role gets the 403 page. The
check is on the view, never only in a template, so a hidden link is not the only protection.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext as _

from bangfu.accounts.models import Role, User

P = ParamSpec("P")
ViewFunc = Callable[Concatenate[HttpRequest, P], HttpResponseBase]


def current_user(request: HttpRequest) -> User | None:
    """The logged-in, active user of this request as a plain ``User`` instance, or None.

    django-otp's middleware wraps ``request.user`` in a ``SimpleLazyObject``; services and audit events get
    the instance inside, because ``type()`` of the wrapper is not the model.
    """
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return None
    unwrapped = unwrap_user(user)
    return unwrapped if isinstance(unwrapped, User) else None


def unwrap_user(user: Any) -> Any:
    """The instance inside ``request.user``'s lazy wrappers (django-otp wraps Django's wrapper once more)."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


def has_role(user: object, *roles: str) -> bool:
    """Whether ``user`` is an active, logged-in user holding one of ``roles``."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "role", None) in roles
    )


def role_required(*roles: Role | str) -> Callable[[ViewFunc[P]], ViewFunc[P]]:
    """Allow the view only to users holding one of ``roles``; anonymous -> log-in, others -> 403."""
    if not roles:
        raise ValueError("role_required needs at least one role")
    allowed = tuple(str(role) for role in roles)

    def decorator(view: ViewFunc[P]) -> ViewFunc[P]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *allowed):
                raise PermissionDenied(_("您的角色无权访问此页面。"))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

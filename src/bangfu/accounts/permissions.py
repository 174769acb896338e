"""Role checks for views (三员分立): ``@role_required(Role.SECURITY_ADMIN)``.

Anonymous visitors are sent to the log-in page; a logged-in user of another role gets the 403 page. The
check is on the view, never only in a template, so a hidden link is not the only protection.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar, overload

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext as _

from bangfu.accounts.models import Role, User

P = ParamSpec("P")
# The request type is generic so that a view may declare a narrower one (``HtmxHttpRequest``).
R = TypeVar("R", bound=HttpRequest)
ViewFunc = Callable[Concatenate[R, P], HttpResponseBase]


@overload
def current_user(request: HttpRequest) -> User | None: ...


@overload
def current_user(request: HttpRequest, *, required: Literal[True]) -> User: ...


def current_user(request: HttpRequest, *, required: bool = False) -> User | None:
    """The logged-in, active user of this request as a plain ``User`` instance, or None.

    django-otp's middleware wraps ``request.user`` in a ``SimpleLazyObject``; services and audit events get
    the instance inside, because ``type()`` of the wrapper is not the model. ``required=True`` (in views
    behind ``role_required``, where there is always one) raises ``PermissionDenied`` instead of None.
    """
    user = request.user
    unwrapped = unwrap_user(user) if user.is_authenticated and user.is_active else None
    if isinstance(unwrapped, User):
        return unwrapped
    if required:
        raise PermissionDenied(_("请先登录。"))
    return None


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


def role_required(*roles: Role | str) -> Callable[[ViewFunc[R, P]], ViewFunc[R, P]]:
    """Allow the view only to users holding one of ``roles``; anonymous -> log-in, others -> 403."""
    if not roles:
        raise ValueError("role_required needs at least one role")
    allowed = tuple(str(role) for role in roles)

    def decorator(view: ViewFunc[R, P]) -> ViewFunc[R, P]:
        @wraps(view)
        def wrapped(request: R, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *allowed):
                raise PermissionDenied(_("您的角色无权访问此页面。"))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

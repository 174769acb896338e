"""Accounts pages: log-in/out, password change, TOTP setup and verification, one's own API tokens, the
security admin's user management and the system admin's status page. Thin: parse, call ``services``, render.

Pages that show or take a secret (passwords, TOTP secrets, temporary passwords, API tokens) are
``never_cache``: no browser or proxy may keep a copy.
"""

from __future__ import annotations

import base64
import platform
import sqlite3
from datetime import datetime
from importlib import metadata
from typing import Any
from urllib.parse import urlencode

import django
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from bangfu.accounts import lockouts, services, tokens
from bangfu.accounts.forms import (
    ApiTokenForm,
    LoginForm,
    PasswordChangeForm,
    TokenForm,
    UserCreateForm,
    UserEditForm,
    UserSearchForm,
)
from bangfu.accounts.middleware import IDLE_REASON
from bangfu.accounts.models import BUSINESS_ROLES, ApiToken, Role, User
from bangfu.accounts.permissions import current_user, role_required
from bangfu.core import qrcodes
from bangfu.core.htmx import HtmxHttpRequest
from bangfu.regions.models import Region

USERS_PER_PAGE = 50
# Suggestions the region search returns: enough to find a region by a few characters of its name.
REGION_SEARCH_LIMIT = 20


# --- log-in and log-out ------------------------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str | None:
    """The ``next`` URL of the request if it stays on this site (no open redirect)."""
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def _home_for(user: User) -> str:
    """Where a user lands after log-in: the admin roles have no business home page."""
    if user.role == Role.SYSTEM_ADMIN:
        return reverse("accounts:system")
    if user.role == Role.SECURITY_ADMIN:
        return reverse("accounts:user-list")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url: str, next_url: str | None) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _after_login(request: HttpRequest, user: User, next_url: str | None) -> HttpResponseRedirect:
    """The next step after a password: second factor, then a forced password change, then the page."""
    if services.second_factor_required(
        user=user, session=request.session
    ) and not services.session_is_verified(request):
        step = (
            "accounts:second-factor-verify"
            if services.confirmed_device(user)
            else "accounts:second-factor-setup"
        )
        return HttpResponseRedirect(_with_next(reverse(step), next_url))
    if user.must_change_password:
        return HttpResponseRedirect(_with_next(reverse("accounts:password-change"), next_url))
    return HttpResponseRedirect(next_url or _home_for(user))


def _lock_message() -> str:
    return _("账号已锁定，请%(minutes)d分钟后再试。") % {"minutes": lockouts.cooloff_minutes()}


@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "GET" and user is not None:
        return _after_login(request, user, _safe_next(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = services.log_in(
            request=request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if outcome.locked:
            # AxesMiddleware also sees the flag and replaces this with ``locked_out``; rendering the same
            # page here keeps the view correct on its own.
            return locked_out(request, None, {"username": form.cleaned_data["username"]})
        if outcome.user is not None:
            return _after_login(request, outcome.user, _safe_next(request))
        form.add_error(None, ValidationError(_("用户名或密码错误。"), code="invalid_login"))
    notice = ""
    if request.GET.get("reason") == IDLE_REASON:
        notice = _("您已超过%(minutes)d分钟未操作，已自动退出，请重新登录。") % {
            "minutes": int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60)
        }
    return _login_page(request, form, idle_notice=notice)


def _login_page(request: HttpRequest, form: LoginForm, *, status: int = 200, **extra: str) -> HttpResponse:
    context = {
        "form": form,
        "next": _safe_next(request) or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": lockouts.cooloff_minutes(),
        **extra,
    }
    return render(request, "accounts/login.html", context, status=status)


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE`` (axes 8 calls it with request, original response, credentials).

    The log-in page again, with the lock-out message and status 429 (Too Many Requests).
    """
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    response = _login_page(
        request, LoginForm(initial={"username": username}), status=429, locked_message=_lock_message()
    )
    # AxesMiddleware puts this response in place of the view's, so the view's never_cache does not apply.
    add_never_cache_headers(response)
    return response


def logout_view(request: HttpRequest) -> HttpResponse:
    """GET asks for confirmation (a link cannot log anyone out by CSRF); POST logs out."""
    if request.method == "POST":
        services.log_out(request=request)
        messages.info(request, _("您已安全退出。"))
        return redirect(settings.LOGOUT_REDIRECT_URL)
    if current_user(request) is None:
        return redirect(settings.LOGIN_URL)
    return render(request, "accounts/logout.html")


@never_cache
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if user is None:
        return redirect(settings.LOGIN_URL)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST":
        valid = form.is_valid()
        old_password = form.cleaned_data.get("old_password")
        # Checked even when the new passwords have errors, so that every wrong field is named at once; an
        # empty field is not a guess and is not counted.
        check = (
            services.check_current_password(request=request, user=user, password=old_password)
            if old_password
            else None
        )
        if check is services.PasswordCheck.LOCKED:
            # This session was used to guess the password: it ends with the account's lock.
            services.log_out(request=request)
            return locked_out(request, None, {"username": user.get_username()})
        if check is services.PasswordCheck.WRONG:
            form.add_error("old_password", ValidationError(_("当前密码不正确。"), code="password_incorrect"))
        elif valid and check is services.PasswordCheck.CORRECT:
            new_password = form.cleaned_data["new_password1"]
            try:
                services.set_password(user=user, raw=new_password, by=user, request=request)
            except ValidationError as exc:
                form.add_error("new_password1", exc.message_dict["password"])
            else:
                # Keep this session; Django invalidates sessions whose password hash changed.
                update_session_auth_hash(request, user)
                messages.success(request, _("密码已修改。"))
                return HttpResponseRedirect(_safe_next(request) or _home_for(user))
    context = {"form": form, "next": _safe_next(request) or "", "forced": user.must_change_password}
    return render(request, "accounts/password_change.html", context)


# --- second factor -----------------------------------------------------------------------------------------


def _secret_text(device_key_hex: str) -> str:
    """The base32 secret for manual entry, in groups of four."""
    secret = base64.b32encode(bytes.fromhex(device_key_hex)).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
def second_factor_setup(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if user is None:
        return redirect(settings.LOGIN_URL)
    if services.confirmed_device(user) is not None:
        # Re-enrolment goes through the security admin's reset, so that a stolen password alone never
        # replaces the device.
        if services.session_is_verified(request):
            if user.is_admin_role:
                # 三员 devices are reset only on the server (services.reset_second_factor).
                messages.info(
                    request,
                    _("您已绑定动态口令。更换手机时，请联系服务器运维人员运行 bangfu reset-second-factor。"),
                )
            else:
                messages.info(request, _("您已绑定动态口令。更换手机时，请联系安全管理员重置。"))
            return HttpResponseRedirect(_home_for(user))
        return HttpResponseRedirect(_with_next(reverse("accounts:second-factor-verify"), _safe_next(request)))
    device = services.begin_second_factor_setup(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_second_factor(request=request, user=user, token=form.cleaned_data["token"]):
            messages.success(request, _("动态口令已绑定。"))
            return _after_login(request, user, _safe_next(request))
        form.add_error("token", _("动态口令不正确，请核对手机时间后重试。"))
    context = {
        "form": form,
        "next": _safe_next(request) or "",
        "qr_data_uri": qrcodes.svg_data_uri(device.config_url),
        "secret": _secret_text(device.key),
        "required": user.is_admin_role,
    }
    return render(request, "accounts/second_factor_setup.html", context)


@never_cache
@login_required
def second_factor_verify(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if user is None:
        return redirect(settings.LOGIN_URL)
    if services.confirmed_device(user) is None:
        if user.is_admin_role:
            return HttpResponseRedirect(
                _with_next(reverse("accounts:second-factor-setup"), _safe_next(request))
            )
        # A voluntary device was removed by the security admin: nothing left to verify.
        request.session[services.SECOND_FACTOR_ENROLLED_SESSION_KEY] = False
        return _after_login(request, user, _safe_next(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.verify_second_factor(request=request, user=user, token=form.cleaned_data["token"])
        if result is services.VerifyResult.VERIFIED:
            return _after_login(request, user, _safe_next(request))
        if result is services.VerifyResult.THROTTLED:
            form.add_error("token", _("验证失败次数过多，请稍后再试。"))
        else:
            form.add_error("token", _("动态口令不正确。"))
    # 三员 devices are reset only on the server (services.reset_second_factor), not by the security admin.
    context = {"form": form, "next": _safe_next(request) or "", "admin_role": user.is_admin_role}
    return render(request, "accounts/second_factor_verify.html", context)


# --- user management (security admin) ----------------------------------------------------------------------


def _add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's field errors on the form; errors about fields the form lacks go on top."""
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def users_manageable_by(user: User) -> QuerySet[User]:
    """Accounts are not region-scoped data: the security admin manages all of them, nobody else any."""
    if user.is_active and user.role == Role.SECURITY_ADMIN:
        return User.objects.all()
    return User.objects.none()


@role_required(Role.SECURITY_ADMIN)
def user_list(request: HtmxHttpRequest) -> HttpResponse:
    admin = current_user(request, required=True)
    search = UserSearchForm(request.GET or None)
    users = users_manageable_by(admin).select_related("region").order_by("username")
    if search.is_valid():
        if q := search.cleaned_data["q"].strip():
            users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q) | Q(unit__icontains=q))
        if role := search.cleaned_data["role"]:
            users = users.filter(role=role)
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    locked = lockouts.locked_usernames(u.username for u in page.object_list)
    rows = [(u, u.username in locked) for u in page.object_list]
    context = {"search": search, "page": page, "rows": rows, "me": admin}
    template = "accounts/user_list.html#rows" if request.htmx else "accounts/user_list.html"
    return render(request, template, context)


@never_cache
@role_required(Role.SECURITY_ADMIN)
def user_create(request: HttpRequest) -> HttpResponse:
    admin = current_user(request, required=True)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password = services.generate_temporary_password()
        try:
            user = services.create_user(
                by=admin,
                username=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
                region=form.cleaned_data["region"],
                sector=form.cleaned_data["sector"],
                assigned_regions=list(form.cleaned_data["assigned_regions"]),
                full_name=form.cleaned_data["full_name"],
                unit=form.cleaned_data["unit"],
                password=password,
                must_change_password=True,
                request=request,
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            # Shown once, in this response only: the temporary password is never stored in clear.
            context = {"target": user, "password": password, "created": True}
            return render(request, "accounts/temporary_password.html", context)
    return render(request, "accounts/user_form.html", {"form": form, "target": None})


@role_required(Role.SECURITY_ADMIN)
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    admin = current_user(request, required=True)
    target = get_object_or_404(users_manageable_by(admin), pk=pk)
    initial = {
        "full_name": target.full_name,
        "unit": target.unit,
        "role": target.role,
        "region": target.region_id or "",
        "sector": target.sector,
        "assigned_regions": list(target.assigned_regions.values_list("code", flat=True)),
        "is_active": target.is_active,
    }
    form = UserEditForm(request.POST or None, initial=initial, target=target)
    if target.pk == admin.pk:
        # The service refuses a change of one's own state: the box is shown, not offered.
        form.fields["is_active"].disabled = True
        form.fields["is_active"].help_text = _("不能停用自己的账号。")
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(
                user=target,
                by=admin,
                **form.scope(),
                is_active=form.cleaned_data["is_active"],
                full_name=form.cleaned_data["full_name"],
                unit=form.cleaned_data["unit"],
                request=request,
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("已保存用户 %(username)s。") % {"username": target.username})
            return redirect("accounts:user-edit", pk=target.pk)
    context = {
        "form": form,
        "target": target,
        "is_self": target.pk == admin.pk,
        "locked": lockouts.is_locked(target.username),
        "has_device": services.confirmed_device(target) is not None,
    }
    return render(request, "accounts/user_form.html", context)


@require_POST
@role_required(Role.SECURITY_ADMIN)
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    admin = current_user(request, required=True)
    target = get_object_or_404(users_manageable_by(admin), pk=pk)
    services.unlock_user(user=target, by=admin, request=request)
    messages.success(request, _("已解除用户 %(username)s 的锁定。") % {"username": target.username})
    return redirect("accounts:user-edit", pk=target.pk)


@never_cache
@require_POST
@role_required(Role.SECURITY_ADMIN)
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    admin = current_user(request, required=True)
    target = get_object_or_404(users_manageable_by(admin), pk=pk)
    password = services.reset_password(user=target, by=admin, request=request)
    return render(request, "accounts/temporary_password.html", {"target": target, "password": password})


@require_POST
@role_required(Role.SECURITY_ADMIN)
def user_reset_second_factor(request: HttpRequest, pk: int) -> HttpResponse:
    admin = current_user(request, required=True)
    target = get_object_or_404(users_manageable_by(admin), pk=pk)
    services.reset_second_factor(user=target, by=admin, request=request)
    messages.success(
        request,
        _("已重置用户 %(username)s 的动态口令，其下次登录时需重新绑定。") % {"username": target.username},
    )
    return redirect("accounts:user-edit", pk=target.pk)


@role_required(Role.SECURITY_ADMIN)
def region_search(request: HttpRequest) -> HttpResponse:
    """Regions whose name contains, or whose code starts with, the text typed in a region input (the
    ``region`` parameter): ``<option>`` rows for its datalist, at most ``REGION_SEARCH_LIMIT``.

    Regions are reference data, not scoped rows; only the security admin, who sets users' scopes, asks.
    """
    text = request.GET.get("region", "").strip()[:50]
    regions: QuerySet[Region] = Region.objects.none()
    if text:
        regions = (
            Region.objects.filter(Q(name__contains=text) | Q(code__startswith=text))
            .select_related("parent")
            .order_by("level", "code")[:REGION_SEARCH_LIMIT]
        )
    return render(request, "accounts/region_search.html", {"regions": regions})


# --- one's own API tokens (business roles) -----------------------------------------------------------------


def _token_status(token: ApiToken, *, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.is_expired(now=now) else "active"


@never_cache
@role_required(*BUSINESS_ROLES)
def token_list(request: HttpRequest) -> HttpResponse:
    """我的API令牌: one's own tokens with their status; POST issues a new one and shows it once."""
    user = current_user(request, required=True)
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = tokens.create_token(
                user=user,
                name=form.cleaned_data["name"],
                by=user,
                days=form.cleaned_data["days"],
                request=request,
            )
        except tokens.TokenRefused as exc:
            form.add_error(None, str(exc))
        else:
            # Shown once, in this response only: only the token's digest is stored.
            return render(request, "accounts/token_created.html", {"issued": issued})
    now = timezone.now()
    rows = [(token, _token_status(token, now=now)) for token in tokens.tokens_of(user)]
    return render(request, "accounts/token_list.html", {"form": form, "rows": rows})


@never_cache
@require_POST
@role_required(*BUSINESS_ROLES)
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request, required=True)
    # Only one's own tokens, and only those still in force: anyone else's id is "not found".
    token = get_object_or_404(tokens.tokens_of(user).filter(revoked_at__isnull=True), pk=pk)
    tokens.revoke_token(token=token, by=user, request=request)
    messages.success(request, _("已吊销令牌 %(prefix)s。") % {"prefix": token.prefix})
    return redirect("accounts:token-list")


# --- system admin ------------------------------------------------------------------------------------------


def _database_version() -> str:
    if connection.vendor == "sqlite":
        return sqlite3.sqlite_version
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        version = getattr(connection, "pg_version", 0)
        return f"{version // 10000}.{version % 10000}" if version else ""
    return ""


def _task_counts() -> dict[str, int] | None:
    """Background tasks by status, when the database task backend is installed."""
    if not apps.is_installed("django_tasks_db"):
        return None
    # Imported here: the page must still work on a deployment that swapped the task backend.
    from django_tasks_db.models import DBTaskResult

    counts = {
        row["status"]: row["n"] for row in DBTaskResult.objects.values("status").annotate(n=Count("id"))
    }
    return {status: counts.get(status, 0) for status in ("READY", "RUNNING", "FAILED", "SUCCESSFUL")}


@role_required(Role.SYSTEM_ADMIN)
def system_status(request: HttpRequest) -> HttpResponse:
    """The system admin's home: versions, database, migrations, background tasks. No business data."""
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    try:
        bangfu_version = metadata.version("bangfu")
    except metadata.PackageNotFoundError:
        bangfu_version = ""
    context = {
        "bangfu_version": bangfu_version,
        "django_version": django.get_version(),
        "python_version": platform.python_version(),
        "database_vendor": connection.vendor,
        "database_version": _database_version(),
        "applied_migrations": len(executor.loader.applied_migrations),
        "pending_migrations": len(pending),
        "tasks": _task_counts(),
        "debug": settings.DEBUG,
    }
    return render(request, "accounts/system_status.html", context)

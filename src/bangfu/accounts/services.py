"""Account writes: log-in and log-out, passwords, second factor, and the security admin's user management.

Every write here is one function that re-checks who may do it and writes its audit event (CONVENTIONS.md §4):
views, the ``create-user`` command and the demo all call these, never the model directly.

Separation of duties (三员分立): only the security admin manages users, roles and scopes, and never their
own role, scope or active flag; admin roles carry no region; the three admin roles need a second factor.
On the web (``by`` a user) the security admin manages business accounts only: admin-role accounts are
created, and their passwords and devices reset, on the server (``bangfu create-user``, ``bangfu
reset-password``, ``bangfu reset-second-factor``, ``by=None``). Otherwise one person could make themselves
the auditor too, or take over the auditor's account with a password reset.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from bangfu.accounts import lockouts
from bangfu.accounts.models import ADMIN_ROLES, PasswordHistory, Role, Sector, User
from bangfu.accounts.permissions import unwrap_user
from bangfu.audit import events
from bangfu.regions.codes import Level
from bangfu.regions.models import Region

# Roles whose scope is exactly one level of the hierarchy (DESIGN.md §1). Departments and inspection groups
# work at whatever level they are attached to, so they are not listed.
ROLE_REGION_LEVEL: dict[str, Level] = {
    Role.CITY_HQ: Level.CITY,
    Role.COUNTY_OFFICE: Level.COUNTY,
    Role.TOWN: Level.TOWN,
    Role.VILLAGE_TEAM: Level.VILLAGE,
}
PASSWORD_HISTORY_KEPT = 5
# Session flag: this user enrolled a device voluntarily, so this session must verify it too.
SECOND_FACTOR_ENROLLED_SESSION_KEY = "bangfu_second_factor_enrolled"
# Temporary passwords avoid look-alike characters: they are read off a screen and typed on a phone.
_TEMP_LOWER = "abcdefghijkmnpqrstuvwxyz"
_TEMP_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_TEMP_DIGITS = "23456789"


# --- log-in and log-out ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    locked: bool = False


def log_in(*, request: HttpRequest, username: str, password: str) -> LoginOutcome:
    """Authenticate through django-axes and start a session.

    Side effects: axes records a failure (or clears the failures on success); a ``login_failed`` audit event
    on failure, plus a security ``account_locked`` event when this failure is the one that locks the
    account; on success the session key is rotated, the voluntary-second-factor flag is stored in the
    session and a ``login`` audit event is written.
    """
    was_locked = lockouts.is_locked(username)
    user = authenticate(request, username=username, password=password)
    if user is None:
        locked = _record_failure(
            request=request, username=username, reason="bad_credentials", was_locked=was_locked
        )
        return LoginOutcome(user=None, locked=locked)
    if not isinstance(user, User):
        raise TypeError("AUTH_USER_MODEL must be accounts.User")
    # Guesses sent in parallel all pass axes' check before any of them is recorded, so the right password
    # can arrive after the others have locked the account. Look again before starting a session.
    if lockouts.is_locked(user.get_username()):
        events.login_failed(username=username, request=request, reason="locked_out")
        return LoginOutcome(user=None, locked=True)
    auth_login(request, user)
    request.session[SECOND_FACTOR_ENROLLED_SESSION_KEY] = confirmed_device(user) is not None
    events.login(user=user, request=request)
    return LoginOutcome(user=user)


def _record_failure(*, request: HttpRequest, username: str, reason: str, was_locked: bool) -> bool:
    """Audit a failed password check that django-axes has just counted; whether the account is now locked.

    Side effects: a ``login_failed`` event (reason ``locked_out`` when the account was locked already),
    and a security ``account_locked`` event when this failure is the one that locks it.
    """
    locked = bool(getattr(request, "axes_locked_out", False)) or was_locked
    events.login_failed(username=username, request=request, reason="locked_out" if was_locked else reason)
    if locked and not was_locked:
        account = User.objects.filter(username=username).first()
        events.security(
            actor=None,
            action="account_locked",
            obj=account,
            # A name matching no account may be anything typed in the wrong box: never stored in clear.
            detail={
                "username": username if account else events.mask_unknown_username(username),
                "failures": settings.AXES_FAILURE_LIMIT,
            },
            request=request,
        )
    return locked


def log_out(*, request: HttpRequest) -> None:
    """End the session. Side effects: a ``logout`` audit event (if someone was logged in); session flushed."""
    # An inactive user still holds a session until this request ends it; record their logout too.
    user = unwrap_user(request.user)
    if user.is_authenticated:
        events.logout(user=user, request=request)
    auth_logout(request)


# --- passwords ---------------------------------------------------------------------------------------------


class PasswordCheck(Enum):
    CORRECT = "correct"
    WRONG = "wrong"
    LOCKED = "locked"


def check_current_password(*, request: HttpRequest, user: User, password: str) -> PasswordCheck:
    """Check the password a logged-in user typed as their current one, counted like a log-in.

    Going through ``authenticate`` lets django-axes count the failures: an open session must not allow
    unlimited guesses of the password, and after ``AXES_FAILURE_LIMIT`` wrong ones the account is locked.
    Side effects on failure: axes' attempt record; a ``login_failed`` audit event with reason
    ``wrong_old_password`` (``locked_out`` when already locked); ``account_locked`` when this one locks.
    Nothing is written on success: the password change that follows is audited.
    """
    username = user.get_username()
    was_locked = lockouts.is_locked(username)
    authenticated = authenticate(request, username=username, password=password)
    if authenticated is None:
        locked = _record_failure(
            request=request, username=username, reason="wrong_old_password", was_locked=was_locked
        )
        return PasswordCheck.LOCKED if locked else PasswordCheck.WRONG
    if authenticated.pk != user.pk:
        raise TypeError("authenticate returned another user for the same username")
    # The same re-check as ``log_in``: parallel wrong guesses may have locked the account meanwhile.
    if lockouts.is_locked(username):
        return PasswordCheck.LOCKED
    return PasswordCheck.CORRECT


def set_password(
    *,
    user: User,
    raw: str,
    by: User | None,
    temporary: bool | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Validate ``raw`` against the password policy and make it ``user``'s password.

    ``temporary`` (default: set by someone other than the user) makes the user change it at next log-in.
    Raises ``ValidationError({"password": [...]})`` with the policy's Chinese messages.
    Side effects: saves the hash, ``password_changed_at`` and ``must_change_password``; records the hash
    in ``PasswordHistory`` keeping the last five; a security audit event ``password_changed``.
    """
    if temporary is None:
        temporary = by is not None and by.pk != user.pk
    try:
        password_validation.validate_password(raw, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    with transaction.atomic():
        user.set_password(raw)
        user.password_changed_at = timezone.now()
        user.must_change_password = temporary
        user.save(update_fields=["password", "password_changed_at", "must_change_password"])
        PasswordHistory.objects.create(user=user, password=user.password)
        keep = user.password_history.values_list("pk", flat=True)[:PASSWORD_HISTORY_KEPT]
        user.password_history.exclude(pk__in=list(keep)).delete()
        events.security(
            actor=by,
            action="password_changed",
            obj=user,
            detail={"temporary": temporary, "by_self": by is not None and by.pk == user.pk},
            request=request,
        )


def generate_temporary_password(length: int = 12) -> str:
    """A random password that satisfies the policy: all three of lower, upper and digit, no look-alikes."""
    pool = _TEMP_LOWER + _TEMP_UPPER + _TEMP_DIGITS
    chars = [secrets.choice(_TEMP_LOWER), secrets.choice(_TEMP_UPPER), secrets.choice(_TEMP_DIGITS)]
    chars += [secrets.choice(pool) for _ in range(length - len(chars))]
    # Shuffle with a CSPRNG so the guaranteed classes are not always at the front.
    for i in range(len(chars) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


# --- role and scope rules ----------------------------------------------------------------------------------


def check_role_scope(
    *, role: str, region: Region | None, sector: str, assigned_regions: Sequence[Region] = ()
) -> None:
    """The rules binding a role to its region and sector; raises ``ValidationError`` keyed by field.

    Admin roles carry neither region nor sector (they never read business data); business roles need a
    region, at the level their role works at; only sector departments carry a sector, and they must; only
    inspection groups are assigned counties (督查区域), and only county-level regions.
    """
    errors: dict[str, str] = {}
    if assigned_regions and role != Role.INSPECTION_GROUP:
        errors["assigned_regions"] = _("只有督查组用户设置督查区域。")
    elif not_counties := [r.name for r in assigned_regions if r.level != Level.COUNTY]:
        errors["assigned_regions"] = _("督查区域必须是县级区划，%(names)s不是。") % {
            "names": "、".join(not_counties)
        }
    if role not in Role.values:
        raise ValidationError({"role": _("角色无效：%(role)s") % {"role": role}})
    if sector and sector not in Sector.values:
        errors["sector"] = _("行业无效：%(sector)s") % {"sector": sector}
    if role in ADMIN_ROLES:
        if region is not None:
            errors["region"] = _("管理员角色（三员）不设管辖区域。")
        if sector:
            errors["sector"] = _("管理员角色（三员）不设行业。")
    else:
        if region is None:
            errors["region"] = _("业务角色必须选择管辖区域。")
        elif role in ROLE_REGION_LEVEL and region.level != ROLE_REGION_LEVEL[Role(role)]:
            errors["region"] = _("%(role)s的管辖区域必须是%(level)s级，%(name)s不是。") % {
                "role": Role(role).label,
                "level": ROLE_REGION_LEVEL[Role(role)].label,
                "name": region.name,
            }
        if role == Role.DEPARTMENT and not sector:
            errors["sector"] = _("行业部门用户必须选择行业。")
        elif role != Role.DEPARTMENT and sector:
            errors["sector"] = _("只有行业部门用户设置行业。")
    if errors:
        raise ValidationError(errors)


def _require_security_admin(by: User | None) -> None:
    """Only the security admin manages accounts; ``by=None`` is a deployment command run on the server."""
    if by is not None and not (by.is_active and by.role == Role.SECURITY_ADMIN):
        raise PermissionDenied(_("只有安全管理员可以管理用户账号。"))


def _snapshot(user: User, *, assigned: Sequence[Region] | None = None) -> dict[str, Any]:
    """The fields of a user an audit event compares before and after (``assigned``: the assigned regions
    about to be saved; default the saved ones)."""
    codes = (
        [region.code for region in assigned]
        if assigned is not None
        else list(user.assigned_regions.values_list("code", flat=True))
    )
    return {
        "username": user.username,
        "full_name": user.full_name,
        "unit": user.unit,
        "role": user.role,
        "region": user.region_id or "",
        "sector": user.sector,
        "assigned_regions": sorted(codes),
        "is_active": user.is_active,
    }


def _admin_role_refusal() -> str:
    return _("不能在网页上授予管理员角色（三员）：三员账号只能在服务器上用 bangfu create-user 命令创建。")


def _update_operation(changed: dict[str, Any]) -> str:
    """The operation name auditors filter on: the most security-relevant change of the edit."""
    if "role" in changed:
        return "role_changed"
    if "region" in changed or "sector" in changed or "assigned_regions" in changed:
        return "scope_changed"
    if "is_active" in changed:
        return "user_activated" if changed["is_active"] else "user_deactivated"
    return "user_updated"


# --- user management (security admin) ----------------------------------------------------------------------


def create_user(
    *,
    by: User | None,
    username: str,
    role: str,
    region: Region | None,
    sector: str = "",
    full_name: str = "",
    unit: str = "",
    password: str,
    must_change_password: bool = True,
    assigned_regions: Sequence[Region] = (),
    request: HttpRequest | None = None,
) -> User:
    """Create an account with its role and scope.

    ``by`` is the security admin, or None for ``bangfu create-user`` run by whoever operates the server;
    admin-role accounts are created only that way. Raises ``PermissionDenied`` for anyone else and
    ``ValidationError`` keyed by field for bad input (an admin role from the web is a ``role`` error).
    Side effects: the user row and its assigned regions; its first password (history, audit) through
    ``set_password``; a security audit event ``user_created`` with the new values.
    """
    _require_security_admin(by)
    username = username.strip()
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = _("请填写用户名。")
    else:
        try:
            UnicodeUsernameValidator()(username)
        except ValidationError:
            errors["username"] = _("用户名只能包含字母、数字和 @/./+/-/_：%(username)s") % {
                "username": username
            }
        if "username" not in errors and User.objects.filter(username=username).exists():
            errors["username"] = _("用户名已存在：%(username)s") % {"username": username}
    try:
        check_role_scope(role=role, region=region, sector=sector, assigned_regions=assigned_regions)
    except ValidationError as exc:
        errors.update({field: " ".join(msgs) for field, msgs in exc.message_dict.items()})
    if by is not None and role in ADMIN_ROLES:
        errors["role"] = _admin_role_refusal()
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = User(
            username=username,
            role=role,
            region=region,
            sector=sector,
            full_name=full_name.strip(),
            unit=unit.strip(),
        )
        # Validate the password against the unsaved user (similarity to username/name applies) before
        # creating anything, so a rejected password leaves no half-made account.
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_unusable_password()
        user.save()
        user.assigned_regions.set(assigned_regions)
        events.security(
            actor=by, action="user_created", obj=user, detail={"after": _snapshot(user)}, request=request
        )
        set_password(user=user, raw=password, by=by, temporary=must_change_password, request=request)
    return user


def update_user(
    *,
    user: User,
    by: User,
    role: str,
    region: Region | None,
    sector: str,
    is_active: bool,
    full_name: str,
    unit: str,
    assigned_regions: Sequence[Region] | None = None,
    may_reveal_personal_data: bool | None = None,
    request: HttpRequest | None = None,
) -> User:
    """Change a user's role, scope (region, sector, assigned regions), active flag, name or unit, and the
    grant to see full ID and phone numbers (``may_reveal_personal_data``).

    ``assigned_regions`` and ``may_reveal_personal_data`` None leave them as they are. Raises
    ``PermissionDenied`` unless ``by`` is the security admin, and when the security admin changes their
    own role, scope or active flag (no self-escalation, no locking oneself out); ``ValidationError`` keyed
    by field when the role/scope rules are broken, and on ``role`` for a role change to or from an admin
    role or any change of an admin-role account's role or scope (三员 accounts come only from ``bangfu
    create-user``).
    Side effects: the user row and its assigned regions; one security audit event with the changed
    fields before/after, named ``role_changed``, ``scope_changed``, ``user_activated``/``user_deactivated``
    or ``user_updated`` after the most significant change (no event when nothing changed); a change of the
    reveal grant is its own security event, ``reveal_granted`` or ``reveal_revoked``, so that an auditor
    finds every grant under one name. The grant is refused (``ValidationError`` on
    ``may_reveal_personal_data``) for an admin role, which never reads business data.
    """
    _require_security_admin(by)
    before = _snapshot(user)
    assigned = (
        list(assigned_regions)
        if assigned_regions is not None
        else list(user.assigned_regions.order_by("code"))
    )
    scope_change = (
        role != user.role
        or (region.pk if region else None) != user.region_id
        or sector != user.sector
        or sorted(r.code for r in assigned) != before["assigned_regions"]
    )
    if user.pk == by.pk and (scope_change or is_active != user.is_active):
        raise PermissionDenied(_("安全管理员不能修改自己的角色、管辖区域、行业或启用状态。"))
    if user.role in ADMIN_ROLES and scope_change:
        raise ValidationError({"role": _("管理员角色（三员）账号的角色和管辖范围不能在网页上修改。")})
    if role in ADMIN_ROLES and role != user.role:
        raise ValidationError({"role": _admin_role_refusal()})
    check_role_scope(role=role, region=region, sector=sector, assigned_regions=assigned)
    grant_before = user.may_reveal_personal_data
    grant = grant_before if may_reveal_personal_data is None else may_reveal_personal_data
    if may_reveal_personal_data and role in ADMIN_ROLES:
        raise ValidationError(
            {
                "may_reveal_personal_data": _(
                    "管理员角色（三员）不查看业务数据，不能授予查看完整个人信息的权限。"
                )
            }
        )
    with transaction.atomic():
        user.role = role
        user.region = region
        user.sector = sector
        user.is_active = is_active
        user.full_name = full_name.strip()
        user.unit = unit.strip()
        user.may_reveal_personal_data = grant
        after = _snapshot(user, assigned=assigned)
        if after == before and grant == grant_before:
            return user
        user.save(
            update_fields=[
                "role",
                "region",
                "sector",
                "is_active",
                "full_name",
                "unit",
                "may_reveal_personal_data",
            ]
        )
        if after["assigned_regions"] != before["assigned_regions"]:
            user.assigned_regions.set(assigned)
        user.forget_scope()
        changed = {key: value for key, value in after.items() if before[key] != value}
        if changed:
            events.security(
                actor=by,
                action=_update_operation(changed),
                obj=user,
                detail={"before": {key: before[key] for key in changed}, "after": changed},
                request=request,
            )
        if grant != grant_before:
            events.security(
                actor=by,
                action="reveal_granted" if grant else "reveal_revoked",
                obj=user,
                detail={
                    "before": {"may_reveal_personal_data": grant_before},
                    "after": {"may_reveal_personal_data": grant},
                },
                request=request,
            )
    return user


def reset_password(*, user: User, by: User, request: HttpRequest | None = None) -> str:
    """Give ``user`` a random temporary password they must change at next log-in; returns it (shown once).

    Raises ``PermissionDenied`` unless ``by`` is the security admin acting on someone else (their own
    password is changed on the change-password page, knowing the old one) who holds a business role:
    resetting an admin-role account would let the security admin log in as the auditor, so those are
    reset on the server (``reset_password_on_server``).
    Side effects: through ``set_password`` (hash, history, ``must_change_password``, audit); clears the
    lock-out so the user can log in with it; a security audit event ``password_reset``.
    """
    _require_security_admin(by)
    if user.pk == by.pk:
        raise PermissionDenied(_("不能重置自己的密码，请在“修改密码”页面修改。"))
    if user.is_admin_role:
        raise PermissionDenied(
            _("管理员角色（三员）账号的密码只能在服务器上用 bangfu reset-password 命令重置。")
        )
    raw = generate_temporary_password()
    with transaction.atomic():
        set_password(user=user, raw=raw, by=by, temporary=True, request=request)
        axes_reset(username=user.username)
        events.security(actor=by, action="password_reset", obj=user, request=request)
    return raw


def reset_password_on_server(*, user: User, raw: str, must_change_password: bool) -> None:
    """Set ``user``'s password from the server's shell (``bangfu reset-password``), any role included.

    Whoever runs commands on the server already controls the deployment; this is how an admin-role
    account that lost its password gets a new one. Raises ``ValidationError({"password": …})`` for a
    password the policy refuses. Side effects: through ``set_password`` (hash, history, audit); clears
    the lock-out; a security audit event ``password_reset`` with ``{"channel": "command"}``.
    """
    with transaction.atomic():
        set_password(user=user, raw=raw, by=None, temporary=must_change_password)
        axes_reset(username=user.username)
        events.security(actor=None, action="password_reset", obj=user, detail={"channel": "command"})


def unlock_user(*, user: User, by: User, request: HttpRequest | None = None) -> int:
    """Lift a lock-out before the cool-off ends; returns the number of attempt records cleared.

    Side effects: deletes the user's django-axes attempt records; a security audit event ``account_unlocked``.
    """
    _require_security_admin(by)
    with transaction.atomic():
        was_locked = lockouts.is_locked(user.username)
        cleared = axes_reset(username=user.username)
        events.security(
            actor=by,
            action="account_unlocked",
            obj=user,
            detail={"was_locked": was_locked, "cleared_attempts": cleared},
            request=request,
        )
    return cleared


def reset_second_factor(*, user: User, by: User | None, request: HttpRequest | None = None) -> int:
    """Remove a user's TOTP devices (lost phone); an admin-role user must enrol again at next request.

    ``by`` None is ``bangfu reset-second-factor`` on the server, the only way for admin-role accounts:
    on the web the security admin may reset only another business user's device (otherwise a password
    reset plus a device reset would hand them the auditor's account). Raises ``PermissionDenied``
    otherwise. Side effects: deletes the devices (their sessions become unverified); a security audit
    event ``second_factor_reset``.
    """
    _require_security_admin(by)
    # The security admin is an admin role too, so this also covers their own device.
    if by is not None and (user.pk == by.pk or user.is_admin_role):
        raise PermissionDenied(
            _("管理员角色（三员）账号的动态口令只能在服务器上用 bangfu reset-second-factor 命令重置。")
        )
    with transaction.atomic():
        removed, _details = TOTPDevice.objects.filter(user=user).delete()
        events.security(
            actor=by,
            action="second_factor_reset",
            obj=user,
            detail={"devices_removed": removed},
            request=request,
        )
    return removed


# --- second factor (TOTP) ----------------------------------------------------------------------------------


class VerifyResult(Enum):
    VERIFIED = "verified"
    WRONG = "wrong"
    THROTTLED = "throttled"
    NO_DEVICE = "no_device"


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def second_factor_required(*, user: User, session: Any) -> bool:
    """Admin roles always; other users once they chose to enrol a device."""
    return user.is_admin_role or bool(session.get(SECOND_FACTOR_ENROLLED_SESSION_KEY, False))


def begin_second_factor_setup(*, user: User) -> TOTPDevice:
    """The unconfirmed device whose secret the setup page shows; reused until confirmed.

    Side effects: creates the unconfirmed device the first time. Not audited: an unconfirmed device does
    not authenticate anyone (django-otp ignores it); the audit event is written on confirmation.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("手机动态口令"), confirmed=False)
    return device


def confirm_second_factor(*, request: HttpRequest, user: User, token: str) -> bool:
    """Confirm the setup device with a first token; the session counts as verified.

    Side effects on success: the device is confirmed, the session verified and flagged as enrolled, a
    security audit event ``second_factor_enrolled``. On failure: django-otp's throttle counter and a
    security audit event ``second_factor_failed``.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        )
        if device is None or not device.verify_token(token):
            events.security(
                actor=user,
                action="second_factor_failed",
                obj=user,
                detail={"stage": "setup"},
                request=request,
            )
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        request.session[SECOND_FACTOR_ENROLLED_SESSION_KEY] = True
        events.security(actor=user, action="second_factor_enrolled", obj=user, request=request)
    return True


def verify_second_factor(*, request: HttpRequest, user: User, token: str) -> VerifyResult:
    """Check a token against the user's confirmed device and mark the session verified.

    Failures are throttled per device by django-otp (the wait doubles after each failure and survives
    new log-ins) rather than counted by axes: axes clears its count on every successful password log-in,
    so a password holder could otherwise retry the second factor forever.
    Side effects: on success the session is verified and a security event ``second_factor_verified`` is
    written; on failure the throttle counter grows and ``second_factor_failed`` is written.
    """
    device = confirmed_device(user)
    if device is None:
        return VerifyResult.NO_DEVICE
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        events.security(
            actor=user,
            action="second_factor_failed",
            obj=user,
            detail={"stage": "throttled"},
            request=request,
        )
        return VerifyResult.THROTTLED
    verified = otp_verify_token(user, device.persistent_id, token)
    if verified is None:
        events.security(
            actor=user, action="second_factor_failed", obj=user, detail={"stage": "verify"}, request=request
        )
        return VerifyResult.WRONG
    otp_login(request, verified)
    request.session[SECOND_FACTOR_ENROLLED_SESSION_KEY] = True
    events.security(actor=user, action="second_factor_verified", obj=user, request=request)
    return VerifyResult.VERIFIED


def session_is_verified(request: HttpRequest) -> bool:
    """Whether this session passed the second factor (django-otp's middleware keeps the device id)."""
    is_verified = getattr(request.user, "is_verified", None)
    return bool(callable(is_verified) and is_verified())

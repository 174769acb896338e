"""Per-user API tokens: shown once, stored as a SHA-256 digest, expiring, revocable.

A token looks like ``bf_<8-char prefix>_<secret>``; the prefix lets a user tell tokens apart in lists and
lets the server find the row without storing the secret.

Separation of duties (三员分立): the three admin roles never read business data, so they hold no tokens; a
token whose user has since become an admin role no longer authenticates.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.accounts.models import ApiToken, User
from bangfu.audit import events

TOKEN_RE = re.compile(r"bf_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{32,64})")
# A bound on ``days``: ten years is longer than any sensible token life and keeps the date arithmetic safe.
MAX_TOKEN_DAYS = 3650


class MalformedToken(ValueError):
    """The text presented is not shaped like a bangfu token."""


class ExpiredToken(ValueError):
    """The token exists and was not revoked, but its end date has passed."""


class TokenRefused(ValueError):
    """A token cannot be issued (admin role, inactive user, bad lifetime); the message is Chinese."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str  # shown to the user once, never stored


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def default_days() -> int:
    """The lifetime of a new token (``BANGFU_API_TOKEN_DAYS``)."""
    return int(settings.BANGFU_API_TOKEN_DAYS)


def create_token(
    *,
    user: User,
    name: str,
    by: User | None,
    days: int | None = None,
    request: HttpRequest | None = None,
) -> IssuedToken:
    """Issue a token for ``user``, valid for ``days`` (default ``BANGFU_API_TOKEN_DAYS``).

    Raises ``TokenRefused`` for an admin-role or inactive user, an empty name or a lifetime outside
    1..3650 days. Side effects: a token row and a security audit event ``api_token_created``.
    """
    days = default_days() if days is None else days
    name = name.strip()
    if user.is_admin_role:
        raise TokenRefused(_("管理员角色（三员）不能持有API令牌：%(username)s") % {"username": user.username})
    if not user.is_active:
        raise TokenRefused(_("用户已停用：%(username)s") % {"username": user.username})
    if not name:
        raise TokenRefused(_("请填写令牌用途。"))
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise TokenRefused(
            _("有效天数必须在1到%(max)d之间：%(days)d") % {"max": MAX_TOKEN_DAYS, "days": days}
        )
    prefix = secrets.token_hex(4)
    raw = f"bf_{prefix}_{secrets.token_urlsafe(32)}"
    expires_at = timezone.now() + timedelta(days=days)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=prefix, digest=_digest(raw), expires_at=expires_at
        )
        events.security(
            actor=by,
            action="api_token_created",
            obj=user,
            detail={"token": prefix, "name": token.name, "expires_at": expires_at},
            request=request,
        )
    return IssuedToken(token=token, raw=raw)


def revoke_token(*, token: ApiToken, by: User | None, request: HttpRequest | None = None) -> None:
    """Revoke ``token``. Side effects: sets revoked_at and writes a security audit event."""
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        events.security(
            actor=by,
            action="api_token_revoked",
            obj=token.user,
            detail={"token": token.prefix},
            request=request,
        )


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """A user's own tokens, newest first (the "我的API令牌" page lists and revokes only these)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def user_for_token(raw: str) -> User | None:
    """The active business user owning ``raw``, or None (unknown, revoked, user inactive or now an admin
    role). Raises ``MalformedToken`` for text that cannot be a token and ``ExpiredToken`` past its end date.
    """
    # fullmatch, not match with "$": "$" also matches before a trailing newline.
    if not TOKEN_RE.fullmatch(raw):
        raise MalformedToken(raw[:12])
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or token.user.is_admin_role:
        return None
    now = timezone.now()
    if token.is_expired(now=now):
        raise ExpiredToken(token.prefix)
    # Touch last_used_at at most once a minute so that API reads do not each become a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user

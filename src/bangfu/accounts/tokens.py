"""Per-user API tokens: shown once, stored as a SHA-256 digest, revocable.

A token looks like ``bf_<8-char prefix>_<secret>``; the prefix lets a user tell tokens apart in lists and
lets the server find the row without storing the secret.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from bangfu.accounts.models import ApiToken, User
from bangfu.audit import events

TOKEN_RE = re.compile(r"^bf_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{32,64})$")


class MalformedToken(ValueError):
    """The text presented is not shaped like a bangfu token."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str  # shown to the user once, never stored


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def create_token(*, user: User, name: str, by: User | None) -> IssuedToken:
    """Issue a token for ``user``. Side effects: a token row and a security audit event."""
    prefix = secrets.token_hex(4)
    raw = f"bf_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=_digest(raw))
        events.security(
            actor=by, action="api_token_created", obj=user, detail={"token": prefix, "name": name}
        )
    return IssuedToken(token=token, raw=raw)


def revoke_token(*, token: ApiToken, by: User | None) -> None:
    """Revoke ``token``. Side effects: sets revoked_at and writes a security audit event."""
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        events.security(actor=by, action="api_token_revoked", obj=token.user, detail={"token": token.prefix})


def user_for_token(raw: str) -> User | None:
    """The active user owning ``raw``, or None. Raises MalformedToken for text that cannot be a token."""
    if not TOKEN_RE.match(raw):
        raise MalformedToken(raw[:12])
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    # Touch last_used_at at most once a minute so that API reads do not each become a write.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user

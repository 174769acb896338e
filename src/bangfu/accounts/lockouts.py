"""Read django-axes' lock-out state in the terms bangfu uses: "is this account locked right now?".

Lock-out is keyed by username only (``AXES_LOCKOUT_PARAMETERS = ["username"]``), so an account is locked
when its failures inside the cool-off window reach the limit, whatever addresses they came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def cooloff() -> timedelta:
    """How long a lock lasts after the last failure (``AXES_COOLOFF_TIME``)."""
    value = settings.AXES_COOLOFF_TIME
    if not isinstance(value, timedelta):
        raise TypeError("AXES_COOLOFF_TIME must be a timedelta in bangfu's settings")
    return value


def cooloff_minutes() -> int:
    return int(cooloff().total_seconds() // 60)


def locked_usernames(usernames: Iterable[str] | None = None) -> set[str]:
    """The usernames (among ``usernames``, or all) whose recent failures reach ``AXES_FAILURE_LIMIT``.

    Mirrors ``AxesDatabaseHandler.get_failures``: attempts newer than now − cool-off, summed per username.
    """
    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cooloff())
    if usernames is not None:
        recent = recent.filter(username__in=list(usernames))
    rows = (
        recent.values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}


def is_locked(username: str) -> bool:
    return username in locked_usernames([username])

"""Who may read and change policy parameters and the official calendar.

* Policy values are read by every business role for regions in or above its scope (a village team may see the
  province's line, not another county's own line); versions are added by the city HQ (市指挥部) only, for
  regions within its scope — DESIGN.md §1 gives it "sets policy parameters".
* The official calendar is national reference data published by the State Council, not business data
  and not a local policy choice, so it belongs to the system administrator (系统管理员), who under 三员分立
  may not read business data but maintains the system's reference tables. Business roles may read it.
"""

from __future__ import annotations

from typing import Any

from bangfu.accounts.models import Role


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def can_read_policy(user: Any) -> bool:
    return _active(user) and bool(user.reads_business_data())


def can_edit_policy(user: Any) -> bool:
    return can_read_policy(user) and user.role == Role.CITY_HQ


def can_read_calendar(user: Any) -> bool:
    return can_read_policy(user) or can_enter_calendar(user)


def can_enter_calendar(user: Any) -> bool:
    return _active(user) and user.role == Role.SYSTEM_ADMIN


def region_readable(user: Any, prefix: str) -> bool:
    """Whether ``user`` may look at values for ``prefix``: it lies inside the user's scope or encloses it."""
    return can_read_policy(user) and any(
        prefix.startswith(scope) or scope.startswith(prefix) for scope in user.scope_prefixes()
    )


def deadline_region_allowed(user: Any, prefix: str) -> bool:
    """Whether ``user`` may compute deadlines for ``prefix`` with the calculator: a business role for a region
    in or above its scope; the system administrator for any region, because it maintains the calendar the
    deadlines are counted on and must see what an entered year changes (a deadline's length is a published
    rule, not business data)."""
    return region_readable(user, prefix) or can_enter_calendar(user)


def region_editable(user: Any, prefix: str) -> bool:
    """Whether ``user`` may add versions for ``prefix``: the city HQ, inside its own scope only."""
    return can_edit_policy(user) and any(prefix.startswith(scope) for scope in user.scope_prefixes())

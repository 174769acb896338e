"""Policy parameters as data (DESIGN.md §4.2): ``bangfu.policy.value("monitoring_line", region=…, on=date)``.

The public API of the app. The lookups import the models lazily because this package is imported while Django
loads its apps, before models may be imported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bangfu.policy.exceptions import InvalidRegion, NotADeadline, PolicyError, PolicyNotSet, UnknownPolicyKey

if TYPE_CHECKING:
    from bangfu.regions.models import Region

__all__ = [
    "InvalidRegion",
    "NotADeadline",
    "PolicyError",
    "PolicyNotSet",
    "UnknownPolicyKey",
    "value",
    "values_for",
]


def value(key: str, *, region: str | Region | None = None, on: dt.date) -> Any:
    """The value of ``key`` in force for ``region`` (code, prefix, Region or None = everywhere) on ``on``:
    most specific region prefix first, then the latest effective date; one query.

    Raises UnknownPolicyKey, InvalidRegion or PolicyNotSet, each with a Chinese message.
    """
    from bangfu.policy import resolution

    return resolution.value(key, region=region, on=on)


def values_for(keys: Iterable[str], *, region: str | Region | None = None, on: dt.date) -> dict[str, Any]:
    """``value`` for several keys in one query, as a dict keyed by key."""
    from bangfu.policy import resolution

    return resolution.values_for(keys, region=region, on=on)

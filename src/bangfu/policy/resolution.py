"""Which version of a policy parameter is in force for a region on a date.

Rule (DESIGN.md §4.2): among the versions whose region prefix is a prefix of the region's code (the empty
prefix matches everywhere) and whose effective date is on or before the date, take the most specific prefix;
among those, the latest effective date. A county's own line therefore wins over the province's even if the
province published a newer one: the county's is the more specific rule. Every lookup is one query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models.functions import Length

from bangfu.policy import catalogue
from bangfu.policy.exceptions import InvalidRegion, PolicyNotSet
from bangfu.policy.models import PolicyValue, enclosing_prefixes
from bangfu.regions.codes import is_scope_prefix, is_valid_code, prefix_of

if TYPE_CHECKING:
    from bangfu.regions.models import Region


def normalize_region(region: str | Region | None) -> str:
    """The scope prefix of ``region``: "" for None (everywhere), a Region's prefix, the prefix of a 12-digit
    code, or a prefix given as such ("61", "6109", "610902", a 9-digit town). Raises InvalidRegion."""
    if region is None:
        return ""
    if not isinstance(region, str):
        return region.prefix
    text = region.strip()
    if text == "":
        return ""
    if is_valid_code(text):
        return prefix_of(text)
    # A shorter text must be exactly the prefix of a region: "6100" is not a city (it pads to 陕西省).
    if not is_scope_prefix(text):
        raise InvalidRegion(region)
    return text


def _check_date(on: dt.date) -> None:
    # A datetime is a date subclass; refusing it keeps "which day in Shanghai" the caller's explicit choice.
    if isinstance(on, dt.datetime) or not isinstance(on, dt.date):
        raise TypeError(f"on= 必须是日期（date），收到 {type(on).__name__}")


def version_in_force(key: str, *, region: str | Region | None = None, on: dt.date) -> PolicyValue:
    """The PolicyValue row in force; raises UnknownPolicyKey, InvalidRegion or PolicyNotSet. One query."""
    spec = catalogue.get(key)
    _check_date(on)
    prefix = normalize_region(region)
    row = (
        PolicyValue.objects.applicable(keys=[key], prefixes=enclosing_prefixes(prefix), on=on)
        .annotate(prefix_length=Length("region_prefix"))
        .order_by("-prefix_length", "-effective_from")
        .first()
    )
    if row is None:
        raise PolicyNotSet(key=key, label=str(spec.label), region_prefix=prefix, on=on)
    return row


def value(key: str, *, region: str | Region | None = None, on: dt.date) -> Any:
    """The value of ``key`` in force for ``region`` on ``on``, as the catalogue's Python type (Decimal for
    money and ratios, int, dict for durations, list for code tables).

    Raises UnknownPolicyKey, InvalidRegion or PolicyNotSet."""
    row = version_in_force(key, region=region, on=on)
    return catalogue.get(key).to_python(row.value)


def versions_in_force(
    keys: Iterable[str], *, region: str | Region | None = None, on: dt.date
) -> dict[str, PolicyValue]:
    """The rows in force for several keys in one query; keys with nothing in force are absent."""
    wanted = list(dict.fromkeys(keys))
    for key in wanted:
        catalogue.get(key)  # unknown keys fail before any query
    _check_date(on)
    prefix = normalize_region(region)
    best: dict[str, PolicyValue] = {}
    for row in PolicyValue.objects.applicable(keys=wanted, prefixes=enclosing_prefixes(prefix), on=on):
        current = best.get(row.key)
        rank = (len(row.region_prefix), row.effective_from)
        if current is None or rank > (len(current.region_prefix), current.effective_from):
            best[row.key] = row
    return best


def versions_in_force_by_region(
    key: str, *, regions: Iterable[str | Region], on: dt.date
) -> dict[str, PolicyValue]:
    """The row of ``key`` in force for each of many regions on ``on``, by region code (or prefix) as given.

    One query however many regions (a city-wide list names hundreds of villages): every version of the key
    in force by ``on`` is read — a handful of rows per key — and the rule of ``version_in_force`` picks each
    region's. Raises UnknownPolicyKey, InvalidRegion, or PolicyNotSet for the first region without one.
    """
    spec = catalogue.get(key)
    _check_date(on)
    wanted = {str(region) if isinstance(region, str) else region.code: region for region in regions}
    prefixes = {given: normalize_region(region) for given, region in wanted.items()}
    rows = list(PolicyValue.objects.filter(key=key, effective_from__lte=on))
    result: dict[str, PolicyValue] = {}
    for given, prefix in prefixes.items():
        candidates = [row for row in rows if prefix.startswith(row.region_prefix)]
        if not candidates:
            raise PolicyNotSet(key=key, label=str(spec.label), region_prefix=prefix, on=on)
        result[given] = max(candidates, key=lambda row: (len(row.region_prefix), row.effective_from))
    return result


def values_for(keys: Iterable[str], *, region: str | Region | None = None, on: dt.date) -> dict[str, Any]:
    """Values of several keys in one query, as ``value`` returns them; raises PolicyNotSet for the first key
    (in the order given) that has nothing in force."""
    wanted = list(dict.fromkeys(keys))
    rows = versions_in_force(wanted, region=region, on=on)
    result: dict[str, Any] = {}
    for key in wanted:
        spec = catalogue.get(key)
        if key not in rows:
            raise PolicyNotSet(key=key, label=str(spec.label), region_prefix=normalize_region(region), on=on)
        result[key] = spec.to_python(rows[key].value)
    return result

"""Region scope, enforced in one place (DESIGN.md §4.1).

Every scoped row carries a ``region_code``; a user's scope is one or more code prefixes (and, for sector
departments, a sector). ``Model.objects.visible_to(user)`` is the only filter views and API endpoints use;
``get_for_user`` turns "not visible" into 404 so that another region's rows do not even reveal they exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeGuard, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.http import Http404

from bangfu.regions.codes import prefix_bounds

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

_M = TypeVar("_M", bound=models.Model)


class ScopedUser(Protocol):
    """What the scoping mechanism needs from a user (``accounts.User`` provides it)."""

    is_authenticated: bool

    def scope_prefixes(self) -> list[str]: ...

    def scope_sector(self) -> str | None: ...

    def reads_business_data(self) -> bool: ...


def reads_business_data(user: object) -> TypeGuard[ScopedUser]:
    """Whether ``user`` is logged in and holds a business role with a scope (not 三员, not anonymous)."""
    check = getattr(user, "reads_business_data", None)
    return bool(getattr(user, "is_authenticated", False) and check is not None and check())


def scope_q(field: str, prefixes: list[str]) -> Q:
    """``field`` within any of ``prefixes`` as range predicates (index-friendly); empty list -> nothing."""
    q = Q(pk__in=[])
    for prefix in prefixes:
        lo, hi = prefix_bounds(prefix)
        q |= Q(**{f"{field}__gte": lo, f"{field}__lt": hi})
    return q


class ScopedQuerySet(models.QuerySet[_M], Generic[_M]):
    """QuerySet base for every model whose rows belong to a region.

    Subclasses name the code field (``region_field``). Sector departments (行业部门) are fail-closed: they
    see a model's rows only when it names the sector field its rows belong to (``sector_field``), or declares
    that its rows are not sector business at all (``shared_across_sectors = True``, e.g. the region tree).
    """

    region_field: str = "region_code"
    sector_field: str | None = None
    shared_across_sectors: bool = False

    def visible_to(self, user: ScopedUser | AnonymousUser | Any) -> ScopedQuerySet[_M]:
        if not reads_business_data(user):
            return self.none()
        qs = self.filter(scope_q(self.region_field, user.scope_prefixes()))
        sector = user.scope_sector()
        if sector and not self.shared_across_sectors:
            if self.sector_field is None:
                return self.none()
            qs = qs.filter(**{self.sector_field: sector})
        return qs

    def within(self, prefix: str) -> ScopedQuerySet[_M]:
        """Rows under one region prefix (a filter the user picked, applied after ``visible_to``)."""
        return self.filter(scope_q(self.region_field, [prefix]))


class OutOfScope(Http404):
    """The object exists but lies outside the user's scope. Answered exactly like "not found" (its existence
    is not revealed); the error handlers record it in the audit trail, since probing other regions' rows is
    security-relevant."""

    def __init__(self, *, model: type[models.Model], lookup: dict[str, Any]) -> None:
        super().__init__(model._meta.label)
        self.model = model
        self.lookup = lookup


def get_for_user(queryset: models.QuerySet[_M], user: Any, **lookup: Any) -> _M:
    """The single object matching ``lookup`` among those ``user`` may see, else 404 (``OutOfScope`` when it
    exists elsewhere)."""
    visible = queryset.visible_to(user)  # type: ignore[attr-defined]
    try:
        obj: _M = visible.get(**lookup)
    except (ObjectDoesNotExist, ValueError) as exc:
        try:
            exists = queryset.filter(**lookup).exists()
        except ValueError:
            exists = False
        if exists:
            raise OutOfScope(model=queryset.model, lookup=lookup) from exc
        raise Http404 from exc
    return obj


def code_visible_to(user: ScopedUser | AnonymousUser | Any, code: str) -> bool:
    """Whether a region code lies within ``user``'s scope, without a query (links, pickers).

    The same rule as ``visible_to`` on the region code; a sector narrows rows, never the regions themselves.
    """
    if not reads_business_data(user):
        return False
    return any(code.startswith(prefix) for prefix in user.scope_prefixes())

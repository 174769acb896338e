"""API schemas shared by every router, and the keyset page by id that the list endpoints share."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from ninja import Schema

_M = TypeVar("_M", bound=Model)


class ErrorOut(Schema):
    """Every API error: a stable machine code and a Chinese message."""

    code: str
    message: str


def page_by_id(rows: QuerySet[_M, Any], *, after: int | None, limit: int) -> tuple[list[Any], int | None]:
    """Up to ``limit`` rows with an id above ``after``, in id order, and the id to pass as ``after`` for the
    next page (None on the last page): one query."""
    if after is not None:
        rows = rows.filter(pk__gt=after)
    found = list(rows.order_by("pk")[: limit + 1])
    return found[:limit], (found[limit - 1].pk if len(found) > limit else None)

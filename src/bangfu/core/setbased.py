"""Set-based writes from querysets: ``INSERT … SELECT`` of a queryset's rows into a table, inside the
database, and the few SQL expressions that spell values as text and JSON the same way on SQLite and
PostgreSQL (so that a row's JSON built by the database matches what Python would have written).

Used where a job derives many rows from many rows (the screening's warnings): nothing comes back to Python.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, models, transaction
from django.db.models import Func, Value
from django.db.models.functions import SHA256


def field_text(model: type[models.Model], name: str) -> Any:
    """The value of ``model``'s field ``name`` (a path through relations allowed) as the text a person reads:
    money with two decimals, a day as YYYY-MM-DD, anything else as it is; NULL stays NULL."""
    field: Any = model._meta.get_field(name.split("__")[0])
    for part in name.split("__")[1:]:
        field = field.related_model._meta.get_field(part)
    output = getattr(field, "output_field", None) or field
    if isinstance(output, models.DecimalField):
        return MoneyText(models.F(name))
    if isinstance(output, models.DateField):
        return DayText(models.F(name))
    return models.F(name)


class MoneyText(Func):
    """A decimal as text with two places ('7000.00'); NULL stays NULL."""

    output_field = models.TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # printf() spells NULL as 0.00: the value is tested first (its SQL, and its parameters, twice).
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"CASE WHEN ({sql}) IS NULL THEN NULL ELSE printf('%%.2f', {sql}) END", (*params, *params)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(ROUND(%(expressions)s, 2))::text", **extra)


class DayText(Func):
    """A date as YYYY-MM-DD text (SQLite keeps dates so); NULL stays NULL."""

    output_field = models.TextField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="%(expressions)s", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="TO_CHAR(%(expressions)s, 'YYYY-MM-DD')", **extra)


class Sha256Hex(SHA256):
    """The SHA-256 of a text, in lowercase hex, as Python's ``hashlib`` spells it (PostgreSQL's built-in
    ``sha256`` rather than pgcrypto's ``digest``, which Django's ``SHA256`` needs)."""

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="ENCODE(SHA256(CONVERT_TO(%(expressions)s, 'UTF8')), 'hex')",
            **extra,
        )


class JSONText(Func):
    """A JSON document given as text, as a JSON value of the query (to nest it in ``JSONObject``)."""

    output_field = models.JSONField()

    def __init__(self, text: str) -> None:
        super().__init__(Value(text, output_field=models.TextField()))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="json(%(expressions)s)", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(%(expressions)s)::jsonb", **extra)


class StripNulls(Func):
    """A JSON object without its members whose value is null (a fact a row does not have)."""

    output_field = models.JSONField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # A merge patch drops the members it sets to null (RFC 7396).
        return self.as_sql(compiler, connection, template="json_patch('{}', %(expressions)s)", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="jsonb_strip_nulls(%(expressions)s)", **extra)


def insert_from(table: str, rows: models.QuerySet[Any], *, constants: Mapping[str, Any] | None = None) -> int:
    """``INSERT INTO table`` the rows of ``rows`` (a ``values()`` queryset whose names are the table's
    columns) with ``constants`` (column → value, the same for every row); returns how many were written
    (none when the filter can match nothing, as an empty ``in`` list)."""
    constants = dict(constants or {})
    names: Sequence[str] = list(rows.query.values_select) + list(rows.query.annotation_select)
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:
        return 0
    ops = connection.ops
    columns = ", ".join(ops.quote_name(name) for name in [*names, *constants])
    picked = ", ".join([*(f"q.{ops.quote_name(name)}" for name in names), *(["%s"] * len(constants))])
    statement = f"INSERT INTO {ops.quote_name(table)} ({columns}) SELECT {picked} FROM ({sql}) q"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, [*constants.values(), *params])
        return max(cursor.rowcount, 0)


@contextmanager
def no_jit() -> Iterator[None]:
    """A transaction in which PostgreSQL does not JIT-compile plans (SQLite: just the transaction).

    PostgreSQL compiles a plan whose estimated cost passes ``jit_above_cost``; a count with a CASE per row
    over ~100,000 problems passes it and spends about half a second compiling what then runs in a tenth of
    that (bench/weekly_report.py: the city's board 815 ms with JIT, 233 ms without). Pages and reports that
    count by colour run inside this (the screening's sessions turn JIT off in their own settings).
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield

"""Batched raw writes of many model rows (imports, department data): values prepared once per field type,
written by COPY on PostgreSQL and the driver's ``executemany`` on SQLite, ids allocated before the write so
that children can point at rows that do not exist yet. Used instead of ``bulk_create``, whose per-value
preparation, model instances and (on SQLite) 999-parameter statements dominated the imports
(bench/registry_import.py, bench/dataset_import.py).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

from django.db import connection, models

from bangfu.core import crypto
from bangfu.core.fields import EncryptedTextField

BATCH: Final = 1000
Row = dict[str, Any]


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class BulkRows:
    """Raw batched writes of one model's rows: multi-row ``INSERT … RETURNING id``, ``executemany`` INSERT
    and UPDATE. Values are prepared once per field type (encrypted fields with their column's context, dates
    and decimals through the backend's adapters; text, numbers and flags go to the driver as they are), and
    defaults once per batch. Used instead of ``bulk_create``, whose per-value preparation and model instances
    dominated the import of 100,000 members (bench/registry_import.py)."""

    def __init__(self, model: type[Any], *, now: dt.datetime) -> None:
        self.model = model
        meta = model._meta
        self.fields = [f for f in meta.concrete_fields if not f.primary_key and not f.generated]
        self.names = [f.attname for f in self.fields]
        self.prepare = {f.attname: preparer(f) for f in self.fields}
        self.defaults: Row = {}
        for model_field in self.fields:
            if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
                value = now
            elif model_field.has_default() or not model_field.null:
                value = model_field.get_default()
            else:
                value = None
            prepare = self.prepare[model_field.attname]
            self.defaults[model_field.attname] = (
                prepare(value) if prepare is not None and value is not None else value
            )
        self.table = connection.ops.quote_name(meta.db_table)
        self.pk = connection.ops.quote_name(meta.pk.column)

    def column_list(self, names: Sequence[str]) -> str:
        columns = {f.attname: f.column for f in self.fields}
        columns[self.model._meta.pk.attname] = self.model._meta.pk.column
        return ", ".join(connection.ops.quote_name(columns[name]) for name in names)

    def insert(self, rows: Sequence[Row]) -> list[int]:
        """Insert ``rows`` (dicts by attname; keys that are not fields are ignored, missing fields take their
        defaults) and return their ids, allocated before the insert."""
        if not rows:
            return []
        ids = allocate_ids(self.model, len(rows))
        defaults = self.defaults
        pick = operator.itemgetter(*self.names)
        preparing = [(name, p) for name, p in self.prepare.items() if p is not None]
        prepared = []
        for pk, row in zip(ids, rows, strict=True):
            full = {**defaults, **row}
            for name, prepare in preparing:
                if name in row:
                    full[name] = prepare(row[name])
            prepared.append((pk, *pick(full)))
        write_rows(self.table, self.column_list([self.model._meta.pk.attname, *self.names]), prepared)
        return ids

    def insert_tuples(self, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert rows given as tuples in ``names`` order (the other fields take their defaults, the ids
        come from the database), for the many rows whose ids nobody needs (statement lines, indicators)."""
        rest = [name for name in self.names if name not in names]
        tail = tuple(self.defaults[name] for name in rest)
        preparing = [(i, p) for i, name in enumerate(names) if (p := self.prepare[name]) is not None]
        prepared: list[tuple[Any, ...]] = []
        for row in rows:
            if preparing:
                values = list(row)
                for i, prepare in preparing:
                    values[i] = prepare(values[i])
                prepared.append((*values, *tail))
            else:
                prepared.append((*row, *tail))
        write_rows(self.table, self.column_list([*names, *rest]), prepared)
        return len(prepared)

    def update(self, changes: Sequence[tuple[int, Row]]) -> None:
        """``UPDATE … SET <changed fields> WHERE id = …``, one ``executemany`` per set of changed fields."""
        groups: dict[tuple[str, ...], list[tuple[int, Row]]] = defaultdict(list)
        for pk, row in changes:
            groups[tuple(sorted(row))].append((pk, row))
        if not groups:
            return
        auto = [f.attname for f in self.fields if getattr(f, "auto_now", False)]
        with connection.cursor() as cursor:
            for names, group in groups.items():
                columns = [*names, *[a for a in auto if a not in names]]
                assignments = ", ".join(
                    f"{connection.ops.quote_name(self.model._meta.get_field(n).column)} = %s" for n in columns
                )
                # Identifiers come from the model's metadata; every value is a parameter.
                sql = f"UPDATE {self.table} SET {assignments} WHERE {self.pk} = %s"  # noqa: S608
                params = []
                for pk, row in group:
                    # Changed values are prepared; the auto timestamps are the prepared defaults.
                    prepared = [
                        (p(row[name]) if (p := self.prepare[name]) is not None else row[name])
                        if name in row
                        else self.defaults[name]
                        for name in columns
                    ]
                    params.append([*prepared, pk])
                for chunk in chunks(params, BATCH):
                    cursor.executemany(sql, chunk)


def preparer(model_field: Any) -> Callable[[Any], Any] | None:
    """How a value of this field becomes a query parameter; ``None``: as it is (text, numbers, booleans)."""
    ops = connection.ops
    if isinstance(model_field, EncryptedTextField):
        context = model_field.crypto_context
        return lambda value: crypto.encrypt(value, context=context) if value else value
    if isinstance(model_field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(model_field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(model_field, models.DecimalField):
        digits, places = model_field.max_digits, model_field.decimal_places
        return lambda value: (
            ops.adapt_decimalfield_value(value, digits, places) if value is not None else None
        )
    return None


def allocate_ids(model: type[Any], count: int) -> list[int]:
    """``count`` new primary keys of ``model``'s table, so that children can point at rows before they exist
    and the rows can be written by COPY or ``executemany``."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), model._meta.pk.column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the import's transaction holds the database's write lock (BEGIN IMMEDIATE), so nobody
        # else inserts meanwhile; AUTOINCREMENT's high-water mark is respected, so a deleted row's id is
        # never given to a new one (its audit trail would otherwise read as the new row's).
        pk, quoted = connection.ops.quote_name(model._meta.pk.column), connection.ops.quote_name(table)
        cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {quoted}")  # noqa: S608
        largest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        first = max(largest, found[0] if found else 0) + 1
    return list(range(first, first + count))


# SQLite's page cache while an import writes (KiB, as ``PRAGMA cache_size`` takes a negative number): the
# indexes of the registry tables are updated at random places (blind indexes), which a small cache turns into
# reads and writes of the same pages again and again.
IMPORT_CACHE_KIB: Final = 256 * 1024


@contextmanager
def write_cache() -> Iterator[None]:
    """Inside the write transaction: on SQLite, a larger page cache for the connection until the block ends;
    elsewhere nothing changes."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")


def write_rows(table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
    """Write prepared rows: COPY on PostgreSQL, the driver's own ``executemany`` on SQLite (no per-row work
    in Python on either), ``executemany`` elsewhere. ``table`` and ``columns`` are quoted identifiers taken
    from the model's metadata; every value is data."""
    if not rows:
        return
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with (
            connection.connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    width = len(rows[0])
    if connection.vendor == "sqlite":
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['?'] * width)})"  # noqa: S608
        for chunk in chunks(rows, 10 * BATCH):
            connection.connection.executemany(sql, chunk)
        return
    with connection.cursor() as cursor:
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * width)})"  # noqa: S608
        for chunk in chunks(rows, BATCH):
            cursor.executemany(sql, chunk)


def drop_indexes(tables: Sequence[str]) -> list[str]:
    """Drop the secondary indexes of ``tables`` (inside the caller's transaction); returns the statements
    that re-create them. Building an index once from all rows is several times cheaper than updating it
    row by row, for a write that is large against what the table holds. Indexes that back a primary key or
    a constraint stay (``drop_constraints`` takes a unique constraint with its index)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "ORDER BY name"
            )
            indexes = [(name, sql) for name, sql, table in cursor.fetchall() if table in tables]
        else:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
                "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conname = i.indexname) ORDER BY i.indexname",
                [list(tables)],
            )
            indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in indexes]


def drop_foreign_keys(tables: Sequence[str], *, columns: Sequence[str] | None = None) -> list[str]:
    """PostgreSQL: drop the foreign keys of ``tables`` (only those on ``columns`` when given) inside the
    caller's transaction; returns the statements that add them back. Adding a foreign key validates every
    row in one join, where a write of many rows would check each row and key with a locking lookup.

    Until the transaction ends, ``tables`` are locked against every other reader and writer, and the tables
    the keys point to against writers (SHARE ROW EXCLUSIVE): for large batch writes only, on keys whose
    target tables can wait. The transaction's pending deferred checks are made first (a table with pending
    trigger events cannot be altered); constraints stay immediate for the rest of the transaction."""
    return drop_constraints(tables, kind="f", columns=columns)


def drop_constraints(tables: Sequence[str], *, kind: str, columns: Sequence[str] | None = None) -> list[str]:
    """PostgreSQL: drop the constraints of ``kind`` (``f`` foreign key, ``u`` unique) of ``tables`` whose
    first column is one of ``columns`` (all when None); returns the statements that add them back, which
    validate every row at once (see ``drop_foreign_keys`` for the locks)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), a.attname"
            " FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " WHERE c.contype = %s AND c.conrelid::regclass::text = ANY(%s) ORDER BY c.conname",
            [kind, [f'"{name}"' for name in tables] + list(tables)],
        )
        constraints = [
            (table, name, definition)
            for table, name, definition, column in cursor.fetchall()
            if columns is None or column in columns
        ]
        for table, name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in constraints
    ]

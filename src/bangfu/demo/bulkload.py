"""Writing the synthetic population into the database fast: rows as tuples, never the ORM per row.

A million households are about 20 million rows. Through model instances that would take hours; here the
generator (``bangfu.demo.population``) produces tuples in column order, two worker processes generate and
encrypt in parallel, and the main process writes each batch with one ``executemany`` per table on SQLite
or one ``COPY`` per table on PostgreSQL, all in a single transaction — the population appears whole or
not at all. Every row has its id from the plan, so parents and children need no round trips and the
result does not depend on which process finished first.

On SQLite the load runs with ``synchronous=OFF`` and a rollback journal instead of the WAL (a huge
transaction would otherwise be written twice, once into the WAL and once at the checkpoint), a large page
cache and without foreign-key enforcement — the ids come from one plan, and a test checks that every link
of a loaded population points at a row; the settings of ``bangfu.settings`` are restored afterwards. If
the process is killed during the load, SQLite rolls back the unfinished transaction on the next open; a
power cut or system crash during it may leave a damaged file (``synchronous=OFF``): it is a demo database,
delete it and run the demo again.

For a large load the secondary indexes of the registry tables are dropped inside the transaction and
created again before the commit: building an index once from all rows is several times cheaper than
updating it row by row, and the unique ones are checked when they are built. DDL is transactional on both
databases, so a failed load leaves the indexes as they were. On PostgreSQL the deferred foreign keys are
checked per statement (``SET CONSTRAINTS ALL IMMEDIATE``) so that millions of pending checks do not pile
up until the commit — and for a large load they are dropped and added back like the indexes, since adding
a foreign key validates every row in one join instead of one lookup per row.
"""

from __future__ import annotations

import multiprocessing
import queue as queues
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from math import ceil
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.utils import timezone

from bangfu.core import bulkwrite, crypto
from bangfu.demo import population
from bangfu.demo.population import COLUMNS, Batch, Settings, Unit
from bangfu.registry import models as registry

MODELS: Mapping[str, type[models.Model]] = {
    "household": registry.Household,
    "member": registry.Member,
    "householdyear": registry.HouseholdYear,
    "programmeenrolment": registry.ProgrammeEnrolment,
    "employment": registry.Employment,
    "incomestatement": registry.IncomeStatement,
    "incomeline": registry.IncomeLine,
    "indicatorobservation": registry.IndicatorObservation,
}
# Children come after their parents, so the foreign keys hold after every statement (PostgreSQL checks
# them immediately, see the module docstring).
WRITE_ORDER = tuple(MODELS)
SQLITE_CACHE_KIB = 1_000_000  # about 1 GB of page cache for the load's indexes
# From this many households on, the indexes are rebuilt rather than maintained (see the module docstring).
REBUILD_INDEXES_FROM = 50_000
# A batch takes a second or two; this long without one means a worker died (killed, out of memory), and a
# pool does not report a lost task, so the load gives up instead of waiting forever.
STALL_SECONDS = 600


@dataclass(frozen=True)
class Table:
    """How one model's rows are written: the columns the generator fills, then the model's other columns
    with their default value (a field added to the model later still gets a valid value)."""

    db_table: str
    columns: tuple[str, ...]
    extras: tuple[Any, ...]


def tables() -> dict[str, Table]:
    """Match the generator's columns against the models; refuse clearly if a model gained a column that
    has neither a default nor NULL, or lost one the generator writes."""
    result: dict[str, Table] = {}
    for name, model in MODELS.items():
        generated = COLUMNS[name]
        fields = {
            field.attname: field
            for field in model._meta.concrete_fields
            if not isinstance(field, models.GeneratedField)
        }
        unknown = [column for column in generated if column not in fields]
        if unknown:
            raise ImproperlyConfigured(f"demo generator writes {name} columns the model lacks: {unknown}")
        extra_columns: list[str] = []
        extras: list[Any] = []
        for attname, field in fields.items():
            if attname in generated:
                continue
            if field.has_default():
                value = field.get_db_prep_save(field.get_default(), connection)
            elif field.null:
                value = None
            else:
                raise ImproperlyConfigured(
                    f"demo generator does not fill {name}.{attname} (no default, not null)"
                )
            extra_columns.append(str(field.column))
            extras.append(value)
        columns = tuple(str(fields[column].column) for column in generated) + tuple(extra_columns)
        result[name] = Table(db_table=model._meta.db_table, columns=columns, extras=tuple(extras))
    return result


# --- writers ----------------------------------------------------------------------------------------------


class _SqliteWriter:
    def __init__(self, specs: Mapping[str, Table]) -> None:
        self.specs = specs
        self.sql = {
            # Table and column names come from the models' metadata, never from input.
            name: f'INSERT INTO "{spec.db_table}" ({", ".join(spec.columns)}) '  # noqa: S608
            f"VALUES ({', '.join('?' * len(spec.columns))})"
            for name, spec in specs.items()
        }
        # The DB-API connection under Django's wrapper: no per-row parameter conversion or debug logging.
        self.raw = connection.connection

    def write(self, name: str, rows: Sequence[tuple[Any, ...]]) -> None:
        extras = self.specs[name].extras
        self.raw.executemany(self.sql[name], [row + extras for row in rows] if extras else rows)


class _PostgresWriter:
    def __init__(self, specs: Mapping[str, Table]) -> None:
        self.specs = specs
        self.sql = {
            name: f'COPY "{spec.db_table}" ({", ".join(spec.columns)}) FROM STDIN'
            for name, spec in specs.items()
        }
        self.cursor = connection.connection.cursor()
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def write(self, name: str, rows: Sequence[tuple[Any, ...]]) -> None:
        extras = self.specs[name].extras
        with self.cursor.copy(self.sql[name]) as copy:
            for row in rows:
                copy.write_row(row + extras if extras else row)


@contextmanager
def _sqlite_bulk_mode() -> Iterator[None]:
    """Fast, still transactional settings for one big load; the previous ones are restored after."""
    # PRAGMAs that change the journal cannot run inside a transaction (tests wrap each test in one):
    # there the load simply runs with the settings it finds.
    if connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0]
        cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
        foreign_keys = cursor.execute("PRAGMA foreign_keys").fetchone()[0]
        cursor.execute("PRAGMA journal_mode=DELETE")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA foreign_keys={int(foreign_keys)}")
            cursor.execute(f"PRAGMA cache_size={int(cache)}")
            cursor.execute(f"PRAGMA synchronous={int(synchronous)}")
            cursor.execute(f"PRAGMA journal_mode={journal}")


# --- parallel generation -------------------------------------------------------------------------------

_queue: Any = None
_settings: Settings | None = None


@dataclass(frozen=True)
class _Failure:
    unit: int
    text: str


def _init_worker(queue: Any, settings: Settings) -> None:
    global _queue, _settings
    _queue, _settings = queue, settings


def _generate_unit(unit: Unit) -> None:
    """Worker: put every batch of ``unit`` on the queue; a failure goes there too, so the main process
    stops waiting instead of hanging."""
    if _queue is None or _settings is None:
        raise RuntimeError("_generate_unit runs only in a worker started by generate()")
    try:
        for batch in population.unit_rows(unit, _settings):
            _queue.put(batch)
    except BaseException:
        _queue.put(_Failure(unit.index, traceback.format_exc()))
        raise


def batch_count(units: Sequence[Unit], settings: Settings) -> int:
    return sum(ceil(len(unit.households) / settings.batch_households) for unit in units if unit.households)


def generate(units: Sequence[Unit], settings: Settings, *, workers: int) -> Iterator[Batch]:
    """Every batch of every unit: in this process (``workers`` ≤ 1, or where ``fork`` is unavailable),
    else from ``workers`` forked processes, the largest units first so that they finish together.
    Batches of different units arrive interleaved; their rows carry their final ids all the same."""
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for unit in units:
            yield from population.unit_rows(unit, settings)
        return
    # Load the keys before forking, so that the workers do not each read (or create) the key files.
    crypto.keyring()
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=4 * workers)
    expected = batch_count(units, settings)
    ordered = sorted(units, key=lambda unit: (-len(unit.households), unit.index))
    with context.Pool(workers, initializer=_init_worker, initargs=(queue, settings)) as pool:
        results = [pool.apply_async(_generate_unit, (unit,)) for unit in ordered if unit.households]
        for _ in range(expected):
            try:
                item = queue.get(timeout=STALL_SECONDS)
            except queues.Empty:
                raise RuntimeError(
                    f"no batch from the demo population workers for {STALL_SECONDS} s"
                ) from None
            if isinstance(item, _Failure):
                raise RuntimeError(f"demo population worker failed in unit {item.unit}:\n{item.text}")
            yield item
        for result in results:
            # Every batch has arrived; a worker that still does not finish is stuck, not busy.
            result.get(timeout=STALL_SECONDS)


# --- the load -----------------------------------------------------------------------------------------------


def next_ids() -> dict[str, int]:
    """The first free id of each table: the load appends after whatever is already there."""
    result = {}
    for name, model in MODELS.items():
        last = model._default_manager.aggregate(last=models.Max("pk"))["last"]
        result[name] = (last or 0) + 1
    return result


def load_timestamp() -> Any:
    """``created_at`` of every row, as the database column expects it."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


Writer = _SqliteWriter | _PostgresWriter


def write(
    writer: Writer,
    batches: Iterator[Batch],
    *,
    total_households: int,
    progress: Callable[[int, int], None] | None = None,
) -> Counter[str]:
    """Write ``batches`` through ``writer`` (from ``writing``); returns the number of rows per table."""
    counts: Counter[str] = Counter()
    done = 0
    for batch in batches:
        for name in WRITE_ORDER:
            rows = batch.rows[name]
            if rows:
                writer.write(name, rows)
                counts[name] += len(rows)
        done += batch.households
        if progress is not None:
            progress(done, total_households)
    return counts


@contextmanager
def writing(*, rebuild_indexes: bool) -> Iterator[Writer]:
    """The writer for this database, inside the caller's transaction (``transaction.atomic()`` within
    ``bulk_mode()``).

    With ``rebuild_indexes`` the registry tables' secondary indexes (and on PostgreSQL their foreign keys,
    whose per-row checks cost more than one validating join) are dropped first and re-created when the
    block ends; the identity sequences of PostgreSQL are then moved past the written ids.
    """
    specs = tables()
    indexes = drop_indexes() if rebuild_indexes else []
    foreign_keys = drop_foreign_keys() if rebuild_indexes and connection.vendor == "postgresql" else []
    yield _SqliteWriter(specs) if connection.vendor == "sqlite" else _PostgresWriter(specs)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and indexes:
            # Room for the sorts of the index builds (this transaction only).
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for sql in [*indexes, *foreign_keys]:
            cursor.execute(sql)
    if connection.vendor == "postgresql":
        _reset_sequences(specs)


def _reset_sequences(specs: Mapping[str, Table]) -> None:
    # Rows came with explicit ids; the identity sequences must continue after the largest one.
    with connection.cursor() as cursor:
        for spec in specs.values():
            # The table name comes from the model's metadata, never from input.
            largest = f'(SELECT MAX(id) FROM "{spec.db_table}")'  # noqa: S608
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE({largest}, 1))", [spec.db_table]
            )


@contextmanager
def bulk_mode() -> Iterator[None]:
    """Database settings for the load (SQLite only; see the module docstring)."""
    if connection.vendor == "sqlite":
        with _sqlite_bulk_mode():
            yield
    else:
        yield


def drop_indexes() -> list[str]:
    """Drop the secondary indexes of the registry tables; returns the statements that re-create them."""
    return bulkwrite.drop_indexes([model._meta.db_table for model in MODELS.values()])


def drop_foreign_keys() -> list[str]:
    """PostgreSQL: drop the foreign keys of the registry tables; returns the statements that add them back
    (adding a foreign key validates all rows in one join)."""
    return bulkwrite.drop_foreign_keys([model._meta.db_table for model in MODELS.values()])


def analyze() -> None:
    """Fresh planner statistics for the loaded tables (sampled on SQLite, so it takes seconds)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=1000")
        for model in MODELS.values():
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def load(
    units: Sequence[Unit],
    settings: Settings,
    *,
    workers: int,
    progress: Callable[[int, int], None] | None = None,
    inside: Callable[[Counter[str]], None] | None = None,
    rebuild_indexes: bool | None = None,
) -> Counter[str]:
    """Generate and write ``units`` in one transaction; ``inside(counts)`` runs in that transaction after
    the rows are written (the audit event). ``rebuild_indexes`` None: for loads of
    ``REBUILD_INDEXES_FROM`` households or more. Statistics are refreshed after the commit."""
    total = sum(len(unit.households) for unit in units)
    if rebuild_indexes is None:
        rebuild_indexes = total >= REBUILD_INDEXES_FROM
    with bulk_mode(), transaction.atomic():
        with writing(rebuild_indexes=rebuild_indexes) as writer:
            batches = generate(units, settings, workers=workers)
            counts = write(writer, batches, total_households=total, progress=progress)
        # Last, once the indexes are back: the audit chain's head stays locked only until the commit.
        if inside is not None:
            inside(counts)
    if not connection.in_atomic_block:
        analyze()
    return counts

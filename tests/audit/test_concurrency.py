"""Appenders from several connections at once still build one unbroken chain, on both databases.

Each writer is a real thread with its own database connection, racing the others from a barrier.

* PostgreSQL: the threads write to the test database itself; the chain head row is locked with
  SELECT … FOR UPDATE.
* SQLite: pytest-django's test database is in memory with a shared cache, where concurrent writers get
  "table is locked" at once instead of waiting, so the threads cannot race on it. They race on a file database
  in ``tmp_path`` instead, opened with the project's SQLite settings (WAL, ``transaction_mode`` IMMEDIATE, a
  busy timeout): every thread's connection is made from a copy of the ``default`` settings pointing at that
  file, migrated first. The main thread keeps its in-memory test database.

What makes it fail: without the IMMEDIATE write lock (a deferred transaction upgrading its read lock) SQLite
refuses one of two writers with "database is locked"; without the head lock, or the transaction around the
append, two writers read the same head and write the same seq (an IntegrityError) or fork the chain (verify
fails). The test checks that no writer failed, that the sequence is 1…n without gaps and that verify passes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from django.core.management import call_command
from django.db import connection, connections

from bangfu.audit import events
from bangfu.audit.chain import VerifyResult, verify_chain
from bangfu.audit.models import AuditEvent

WRITERS = 4
EVENTS_PER_WRITER = 10

T = TypeVar("T")


def in_new_thread(work: Callable[[], T]) -> T:
    """Run ``work`` in a thread of its own (so on its own connection) and return its result."""
    results: list[T] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            results.append(work())
        except BaseException as exc:  # handed to the calling thread
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]
    return results[0]


def race_appenders() -> list[BaseException]:
    """WRITERS threads append EVENTS_PER_WRITER events each, all starting at once; their failures."""
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            start.wait()
            for n in range(EVENTS_PER_WRITER):
                # By the system (no actor): the SQLite file database holds only the audit tables.
                events.security(actor=None, action=f"writer_{writer}", detail={"n": n})
        except BaseException as exc:  # reported to the main thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


@contextmanager
def racing_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Where the racing threads write: on SQLite a fresh file database with the audit tables (see the module
    docstring); on PostgreSQL the test database as it is."""
    if connection.vendor != "sqlite":
        yield
        return
    default = connection.settings_dict
    file_settings = {**default, "NAME": str(tmp_path / "audit-race.sqlite3"), "TEST": {**default["TEST"]}}
    # A new dict, not an edit of the old one: the main thread's open in-memory connection keeps its settings.
    monkeypatch.setattr(connections, "settings", {**connections.settings, "default": file_settings})

    def create_tables() -> None:
        # The real migrations (an event's foreign key needs the accounts table, even for a NULL actor).
        call_command("migrate", verbosity=0)
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert connection.settings_dict["NAME"] == file_settings["NAME"]

    in_new_thread(create_tables)
    yield


@pytest.mark.django_db(transaction=True)
def test_concurrent_appenders_build_one_unbroken_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    total = WRITERS * EVENTS_PER_WRITER
    with racing_database(tmp_path, monkeypatch):
        assert race_appenders() == []

        def chain_state() -> tuple[list[int], VerifyResult]:
            seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
            return seqs, verify_chain()

        seqs, result = in_new_thread(chain_state)

    assert seqs == list(range(1, total + 1))
    assert result == VerifyResult(ok=True, checked=total)

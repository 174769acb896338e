"""Appenders from several connections at once still build one unbroken chain.

On PostgreSQL the chain head row is locked with SELECT … FOR UPDATE; this test races real threads, each on
its own connection. SQLite serialises writers itself once every write transaction begins IMMEDIATE (the
database write lock is taken at BEGIN); the in-memory test database cannot show that with threads (it
reports "table is locked" instead of waiting), so there the test checks the setting the chain relies on.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from bangfu.accounts.models import User
from bangfu.audit import events
from bangfu.audit.chain import verify_chain
from bangfu.audit.models import AuditEvent

WRITERS = 4
EVENTS_PER_WRITER = 10


def race_appenders(actor: User) -> list[BaseException]:
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            start.wait()
            for n in range(EVENTS_PER_WRITER):
                events.security(actor=actor, action=f"writer_{writer}", detail={"n": n})
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


@pytest.mark.django_db(transaction=True)
def test_concurrent_appenders_build_one_unbroken_chain(security_admin: User) -> None:
    if connection.vendor == "sqlite":
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        return

    assert race_appenders(security_admin) == []

    total = WRITERS * EVENTS_PER_WRITER
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, total + 1))
    assert verify_chain().checked == total
    assert verify_chain().ok

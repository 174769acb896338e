"""The nightly chain verification runs as a real background job through the database queue and the worker."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django_tasks import TaskResultStatus

from bangfu.accounts.models import User
from bangfu.audit import events
from bangfu.audit.models import AuditEvent
from bangfu.audit.tasks import verify_audit_chain

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _run_worker() -> None:
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_QUEUE)
def test_worker_runs_the_enqueued_verification_and_records_it(village_cadre: User) -> None:
    events.security(actor=village_cadre, action="example", obj=village_cadre)
    result = verify_audit_chain.enqueue()
    assert result.status == TaskResultStatus.READY

    _run_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"ok": True, "checked": 1, "first_broken_seq": None, "reason": ""}
    recorded = AuditEvent.objects.filter(action="security").order_by("-seq").first()
    assert recorded is not None
    assert recorded.data["detail"]["ok"] is True


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_QUEUE)
def test_worker_verification_reports_a_tampered_row(village_cadre: User) -> None:
    first = events.security(actor=village_cadre, action="example", obj=village_cadre)
    events.security(actor=village_cadre, action="example", obj=village_cadre)
    with connection.cursor() as cursor:
        table = AuditEvent._meta.db_table
        cursor.execute(f"UPDATE {table} SET object_repr = %s WHERE seq = %s", ["篡改", first.seq])  # noqa: S608

    result = verify_audit_chain.enqueue()
    _run_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value["ok"] is False
    assert result.return_value["first_broken_seq"] == first.seq

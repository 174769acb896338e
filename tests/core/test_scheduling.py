"""Periodic jobs are enqueued once per slot through the database queue, and caught up after downtime."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from bangfu.core.scheduling import Periodic, enqueue_due
from bangfu.schedule import PERIODIC

SHANGHAI = ZoneInfo("Asia/Shanghai")
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
NIGHTLY = Periodic("nightly", "bangfu.audit.tasks.verify_audit_chain", at=time(2, 0))


def test_daily_slot_is_todays_time_once_passed_else_yesterdays() -> None:
    assert NIGHTLY.latest_slot(datetime(2026, 11, 28, 2, 0, tzinfo=SHANGHAI)) == datetime(
        2026, 11, 28, 2, 0, tzinfo=SHANGHAI
    )
    assert NIGHTLY.latest_slot(datetime(2026, 11, 28, 1, 59, tzinfo=SHANGHAI)) == datetime(
        2026, 11, 27, 2, 0, tzinfo=SHANGHAI
    )


def test_weekly_slot_falls_on_its_weekday() -> None:
    monday_early = Periodic("weekly", "x.y", at=time(6, 0), weekday=0)
    # 2026-11-28 is a Saturday: the latest Monday-06:00 slot is 2026-11-23.
    assert monday_early.latest_slot(datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI)) == datetime(
        2026, 11, 23, 6, 0, tzinfo=SHANGHAI
    )
    # On Monday 05:00 the slot is still the previous Monday.
    assert monday_early.latest_slot(datetime(2026, 11, 30, 5, 0, tzinfo=SHANGHAI)) == datetime(
        2026, 11, 23, 6, 0, tzinfo=SHANGHAI
    )


@pytest.mark.django_db
@override_settings(TASKS=DATABASE_QUEUE)
def test_a_due_job_is_enqueued_once_per_slot() -> None:
    now = datetime.now(tz=SHANGHAI)
    assert enqueue_due([NIGHTLY], now=now) == ["nightly"]
    assert enqueue_due([NIGHTLY], now=now) == []
    assert enqueue_due([NIGHTLY], now=now + timedelta(days=1)) == ["nightly"]
    assert DBTaskResult.objects.filter(task_path=NIGHTLY.task_path).count() == 2


@pytest.mark.django_db
def test_nothing_is_enqueued_without_the_database_queue() -> None:
    assert enqueue_due([NIGHTLY], now=datetime.now(tz=SHANGHAI)) == []
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_QUEUE)
def test_worker_batch_enqueues_and_runs_the_declared_nightly_verification() -> None:
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    runs = DBTaskResult.objects.filter(task_path__in=[job.task_path for job in PERIODIC])
    assert runs.count() == len(PERIODIC)
    assert set(runs.values_list("status", flat=True)) == {"SUCCESSFUL"}

"""Periodic background jobs without cron or a broker.

The schedule is declared in one place (``bangfu.schedule.PERIODIC``). ``bangfu worker`` checks it every
minute and enqueues a job whose latest slot (a local time of day, optionally on one weekday) has no run
enqueued since; a slot missed while the server was down is caught up once at the next start, not once per day.
The queue itself (django-tasks-db's table) is the record of what ran, so no extra state is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends


@dataclass(frozen=True)
class Periodic:
    """A job to enqueue at a local time every day, or every week on ``weekday`` (0 = Monday)."""

    name: str
    task_path: str
    at: time
    weekday: int | None = None

    def latest_slot(self, now: datetime) -> datetime:
        """The most recent scheduled moment at or before ``now`` (aware, in the project's time zone)."""
        local = timezone.localtime(now)
        slot = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        if slot > local:
            slot -= timedelta(days=1)
        if self.weekday is not None:
            slot -= timedelta(days=(slot.weekday() - self.weekday) % 7)
        return slot


def uses_database_queue() -> bool:
    from django_tasks_db import DatabaseBackend

    # The backend itself, not django_tasks' default_task_backend proxy (isinstance sees through no proxy).
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def enqueue_due(schedule: Iterable[Periodic], *, now: datetime) -> list[str]:
    """Enqueue every job of ``schedule`` whose latest slot has no run yet; returns their names.

    Only meaningful with the database queue (the queue table records past runs); with any other backend
    nothing is enqueued.
    """
    if not uses_database_queue():
        return []
    from django_tasks_db.models import DBTaskResult

    enqueued = []
    for job in schedule:
        slot = job.latest_slot(now)
        if DBTaskResult.objects.filter(task_path=job.task_path, enqueued_at__gte=slot).exists():
            continue
        import_string(job.task_path).enqueue()
        enqueued.append(job.name)
    return enqueued


def last_finished(task_path: str) -> datetime | None:
    """When the job ``task_path`` last finished successfully (aware), from the queue table; None when it never
    did, or when the queue keeps no record (another backend): the pages that show a job's output say by it
    whether today's output exists yet."""
    if not uses_database_queue():
        return None
    from django_tasks_db.models import DBTaskResult

    result: datetime | None = (
        DBTaskResult.objects.successful()
        .filter(task_path=task_path)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    return result

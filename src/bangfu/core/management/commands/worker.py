"""``bangfu worker``: run background tasks from the database queue, and enqueue periodic jobs when due."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import close_old_connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from bangfu.core.scheduling import enqueue_due

logger = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 60


def _enqueue_due_now() -> None:
    from bangfu.schedule import PERIODIC

    for name in enqueue_due(PERIODIC, now=timezone.now()):
        logger.info("enqueued periodic job %s", name)


def _scheduler_loop(stop: threading.Event) -> None:
    while not stop.wait(CHECK_EVERY_SECONDS):
        try:
            _enqueue_due_now()
        except Exception:
            # A failed check (database restarting, say) must not kill the scheduler; the next one retries.
            logger.exception("periodic job check failed")
        finally:
            close_old_connections()


class Command(DatabaseWorkerCommand):
    help = "运行后台任务（数据库队列，无需消息中间件），并按计划加入定时任务"

    def handle(self, *args: Any, **options: Any) -> None:
        # Due jobs are enqueued first, so `bangfu worker --batch` from cron also serves as the scheduler.
        _enqueue_due_now()
        stop = threading.Event()
        if not options.get("batch"):
            threading.Thread(target=_scheduler_loop, args=(stop,), daemon=True, name="scheduler").start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()

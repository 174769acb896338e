"""Periodic rectification jobs (declared in ``bangfu.schedule``): thin and idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from bangfu.rectification import reports, services, supervision


@task()
def recolour_daily() -> int:
    """Record today's colour of every problem whose colour changed (overdue, not started …): 变色 events
    before the working day starts. Returns how many changed; a second run the same day changes none."""
    return services.recolour(on=timezone.localdate())


@task()
def weekly_reports() -> int:
    """Every Monday: the clearance report (清零周报) of the past ISO week for every region and department
    with problems. Returns how many snapshots were made; existing ones are left as they are."""
    today = timezone.localdate()
    return reports.make_weekly_reports(week_start=today - dt.timedelta(days=today.weekday() + 7))


@task()
def draft_supervision_orders() -> int:
    """Draft a supervision order (督办单) per unit for its overdue problems not yet under an order, for a
    supervisor to issue. Returns how many drafts were made."""
    return supervision.draft_orders(on=timezone.localdate())

"""Public notices (公示 / 公告, RULES §6.4): the village notice after the appraisal and the announcement of
the result in the town's name, each a snapshot of only what may be published (``core.masking``), posted
online per village and printed for the wall; closed ones stay in the public archive."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from bangfu.core.masking import public_notice_row
from bangfu.monitoring.models import MonitoringCase, Notice, NoticeEntry, NoticeKind
from bangfu.policy import deadlines
from bangfu.regions.models import Region
from bangfu.registry.models import Member, Relation


def publish(case: MonitoringCase, *, kind: str, on: dt.date) -> Notice:
    """Put the case's household on the village's notice of ``kind`` issued on ``on`` (the first case of the
    day creates it; a notice takes rows only on its day of issue). Called inside the step's transaction."""
    village = Region.objects.select_related("parent").get(code=case.region_code)
    if kind in (NoticeKind.IDENTIFICATION, NoticeKind.ELIMINATION):
        starts, ends = case.notice_starts_on or on, case.notice_ends_on or on
        issuer = (
            f"{village.name}村民委员会" if not village.name.endswith(("委员会", "委会")) else village.name
        )
    else:
        # Announced in the village in the town's name, posted as long as a village notice lasts.
        starts = on
        ends = deadlines.due_date(key="deadline.village_notice", start=on, region=case.region_code).date
        issuer = f"{village.parent.name}人民政府" if village.parent else village.name
    notice, _created = Notice.objects.get_or_create(
        region_code=case.region_code,
        kind=kind,
        starts_on=starts,
        defaults={"ends_on": ends, "issuer": issuer},
    )
    members = Member.objects.current_on(on).filter(household_id=case.household_id)
    head = members.filter(relation=Relation.HEAD).values_list("name", flat=True).first() or ""
    row = public_notice_row(
        {
            "group": case.household.natural_village,
            "head_name": head,
            "household_size": members.count(),
            "category": case.get_category_display() if kind != NoticeKind.IDENTIFICATION else "",
        }
    )
    NoticeEntry.objects.get_or_create(
        notice=notice,
        case=case,
        defaults={
            "group": row["group"],
            "head_name": row["head_name"],
            "household_size": int(row["household_size"] or 0),
            "category": row["category"],
        },
    )
    return notice


def of_village(code: str) -> QuerySet[Notice]:
    return Notice.objects.filter(region_code=code).prefetch_related("entries")


def current(code: str, *, on: dt.date) -> QuerySet[Notice]:
    """Notices still posted on ``on``, the newest first."""
    return of_village(code).filter(ends_on__gt=on).order_by("-starts_on", "kind")


def archive(code: str, *, on: dt.date, after: int | None = None) -> QuerySet[Notice]:
    """Closed notices, the newest first; with ``after`` (a notice's id), those that follow it (the next page,
    a keyset on the day and id)."""
    closed = of_village(code).filter(ends_on__lte=on)
    if after is not None:
        anchor = closed.filter(pk=after).values_list("starts_on", "id").first()
        if anchor is not None:
            closed = closed.filter(Q(starts_on__lt=anchor[0]) | Q(starts_on=anchor[0], id__lt=anchor[1]))
    return closed.order_by("-starts_on", "-id")

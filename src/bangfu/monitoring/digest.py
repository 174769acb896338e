"""The daily digest of late identification work (识别认定逾期通报): for each town and each county, the cases
whose current step or whole identification is past due and the reported leads not accepted in time, as of
a day. Built by the morning job (``jobs.digest_daily``), read on ``/cases/digest/``."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from django.db import transaction

from bangfu.monitoring.models import Lead, LeadStatus, MonitoringCase, OverdueDigest
from bangfu.monitoring.models.cases import late_q
from bangfu.regions.models import Region
from bangfu.registry.models import Member, Relation

# At most this many late cases are listed per digest (the counts are always complete).
LISTED = 200


def _town(code: str) -> str:
    return code[:9] + "000"


def _county(code: str) -> str:
    return code[:6] + "000000"


def build(*, on: dt.date) -> int:
    """(Re)build the digests of ``on``; returns how many regions have one. One query for the late cases,
    one for the late leads, two for names; the day's earlier digests are replaced (idempotent)."""
    late = list(
        MonitoringCase.objects.open()
        .filter(late_q(on))
        .values(
            "id",
            "household_id",
            "household__household_number",
            "region_code",
            "state",
            "step_due_on",
            "due_on",
        )
        .order_by("step_due_on", "id")
    )
    leads = Counter(
        code
        for (village,) in Lead.objects.filter(status=LeadStatus.PENDING, due_on__lt=on).values_list(
            "region_code"
        )
        for code in (_town(village), _county(village))
    )
    heads = dict(
        Member.objects.current()
        .filter(household_id__in={row["household_id"] for row in late}, relation=Relation.HEAD)
        .values_list("household_id", "name")
    )
    villages = dict(
        Region.objects.filter(code__in={row["region_code"] for row in late}).values_list("code", "name")
    )
    cases: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in late:
        item = {
            "case": row["id"],
            "household_number": row["household__household_number"],
            "head": heads.get(row["household_id"], ""),
            "village": villages.get(row["region_code"], row["region_code"]),
            "state": row["state"],
            "step_due_on": row["step_due_on"].isoformat() if row["step_due_on"] else None,
            "due_on": row["due_on"].isoformat(),
        }
        for code in (_town(row["region_code"]), _county(row["region_code"])):
            cases[code].append(item)
    digests = [
        OverdueDigest(
            region_code=code,
            on=on,
            late_cases=len(cases.get(code, [])),
            late_leads=leads.get(code, 0),
            by_step=dict(Counter(item["state"] for item in cases.get(code, []))),
            items=cases.get(code, [])[:LISTED],
        )
        for code in sorted(set(cases) | set(leads))
    ]
    with transaction.atomic():
        OverdueDigest.objects.filter(on=on).delete()
        OverdueDigest.objects.bulk_create(digests)
    return len(digests)

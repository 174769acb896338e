"""Visits (走访) to monitored households from a phone: the cadre's "my households" list with the next visit
due by policy (``visit.interval``), and logging a visit — a checklist, a note, a photo compressed in the
browser, optionally where. A visit sent again after a failed send (same ``client_id``) is stored once; a
visit that finds a new risk reports it (a lead that joins the household's case)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.core.masking import scrub
from bangfu.monitoring import access, identification
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.identification import BASIC_NEEDS
from bangfu.monitoring.models import ELIMINATION_STATES, CaseState, IncomeChange, MonitoringCase, Visit
from bangfu.policy import deadlines
from bangfu.policy.exceptions import PolicyError
from bangfu.policy.resolution import version_in_force
from bangfu.regions.scoping import code_visible_to, reads_business_data

if TYPE_CHECKING:
    from bangfu.accounts.models import User

# The households visited: monitored ones (and those announced, whose monitoring is starting).
VISITED_STATES = frozenset({CaseState.ANNOUNCEMENT, CaseState.MONITORED}) | ELIMINATION_STATES
MAX_NOTE = 500


def can_visit(user: Any, case: MonitoringCase) -> bool:
    return (
        reads_business_data(user)
        and access.can_visit(user)
        and code_visible_to(user, case.region_code)
        and case.state in VISITED_STATES
    )


@dataclass(frozen=True)
class Due:
    """A household of the cadre's list: when it was last visited and when the next visit is due."""

    case: MonitoringCase
    last_visit: dt.date | None
    due_on: dt.date | None
    overdue: bool


def my_households(user: User, *, on: dt.date) -> list[Due]:
    """The monitored households the user is the contact cadre of, the most overdue first: the next visit is
    due ``visit.interval`` after the last one (or after monitoring began). Two queries, plus one per region
    whose interval is read."""
    cases = list(
        MonitoringCase.objects.visible_to(user)
        .filter(contact_cadre=user, state__in=VISITED_STATES)
        .select_related("household")
        .annotate(last_visit=Max("visits__on"))
        .order_by("id")
    )
    schedules = deadlines.official_schedules(from_year=on.year - 1)
    rules: dict[str, Any] = {}
    rows = []
    for case in cases:
        last: dt.date | None = case.last_visit
        start = last or case.monitored_from or case.opened_on
        if case.region_code not in rules:
            try:
                rules[case.region_code] = version_in_force(
                    "visit.interval", region=case.region_code, on=on
                ).value
            except PolicyError:
                rules[case.region_code] = None
        rule = rules[case.region_code]
        due = (
            deadlines.add_days(
                start=start, days=int(rule["days"]), unit=rule["unit"], schedules=schedules
            ).date
            if rule
            else None
        )
        rows.append(Due(case=case, last_visit=last, due_on=due, overdue=due is not None and due < on))
    rows.sort(key=lambda row: (row.due_on or dt.date.max, row.case.pk))
    return rows


def _coordinate(value: Any, *, field: str, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation as exc:
        raise MonitoringRefused(_("位置信息无效"), field=field) from exc
    if not number.is_finite() or abs(number) > limit:
        raise MonitoringRefused(_("位置信息无效"), field=field)
    return number


def log_visit(
    *,
    case: MonitoringCase,
    by: User,
    on: dt.date,
    client_id: uuid.UUID | str,
    needs_met: Mapping[str, bool],
    income_change: str = IncomeChange.NONE,
    new_risk: bool = False,
    risk_types: Sequence[str] = (),
    note: str = "",
    photo: UploadedFile | None = None,
    latitude: Any = None,
    longitude: Any = None,
    request: Any = None,
) -> tuple[Visit, bool]:
    """Store a visit; returns it and whether it is new (False: the same ``client_id`` was stored before —
    a resend after a failed send). A new risk found reports a lead that joins the household's case."""
    try:
        key = uuid.UUID(str(client_id))
    except ValueError as exc:
        raise MonitoringRefused(_("走访记录编号无效，请刷新页面后重新填写"), field="client_id") from exc
    earlier = Visit.objects.filter(client_id=key).first()
    if earlier is not None:
        if earlier.case_id != case.pk or earlier.by_id != by.pk:
            raise MonitoringRefused(_("走访记录编号无效，请刷新页面后重新填写"), field="client_id")
        return earlier, False
    if not can_visit(by, case):
        raise PermissionDenied(_("只有驻村工作队或乡镇可以走访本辖区的监测户。"))
    if on > timezone.localdate():
        raise MonitoringRefused(_("走访日期不能晚于今天"), field="on")
    if income_change not in IncomeChange.values:
        raise MonitoringRefused(_("请选择收入变化情况"), field="income_change")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise MonitoringRefused(_("走访情况最多%(limit)d字") % {"limit": MAX_NOTE}, field="note")
    if new_risk and not note:
        raise MonitoringRefused(_("发现新风险时请在走访情况中写明"), field="note")
    values = {
        "needs_met": {need: bool(needs_met.get(need)) for need in BASIC_NEEDS},
        "income_change": income_change,
        "new_risk": new_risk,
        "note": note,
        "latitude": _coordinate(latitude, field="latitude", limit=90),
        "longitude": _coordinate(longitude, field="longitude", limit=180),
    }
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                case=case, region_code=case.region_code, by=by, on=on, client_id=key, photo=photo, **values
            )
            # The note is free text: ID-number- and phone-like digits are scrubbed for the trail.
            events.created(
                actor=by,
                obj=visit,
                after={**events.snapshot(visit), "note": scrub(visit.note)},
                request=request,
            )
            if new_risk:
                identification.report_by_cadre(
                    household=case.household,
                    by=by,
                    on=on,
                    difficulty=_("走访发现：%(note)s") % {"note": note},
                    risk_types=list(risk_types),
                    request=request,
                )
    except IntegrityError:
        # Two sends of the same visit at once: the other one stored it.
        stored = Visit.objects.filter(client_id=key).first()
        if stored is None:
            raise
        return stored, False
    return visit, True


def recent(case: MonitoringCase, *, limit: int = 20) -> list[Visit]:
    return list(case.visits.select_related("by").order_by("-on", "-id")[:limit])

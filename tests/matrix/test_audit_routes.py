"""The auditor screen beyond tests/audit/test_views.py's matrix: one event's page, the htmx fragments, a
filtered export. 三员分立: the auditor alone reads the trail; everyone else gets 403 — the audit trail is not
region-scoped business data, so nobody gets 404 for another region's events — and an export refused writes
no export event.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from bangfu.audit import events
from bangfu.audit.models import AuditEvent
from bangfu.regions.models import Region
from tests.permissions import VILLAGE, PermissionMatrix, Route

pytestmark = pytest.mark.django_db

AUDITOR = frozenset({"auditor"})
OPERATION = "village_boundary_checked"  # an operation name no other event carries


def make_event() -> Mapping[str, object]:
    """A security event about the village 东关村."""
    event = events.security(
        actor=None, action=OPERATION, obj=Region.objects.get(code=VILLAGE), detail={"village": VILLAGE}
    )
    return {"seq": event.seq}


def audit_count() -> int:
    return AuditEvent.objects.count()


class TestAuditRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route("/audit/{seq}/", allowed=AUDITOR, setup=make_event, marker=OPERATION, shown_to=AUDITOR),
        # The filter fragment and the "more" fragment (it carries the keyset cursor).
        Route(
            f"/audit/?region={VILLAGE}&action=security",
            allowed=AUDITOR,
            htmx=True,
            setup=make_event,
            marker=OPERATION,
            shown_to=AUDITOR,
        ),
        Route("/audit/?before=1000000", allowed=AUDITOR, htmx=True),
        Route("/audit/verify/", method="post", allowed=AUDITOR, htmx=True),
        Route(f"/audit/export/?region={VILLAGE}", allowed=AUDITOR, setup=make_event, state=audit_count),
    ]

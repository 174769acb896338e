"""The supervision pages: orders (drafts only to supervisors, issued ones to the recipient's scope, a sector
department only for its sector), issuing and discarding drafts (supervisors within the scope), replying
(the recipient's own level only: not the issuer, not an office above it), the Word download, and the
escalation records and form (county and city offices)."""

from __future__ import annotations

import datetime as dt

import pytest

from bangfu.accounts.models import Role, User
from bangfu.rectification import supervision
from bangfu.rectification.models import Escalation, EscalationKind, ProblemEvent, SupervisionOrder
from bangfu.regions.models import Region
from tests.factories import UserFactory, new_problem
from tests.permissions import BUSINESS_OVER_VILLAGE, BUSINESS_PERSONAS, VILLAGE, PermissionMatrix, Route

pytestmark = pytest.mark.django_db

UNIT = "东关村民委员会"
FOUND = dt.date(2026, 10, 1)
DRAFTED = dt.date(2026, 11, 1)
ISSUED = dt.date(2026, 11, 2)
# Who sees the village's orders: its scope, but not the medical-insurance department (the problem has no
# sector); drafts only the supervisors of that scope.
OVER = BUSINESS_OVER_VILLAGE - {"department_user"}
SUPERVISORS = frozenset({"city_hq", "county_clerk", "inspector"})
NOT_OVER = frozenset({"other_village_cadre", "other_county_clerk", "department_user"})


def _county() -> User:
    found = User.objects.filter(username="sup_county").first()
    if found is None:
        county = Region.objects.get(code=VILLAGE[:6] + "000000")
        found = UserFactory.create(username="sup_county", role=Role.COUNTY_OFFICE, region=county)
    return found


def a_draft() -> dict[str, int]:
    """A draft order to the village committee of 东关村 for its problem overdue since 2026-10-21."""
    order = SupervisionOrder.objects.first()
    if order is None:
        new_problem(
            by=_county(), on=FOUND, region_code=VILLAGE, responsible_unit=UNIT, due_on=dt.date(2026, 10, 20)
        )
        supervision.draft_orders(on=DRAFTED)
        order = SupervisionOrder.objects.get()
    return {"pk": order.pk}


def an_issued_order() -> dict[str, int]:
    ids = a_draft()
    order = SupervisionOrder.objects.get(pk=ids["pk"])
    if not order.number:
        supervision.issue_order(order=order, by=_county(), on=ISSUED)
    return ids


def an_escalation() -> dict[str, int]:
    ids = an_issued_order()
    if not Escalation.objects.exists():
        order = SupervisionOrder.objects.get(pk=ids["pk"])
        supervision.record_escalation(
            kind=EscalationKind.CIRCULAR,
            by=_county(),
            on=dt.date(2026, 11, 10),
            unit=UNIT,
            unit_region_code=VILLAGE,
            problems=order.problems.all(),
            text="逾期未回复督办单",
        )
    return ids


def order_state() -> object:
    return (
        list(SupervisionOrder.objects.values_list("state", "number", "reply_due_on", "replied_on", "reply")),
        ProblemEvent.objects.count(),
    )


def escalation_state() -> object:
    return list(Escalation.objects.values_list("kind", "unit")), ProblemEvent.objects.count()


class TestSupervisionRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route(
            "/rectification/orders/",
            allowed=BUSINESS_PERSONAS,
            setup=an_issued_order,
            marker=UNIT,
            shown_to=OVER,
        ),
        Route(
            "/rectification/orders/?state=draft",
            allowed=BUSINESS_PERSONAS,
            setup=a_draft,
            marker=UNIT,
            shown_to=SUPERVISORS,
        ),
        Route(
            "/rectification/orders/?state=issued",
            allowed=BUSINESS_PERSONAS,
            htmx=True,
            setup=an_issued_order,
            marker=UNIT,
            shown_to=OVER,
        ),
        Route(
            "/rectification/orders/{pk}/",
            allowed=OVER,
            outside=NOT_OVER,
            setup=an_issued_order,
            marker=UNIT,
            shown_to=OVER,
        ),
        Route(
            "/rectification/orders/{pk}/",
            allowed=SUPERVISORS,
            outside=BUSINESS_PERSONAS - SUPERVISORS,
            setup=a_draft,
        ),
        Route("/rectification/orders/{pk}/docx/", allowed=OVER, outside=NOT_OVER, setup=an_issued_order),
        Route(
            "/rectification/orders/{pk}/docx/",
            allowed=SUPERVISORS,
            outside=BUSINESS_PERSONAS - SUPERVISORS,
            setup=a_draft,
        ),
        Route(
            "/rectification/orders/{pk}/issue/",
            method="post",
            data={"on": ISSUED.isoformat()},
            allowed=SUPERVISORS,
            outside=frozenset({"other_county_clerk"}),
            ok_status=302,
            setup=a_draft,
            state=order_state,
        ),
        Route(
            "/rectification/orders/{pk}/discard/",
            method="post",
            allowed=SUPERVISORS,
            outside=frozenset({"other_county_clerk"}),
            ok_status=302,
            setup=a_draft,
            state=order_state,
        ),
        Route(
            "/rectification/orders/{pk}/reply/",
            method="post",
            data={"on": "2026-11-03", "reply": "已安排整改"},
            # The county's order about 东关村: the village team or the town answers; the county may not.
            allowed=frozenset({"village_cadre", "town_officer"}),
            outside=NOT_OVER,
            ok_status=302,
            setup=an_issued_order,
            state=order_state,
        ),
        Route(
            "/rectification/escalations/",
            allowed=BUSINESS_PERSONAS,
            setup=an_escalation,
            marker=UNIT,
            shown_to=OVER,
        ),
        Route(
            "/rectification/escalations/?kind=circular",
            allowed=BUSINESS_PERSONAS,
            htmx=True,
            setup=an_escalation,
            marker=UNIT,
            shown_to=OVER,
        ),
        Route(
            "/rectification/escalations/new/",
            allowed=frozenset({"city_hq", "county_clerk", "other_county_clerk"}),
        ),
        Route(
            "/rectification/escalations/new/",
            method="post",
            data={
                "kind": "circular",
                "on": "2026-11-10",
                "unit": UNIT,
                "unit_region_code": VILLAGE,
                "text": "逾期未回复督办单",
            },
            allowed=frozenset({"city_hq", "county_clerk"}),
            ok_status=302,
            setup=an_issued_order,
            state=escalation_state,
        ),
    ]

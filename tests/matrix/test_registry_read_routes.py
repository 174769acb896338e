"""Reading the registry: the search page, the household page, its timeline and the two reveals, for anonymous
visitors and every persona. Readers are the city HQ, counties, towns, village teams and inspection groups;
sector departments and 三员 get 403; another village's or county's readers get 404 on 东关村's rows, and the
search never shows them (the household number is the marker). Reveals need the security admin's grant."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pytest

from bangfu.accounts.models import ADMIN_ROLES, User
from bangfu.audit.models import AuditEvent
from bangfu.core.crypto import blind_index
from bangfu.registry.models import Household, Member
from tests.factories import HouseholdFactory, MemberFactory, synthetic_id_number
from tests.permissions import BUSINESS_OVER_VILLAGE, OUTSIDE_VILLAGE, PermissionMatrix, Route

pytestmark = pytest.mark.django_db

NUMBER = "610902001001000555"
HEAD_ID = synthetic_id_number(birth=date(1959, 11, 3), sex="male", serial=55)
PHONE = "13700001234"
# Readers of the registry (registry.access.READER_ROLES) among the personas.
READERS = frozenset(
    {
        "city_hq",
        "county_clerk",
        "other_county_clerk",
        "town_officer",
        "village_cadre",
        "other_village_cadre",
        "inspector",
    }
)
# Readers whose scope holds 东关村 (the department's scope holds it too, but it reads no registry).
READERS_OVER_VILLAGE = BUSINESS_OVER_VILLAGE - {"department_user"}
NOBODY: frozenset[str] = frozenset()


def dongguan_household() -> Household:
    """One household of 东关村 with its head, made once per test."""
    household = Household.objects.filter(household_number=NUMBER).first()
    if household is None:
        household = HouseholdFactory(
            household_number=NUMBER, phone=PHONE, phone_index=blind_index(PHONE, kind="phone")
        )
        MemberFactory(
            household=household,
            name="郑国强",
            relation="head",
            birth_date=date(1959, 11, 3),
            id_number=HEAD_ID,
        )
    return household


def household_ids() -> Mapping[str, object]:
    household = dongguan_household()
    return {"pk": household.pk}


def member_ids() -> Mapping[str, object]:
    household = dongguan_household()
    return {"pk": Member.objects.get(household=household, relation="head").pk}


def granted(ids: Mapping[str, object]) -> Mapping[str, object]:
    """Every business persona holds the reveal grant: what is left to decide is role and scope."""
    User.objects.exclude(role__in=ADMIN_ROLES).update(may_reveal_personal_data=True)
    return ids


def reveals() -> int:
    return AuditEvent.objects.filter(action="reveal").count()


class TestRegistryReadRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        # The search page: every reader gets it; only those over 东关村 see its household.
        Route(
            "/households/", allowed=READERS, setup=household_ids, marker=NUMBER, shown_to=READERS_OVER_VILLAGE
        ),
        Route(
            "/households/?q=郑国&status=all",
            allowed=READERS,
            htmx=True,
            setup=household_ids,
            marker=NUMBER,
            shown_to=READERS_OVER_VILLAGE,
        ),
        # The box is POSTed (an ID never lands in a URL): found exactly by those over the village.
        Route(
            "/households/",
            method="post",
            data={"q": HEAD_ID},
            allowed=READERS,
            htmx=True,
            setup=household_ids,
            marker=NUMBER,
            shown_to=READERS_OVER_VILLAGE,
        ),
        # The household page and its timeline: 404 for another village or county.
        Route(
            "/households/{pk}/",
            allowed=READERS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            setup=household_ids,
            marker=NUMBER,
            shown_to=READERS_OVER_VILLAGE,
        ),
        Route(
            "/households/{pk}/timeline/",
            allowed=READERS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            setup=household_ids,
        ),
        Route(
            "/households/{pk}/timeline/",
            allowed=READERS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            htmx=True,
            setup=household_ids,
        ),
        # Reveals with the grant: the full value to readers over the village, 404 outside, 403 otherwise;
        # nothing is recorded for a refused one.
        Route(
            "/households/members/{pk}/reveal/",
            method="post",
            allowed=READERS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            htmx=True,
            setup=lambda: granted(member_ids()),
            marker=HEAD_ID,
            shown_to=READERS_OVER_VILLAGE,
            state=reveals,
        ),
        Route(
            "/households/{pk}/reveal-phone/",
            method="post",
            allowed=READERS_OVER_VILLAGE,
            outside=OUTSIDE_VILLAGE,
            htmx=True,
            setup=lambda: granted(household_ids()),
            marker=PHONE,
            shown_to=READERS_OVER_VILLAGE,
            state=reveals,
        ),
        # Without the grant nobody reveals anything (the refusal comes before the lookup).
        Route(
            "/households/members/{pk}/reveal/",
            method="post",
            allowed=NOBODY,
            htmx=True,
            setup=member_ids,
            state=reveals,
        ),
        Route(
            "/households/{pk}/reveal-phone/",
            method="post",
            allowed=NOBODY,
            setup=household_ids,
            state=reveals,
        ),
    ]

"""The registry's list and detail pages and the API's household detail cost a fixed number of queries: more
members, statements, programmes, employment, observations, change requests or duplicate pairs add rows, not
queries (no N+1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bangfu.accounts.models import User
from bangfu.registry.models import Household
from tests.factories import (
    ChangeRequestFactory,
    DuplicateCandidateFactory,
    EmploymentFactory,
    HouseholdFactory,
    IncomeLineFactory,
    IncomeStatementFactory,
    IndicatorObservationFactory,
    MemberFactory,
    ProgrammeEnrolmentFactory,
)
from tests.permissions import client_for

pytestmark = pytest.mark.django_db


def grow(household: Household, *, serial: int) -> None:
    """One more of everything a household page lists (``serial`` keeps periods and rows distinct)."""
    member = MemberFactory(household=household, relation="son")
    statement = IncomeStatementFactory(
        household=household, period_start=date(2000 + serial, 1, 1), period_end=date(2000 + serial, 12, 31)
    )
    IncomeLineFactory(statement=statement)
    IncomeLineFactory(statement=statement, component="wages", item="务工", amount="100.00")
    ProgrammeEnrolmentFactory(
        household=household, member=member, kind="dibao", start_date=date(2000 + serial, 1, 1)
    )
    EmploymentFactory(member=member)
    IndicatorObservationFactory(household=household, observed_on=date(2020, 1, serial))
    ChangeRequestFactory(household=household)


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def household() -> Household:
    household: Household = HouseholdFactory.create()
    MemberFactory(household=household, relation="head")
    return household


@pytest.mark.parametrize(
    "url",
    [
        lambda h: f"/households/{h.pk}/",
        lambda h: f"/households/{h.pk}/timeline/",
        lambda h: f"/api/v1/households/{h.pk}",
        lambda h: "/households/changes/",
    ],
    ids=["household-detail", "timeline", "api-household", "change-list"],
)
def test_pages_cost_the_same_queries_for_one_or_many_rows(
    household: Household, county_clerk: User, url: Callable[[Household], str]
) -> None:
    client = client_for(county_clerk)
    grow(household, serial=1)
    client.get(url(household))  # the session's first request does its own one-off bookkeeping
    small = queries(client, url(household))
    for serial in range(2, 6):
        grow(household, serial=serial)
    assert queries(client, url(household)) == small


def test_duplicate_list_costs_the_same_queries_for_one_or_many_pairs(town_officer: User) -> None:
    client = client_for(town_officer)
    DuplicateCandidateFactory()
    client.get("/households/duplicates/")  # the session's first request does its own one-off bookkeeping
    small = queries(client, "/households/duplicates/")
    for _ in range(4):
        DuplicateCandidateFactory()
    assert queries(client, "/households/duplicates/") == small
    assert len(client.get("/households/duplicates/").context["rows"]) == 5

"""A closed (注销) household's page offers no edits: every write to it is refused by the services, so a link
to a form would only lead the user to fill it in for nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bangfu.accounts.models import User
from bangfu.registry import services
from bangfu.registry.models import Household, Member
from bangfu.registry.services import RegistryRefused
from tests.factories import HouseholdFactory, IncomeStatementFactory, MemberFactory
from tests.permissions import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(regions: Any, town_officer: User) -> Household:
    made = HouseholdFactory()
    MemberFactory(household=made, name="田有才", relation="head")
    IncomeStatementFactory(household=made)
    # Closed as a town does it: every member leaves with the household.
    return services.close_household(
        household=made, by=town_officer, closed_on=date(2025, 6, 1), reason="全户迁出"
    )


@pytest.mark.parametrize("persona", ["town_officer", "village_cadre", "county_clerk"])
def test_a_closed_households_page_offers_no_edits(
    closed: Household, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    member = Member.objects.get(household=closed)
    response = client_for(user).get(f"/households/{closed.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "田有才" in page
    assert "已注销" in page
    for url in (
        f"/households/{closed.pk}/edit/",
        f"/households/{closed.pk}/members/new/",
        f"/households/members/{member.pk}/edit/",
        f"/households/members/{member.pk}/leave/",
        f"/households/{closed.pk}/income/new/",
        f"/households/{closed.pk}/indicators/new/",
    ):
        assert f'href="{url}"' not in page


def test_the_services_refuse_edits_of_a_closed_household(closed: Household, town_officer: User) -> None:
    # Why nothing is offered: even an indicator, which a village team records directly, is refused.
    with pytest.raises(RegistryRefused):
        services.record_indicator(
            household=closed,
            by=town_officer,
            indicator="water_quality",
            value="met",
            observed_on=date(2026, 1, 5),
        )


@pytest.mark.parametrize("persona", ["town_officer", "village_cadre"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_closed_households_edit_pages_send_the_user_back_with_the_reason(
    closed: Household, persona: str, method: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    member = Member.objects.get(household=closed)
    client = client_for(user)
    before = (Member.objects.filter(household=closed).count(), closed.income_statements.count())
    for url in (
        f"/households/{closed.pk}/edit/",
        f"/households/{closed.pk}/members/new/",
        f"/households/{closed.pk}/income/new/",
        f"/households/{closed.pk}/indicators/new/",
    ):
        response = getattr(client, method)(url, follow=True)
        assert response.redirect_chain == [(f"/households/{closed.pk}/", 302)], url
        assert "该户已注销，不能再修改。" in response.content.decode(), url
    # Its members left with it: like any former member, they are no longer edited.
    for url in (f"/households/members/{member.pk}/edit/", f"/households/members/{member.pk}/leave/"):
        assert getattr(client, method)(url).status_code == 404, url
    assert (Member.objects.filter(household=closed).count(), closed.income_statements.count()) == before

"""A problem of a list issued by the county: the village that works on it sees the list's name, and a link
to the list only when it may open it (a list belongs to the office that issued it)."""

from __future__ import annotations

import datetime as dt

import pytest

from bangfu.rectification import services
from bangfu.rectification.models import Problem, ProblemSource
from tests.factories import ensure_problem_categories, ensure_rectification_policy
from tests.permissions import client_for
from tests.rectification.test_problem_pages import MONDAY, _form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy(regions):  # type: ignore[no-untyped-def]
    ensure_rectification_policy()
    ensure_problem_categories()


def test_a_village_sees_the_name_of_a_county_list_without_a_dead_link(clock, county_clerk, village_cadre):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    problem_list = services.create_list(
        by=county_clerk,
        title="2026年县级督查反馈问题",
        source=ProblemSource.SUPERVISION,
        issuing_office="汉滨区指挥部",
    )
    county = client_for(county_clerk)
    county.post(f"/rectification/problems/new/?list={problem_list.pk}", {**_form(), "list": problem_list.pk})
    clock.set(MONDAY + dt.timedelta(days=1))
    county.post(f"/rectification/lists/{problem_list.pk}/issue/", {"on": clock.today.isoformat()})
    problem = Problem.objects.get()
    link = f'href="/rectification/lists/{problem_list.pk}/"'
    village = client_for(village_cadre)
    assert village.get(f"/rectification/lists/{problem_list.pk}/").status_code == 404
    page = village.get(f"/rectification/problems/{problem.pk}/").content.decode()
    assert "2026年县级督查反馈问题" in page
    assert link not in page
    assert link in county.get(f"/rectification/problems/{problem.pk}/").content.decode()

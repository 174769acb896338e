"""A problem found on a visit (走访发现): the case page links each visit to the problem form, which comes
filled with the household, its village, the day and the visit's note; another village's visit is not found."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from bangfu.monitoring import assistance, visits
from bangfu.monitoring.identification import BASIC_NEEDS
from bangfu.rectification.models import Problem, ProblemCategory, ProblemSource
from tests.factories import (
    HouseholdFactory,
    MemberFactory,
    ensure_problem_categories,
    ensure_rectification_policy,
    monitored_case,
)
from tests.permissions import client_for

pytestmark = pytest.mark.django_db

VISITED = dt.date(2026, 11, 4)


def test_a_visit_raises_a_problem_for_its_household(
    clock, village_cadre, town_officer, county_clerk, other_village_cadre
):  # type: ignore[no-untyped-def]
    ensure_rectification_policy()
    ensure_problem_categories()
    household = MemberFactory(
        name="孙有田", household=HouseholdFactory(household_number="610902001001000777")
    ).household
    case = monitored_case(household, village=village_cadre, town=town_officer, county=county_clerk)
    case = assistance.assign_contact(case=case, by=town_officer, cadre=village_cadre)
    clock.set(VISITED)
    visit, _new = visits.log_visit(
        case=case,
        by=village_cadre,
        on=VISITED,
        client_id=uuid.uuid4(),
        needs_met={**dict.fromkeys(BASIC_NEEDS, True), "housing": False},
        note="屋顶漏雨，需维修",
    )
    client = client_for(village_cadre)
    assert (
        f"/rectification/problems/new/?visit={visit.pk}" in client.get(f"/cases/{case.pk}/").content.decode()
    )
    page = client.get(f"/rectification/problems/new/?visit={visit.pk}")
    form = page.context["form"]
    assert (form.initial["source"], form.initial["household_number"], form.initial["found_on"]) == (
        ProblemSource.VISIT,
        "610902001001000777",
        VISITED,
    )
    # The note stands beside the form for reference; the description, which the public board publishes,
    # is written for it.
    assert "description" not in form.initial
    note = page.content.decode().split("data-visit-note", 1)[1].split("</figure>", 1)[0]
    assert "屋顶漏雨，需维修" in note
    assert "不会公开" in note
    response = client.post(
        "/rectification/problems/new/",
        {
            "visit": visit.pk,
            "source": ProblemSource.VISIT,
            "category": ProblemCategory.objects.get(code="housing").pk,
            "region_code": visit.region_code,
            "household_number": "610902001001000777",
            "description": "屋顶漏雨，需维修",
            "responsible_unit": "东关村村委会",
            "found_on": VISITED.isoformat(),
            "due_on": (VISITED + dt.timedelta(days=15)).isoformat(),
        },
    )
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert (problem.source, problem.household, problem.found_on) == (ProblemSource.VISIT, household, VISITED)
    # Another village's team cannot open the form from this visit.
    assert (
        client_for(other_village_cadre).get(f"/rectification/problems/new/?visit={visit.pk}").status_code
        == 404
    )

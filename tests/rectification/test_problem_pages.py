"""The problem pages: recording a problem (alone, fixed on the spot, into a draft list), the list with its
filters, progress and closure with evidence, verification, issuing a list, the board's counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from bangfu.rectification import services
from bangfu.rectification.models import (
    Colour,
    EventKind,
    Evidence,
    ListState,
    Problem,
    ProblemCategory,
    ProblemEvent,
    ProblemSource,
    ProblemState,
)
from tests.factories import (
    HouseholdFactory,
    ensure_problem_categories,
    ensure_rectification_policy,
    new_problem,
)
from tests.permissions import client_for
from tests.rectification.test_colours import photo

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 16)


@pytest.fixture(autouse=True)
def _policy(regions):  # type: ignore[no-untyped-def]
    ensure_rectification_policy()
    ensure_problem_categories()


def _form(**extra: object) -> dict[str, object]:
    return {
        "source": ProblemSource.SELF_CHECK,
        "category": ProblemCategory.objects.get(code="water").pk,
        "region_code": "610902001001",
        "description": "二组自来水管冻裂，三户断水",
        "measure": "更换管道并包裹保温层",
        "responsible_unit": "东关村村委会",
        "responsible_person": "李主任",
        "found_on": MONDAY.isoformat(),
        "due_on": (MONDAY + dt.timedelta(days=10)).isoformat(),
        **extra,
    }


def test_a_cadre_records_a_problem_found_in_a_self_check(clock, village_cadre):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    household = HouseholdFactory(household_number="610902001001000321")
    response = client_for(village_cadre).post(
        "/rectification/problems/new/", _form(household_number="610902001001000321")
    )
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rectification/problems/{problem.pk}/"
    assert (problem.state, problem.household, problem.assigned_on) == (
        ProblemState.ASSIGNED,
        household,
        MONDAY,
    )
    assert problem.start_due_on == MONDAY + dt.timedelta(days=3)
    page = client_for(village_cadre).get(response["Location"]).content.decode()
    assert "二组自来水管冻裂" in page
    assert 'data-form="progress"' in page
    # The date inputs come filled with today, in the form a browser's date picker reads.
    assert f'name="progress-on" value="{MONDAY.isoformat()}"' in page


def test_a_problem_fixed_on_the_spot_needs_its_evidence(clock, village_cadre):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    client = client_for(village_cadre)
    response = client.post("/rectification/problems/new/", _form(fixed_on_the_spot="on"))
    assert response.status_code == 200
    assert "请上传整改佐证材料" in response.content.decode()
    assert not Problem.objects.exists()
    response = client.post(
        "/rectification/problems/new/", {**_form(fixed_on_the_spot="on"), "evidence": photo()}
    )
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert (problem.state, problem.colour, problem.closed_on) == (ProblemState.CLOSED, Colour.GREEN, MONDAY)
    assert (
        Evidence.objects.filter(event__problem=problem, event__kind=EventKind.FIXED_ON_THE_SPOT).count() == 1
    )


def test_a_place_outside_the_scope_is_refused(clock, village_cadre):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    response = client_for(village_cadre).post(
        "/rectification/problems/new/", _form(region_code="610902001002")
    )
    assert response.status_code == 200
    assert "不在您的管辖范围内" in response.content.decode()
    assert not Problem.objects.exists()


def test_progress_closure_and_verification_through_the_pages(clock, village_cadre, town_officer):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    problem = new_problem(by=town_officer, on=MONDAY)
    cadre, town = client_for(village_cadre), client_for(town_officer)
    url = f"/rectification/problems/{problem.pk}/"
    clock.set(MONDAY + dt.timedelta(days=1))
    response = cadre.post(
        url + "progress/",
        {
            "progress-on": clock.today.isoformat(),
            "progress-note": "已联系施工队",
            "progress-evidence": photo(),
        },
    )
    assert response.status_code == 302
    # A closure request without evidence is refused and changes nothing.
    response = cadre.post(url + "closure/", {"closure-on": clock.today.isoformat(), "closure-note": "完成"})
    assert response.status_code == 422
    problem.refresh_from_db()
    assert problem.state == ProblemState.IN_PROGRESS
    response = cadre.post(
        url + "closure/",
        {
            "closure-on": clock.today.isoformat(),
            "closure-note": "完成",
            "closure-evidence": [photo(), photo("b.jpg")],
        },
    )
    assert response.status_code == 302
    # The cadre may not verify; the town may.
    assert (
        cadre.post(url + "verify/", {"decision": "close", "on": clock.today.isoformat()}).status_code == 403
    )
    refused = town.post(url + "verify/", {"decision": "reject", "on": clock.today.isoformat()})
    assert refused.status_code == 422
    # A rejection without a reason is told beside the opinion box, where the reason is typed.
    assert refused.context["verify_form"].errors == {"note": ["请填写退回理由"]}
    response = town.post(
        url + "verify/", {"decision": "close", "on": clock.today.isoformat(), "note": "现场核实"}
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.state, problem.closed_by, problem.colour) == (
        ProblemState.CLOSED,
        town_officer,
        Colour.GREEN,
    )
    kinds = list(ProblemEvent.objects.filter(problem=problem).values_list("kind", flat=True))
    assert kinds == [
        EventKind.CREATED,
        EventKind.PROGRESS,
        EventKind.CLOSURE_REQUESTED,
        EventKind.CLOSED,
        EventKind.COLOUR_CHANGED,  # yellow -> green, the same day
    ]
    # A colour follows from the facts: its change is nobody's act.
    assert ProblemEvent.objects.get(problem=problem, kind=EventKind.COLOUR_CHANGED).by is None
    evidence = Evidence.objects.filter(event__problem=problem).order_by("pk").first()
    assert evidence is not None
    response = cadre.get(f"/rectification/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # the JPEG itself, decrypted


def test_a_draft_list_is_hidden_from_owners_until_issued(clock, county_clerk, village_cadre):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    problem_list = services.create_list(
        by=county_clerk,
        title="2026年县级督查反馈问题",
        source=ProblemSource.SUPERVISION,
        issuing_office="汉滨区指挥部",
    )
    county = client_for(county_clerk)
    response = county.post(
        f"/rectification/problems/new/?list={problem_list.pk}", {**_form(), "list": problem_list.pk}
    )
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert problem.state == ProblemState.DRAFT
    assert client_for(village_cadre).get(f"/rectification/problems/{problem.pk}/").status_code == 404
    clock.set(MONDAY + dt.timedelta(days=1))
    response = county.post(f"/rectification/lists/{problem_list.pk}/issue/", {"on": clock.today.isoformat()})
    assert response.status_code == 302
    problem.refresh_from_db()
    problem_list.refresh_from_db()
    assert (problem.state, problem.assigned_on) == (ProblemState.ASSIGNED, clock.today)
    assert problem_list.state == ListState.ISSUED
    assert client_for(village_cadre).get(f"/rectification/problems/{problem.pk}/").status_code == 200


def test_the_board_counts_by_colour_and_region(clock, town_officer, county_clerk, city_hq):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    new_problem(by=town_officer, on=MONDAY, due_on=MONDAY + dt.timedelta(days=1))
    new_problem(by=town_officer, on=MONDAY, region_code="610902001002")
    clock.set(MONDAY + dt.timedelta(days=2))
    page = client_for(county_clerk).get("/rectification/").content.decode()
    assert 'data-count="red">1<' in page
    assert 'data-count="yellow">1<' in page
    assert 'data-count="green">0<' in page
    assert 'data-region="610902001000"' in page
    assert "data-red>" in page  # the county's red problems, listed
    # Above the county the board is the per-county table; the red problems are the ledger filtered by colour.
    page = client_for(city_hq).get("/rectification/").content.decode()
    assert 'data-count="red">1<' in page
    assert "data-red>" not in page
    assert "/rectification/problems/?colour=red" in page


def test_the_list_filters_by_colour(clock, town_officer):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    late = new_problem(by=town_officer, on=MONDAY, due_on=MONDAY + dt.timedelta(days=1))
    fine = new_problem(by=town_officer, on=MONDAY)
    clock.set(MONDAY + dt.timedelta(days=2))
    page = client_for(town_officer).get("/rectification/problems/", {"colour": "red"}).content.decode()
    assert f'data-problem="{late.pk}"' in page
    assert f'data-problem="{fine.pk}"' not in page


def test_the_list_pages_without_a_query_per_row(clock, town_officer, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    for _ in range(12):
        new_problem(by=town_officer, on=MONDAY)
    client = client_for(town_officer)
    with django_assert_max_num_queries(12):
        response = client.get("/rectification/problems/")
    assert response.content.decode().count("data-problem=") == 12


def test_anonymous_client_is_sent_to_login(regions):  # type: ignore[no-untyped-def]
    assert Client().get("/rectification/").status_code == 302

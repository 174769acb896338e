"""三色: a week of problems (created, progressed, closed, rejected, overdue) gives exactly the expected
colours as of each day, set-based and per problem alike, and the daily recolouring records each change
once."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from bangfu.rectification import services
from bangfu.rectification.models import Colour, EventKind, Problem, ProblemEvent, ProblemState
from tests.factories import new_problem

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 16)


def photo(name: str = "fix.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def colours(on: dt.date) -> dict[str, str]:
    rows = Problem.objects.with_colour(on).values_list("description", "colour_then")
    return dict(rows)


def test_a_weeks_problems_take_the_expected_colours(clock, town_officer, village_cadre, county_clerk):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    # Policy: start within 3 calendar days; red items are verified by the county.
    started = new_problem(by=town_officer, on=MONDAY, description="started")
    idle = new_problem(by=town_officer, on=MONDAY, description="idle")
    new_problem(by=town_officer, on=MONDAY, description="late", due_on=MONDAY + dt.timedelta(days=2))
    closed = new_problem(by=town_officer, on=MONDAY, description="closed")
    rejected = new_problem(by=town_officer, on=MONDAY, description="rejected")
    spot = new_problem(
        by=village_cadre, on=MONDAY, description="spot", fixed_on_the_spot=True, evidence=[photo()]
    )
    assert spot.state == ProblemState.CLOSED

    clock.set(MONDAY + dt.timedelta(days=1))
    services.note_progress(problem=started, by=village_cadre, on=clock.today, note="已拆除旧房")
    services.request_closure(
        problem=closed, by=village_cadre, on=clock.today, note="已完成", evidence=[photo()]
    )
    services.request_closure(
        problem=rejected, by=village_cadre, on=clock.today, note="已完成", evidence=[photo()]
    )
    clock.set(MONDAY + dt.timedelta(days=2))
    services.close_problem(problem=closed, by=town_officer, on=clock.today)
    services.reject_closure(problem=rejected, by=town_officer, on=clock.today, reason="照片不能说明问题")

    tuesday, friday = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=4)
    assert colours(tuesday) == {
        "started": Colour.YELLOW,
        "idle": Colour.YELLOW,
        "late": Colour.YELLOW,
        "closed": Colour.YELLOW,
        "rejected": Colour.YELLOW,
        "spot": Colour.GREEN,
    }
    assert colours(friday) == {
        "started": Colour.YELLOW,
        "idle": Colour.RED,  # not started within 3 days (start due Thursday)
        "late": Colour.RED,  # due Wednesday
        "closed": Colour.GREEN,
        "rejected": Colour.RED,  # closure rejected, not asked again
        "spot": Colour.GREEN,
    }
    # One problem alone gives the same answer as the set.
    assert idle.colour_as_of(on=friday) == Colour.RED
    assert idle.colour_as_of(on=tuesday) == Colour.YELLOW
    # Asking again after the rejection: yellow again from that day (the past keeps its red).
    clock.set(friday)
    services.request_closure(
        problem=rejected, by=village_cadre, on=friday, note="补充照片", evidence=[photo()]
    )
    assert rejected.colour_as_of(on=friday) == Colour.YELLOW
    assert rejected.colour_as_of(on=MONDAY + dt.timedelta(days=3)) == Colour.RED


def test_daily_recolouring_records_each_change_once(clock, town_officer):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    problem = new_problem(by=town_officer, on=MONDAY, due_on=MONDAY + dt.timedelta(days=10))
    assert services.recolour(on=MONDAY) == 0
    friday = MONDAY + dt.timedelta(days=4)
    assert services.recolour(on=friday) == 1
    assert services.recolour(on=friday) == 0
    problem.refresh_from_db()
    assert (problem.colour, problem.colour_since) == (Colour.RED, friday)
    change = ProblemEvent.objects.get(problem=problem, kind=EventKind.COLOUR_CHANGED)
    assert (change.colour_from, change.colour_to, change.on) == (Colour.YELLOW, Colour.RED, friday)


def test_red_closure_goes_to_the_county(clock, town_officer, village_cadre, county_clerk):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    problem = new_problem(by=town_officer, on=MONDAY, due_on=MONDAY + dt.timedelta(days=1))
    clock.set(MONDAY + dt.timedelta(days=5))
    problem = services.request_closure(
        problem=problem, by=village_cadre, on=clock.today, note="完成", evidence=[photo()]
    )
    assert problem.verifier_level == "county"
    with pytest.raises(Exception, match="县区验收"):
        services.close_problem(problem=problem, by=town_officer, on=clock.today)
    problem = services.close_problem(problem=problem, by=county_clerk, on=clock.today)
    assert problem.state == ProblemState.CLOSED
    assert problem.colour == Colour.GREEN

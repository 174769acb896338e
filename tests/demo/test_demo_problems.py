"""The demo's problems (排查清零): a county list issued to the demo town's villages, in every colour, made
once through the services a county clerk and a village team use."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test import Client
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.demo.rectification import seed_demo_problems
from bangfu.rectification.models import Colour, Problem, ProblemState
from tests.factories import ensure_national_policy, ensure_problem_categories

pytestmark = pytest.mark.django_db
ALLOW = [] if connection.vendor == "sqlite" else ["--allow-non-sqlite"]


def test_the_demo_town_has_problems_of_every_colour() -> None:
    ensure_national_policy()
    ensure_problem_categories()
    call_command("demo", "--no-serve", "--households", "0", *ALLOW)
    today = timezone.localdate()
    if not Problem.objects.exists():  # the command seeds them only over a population
        assert seed_demo_problems(on=today) == 8
    colours = {
        colour: Problem.objects.with_colour(today).filter(colour_then=colour).count() for colour in Colour
    }
    assert colours == {Colour.RED: 3, Colour.YELLOW: 3, Colour.GREEN: 2}
    states = sorted(Problem.objects.values_list("state", flat=True))
    assert states.count(ProblemState.CLOSED) == 2
    assert states.count(ProblemState.AWAITING_VERIFICATION) == 1
    # The recorded colour is today's (the recolouring ran).
    assert not Problem.objects.with_colour(today).exclude(colour_then=F("colour")).exists()
    assert seed_demo_problems(on=today) == 0  # made once
    board = Client()
    board.force_login(User.objects.get(username="demo_county"))
    assert 'data-count="red">3<' in board.get("/rectification/").content.decode()

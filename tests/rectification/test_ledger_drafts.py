"""A draft problem (in a list not yet issued) has no colour yet: the ledger shows none for it, and filtering
the ledger by colour gives the board's counts (which leave drafts out)."""

from __future__ import annotations

import re

import pytest

from bangfu.rectification import services
from bangfu.rectification.models import Problem, ProblemSource, ProblemState
from tests.factories import ensure_problem_categories, ensure_rectification_policy
from tests.permissions import client_for
from tests.rectification.test_problem_pages import MONDAY, _form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy(regions):  # type: ignore[no-untyped-def]
    ensure_rectification_policy()
    ensure_problem_categories()


def test_a_draft_problem_has_no_colour_in_the_ledger(clock, county_clerk) -> None:  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    problem_list = services.create_list(
        by=county_clerk, title="督查反馈问题", source=ProblemSource.SUPERVISION, issuing_office="汉滨区指挥部"
    )
    county = client_for(county_clerk)
    county.post(f"/rectification/problems/new/?list={problem_list.pk}", {**_form(), "list": problem_list.pk})
    draft = Problem.objects.get()
    assert draft.state == ProblemState.DRAFT
    board = county.get("/rectification/").content.decode()
    assert 'data-count="yellow">0<' in board
    ledger = county.get("/rectification/problems/").content.decode()
    row = re.search(rf'<tr data-problem="{draft.pk}".*?</tr>', ledger, re.S)
    assert row is not None
    assert "data-colour" not in row.group(0)
    for colour in ("red", "yellow", "green"):
        filtered = county.get(f"/rectification/problems/?colour={colour}").content.decode()
        assert f'data-problem="{draft.pk}"' not in filtered

"""What keeps the ledger honest: no step dated further back than the policy allows, no one verifying their
own closure request, lists that only take problems of their own region while still drafts, the verifier
chosen by lateness on the day of the request, exact audit values, and evidence that is really a picture."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from PIL import Image

from bangfu.audit.models import AuditEvent
from bangfu.rectification import services
from bangfu.rectification.exceptions import RectificationRefused
from bangfu.rectification.models import Problem, ProblemEvent, ProblemSource, ProblemState
from tests.factories import new_problem
from tests.rectification.test_colours import photo

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 16)


def _events(problem: Problem) -> list[str]:
    return list(ProblemEvent.objects.filter(problem=problem).order_by("pk").values_list("kind", flat=True))


def test_a_step_cannot_be_dated_further_back_than_the_policy_allows(clock, town_officer, village_cadre):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    problem = new_problem(by=town_officer, on=MONDAY, due_on=MONDAY + dt.timedelta(days=2))
    clock.set(MONDAY + dt.timedelta(days=20))  # long overdue; the test policy allows three days back
    before = _events(problem)
    with pytest.raises(RectificationRefused, match="最多补录 3 天前"):
        services.request_closure(
            problem=problem,
            by=village_cadre,
            on=MONDAY + dt.timedelta(days=1),
            note="完成",
            evidence=[photo()],
        )
    problem.refresh_from_db()
    assert problem.state == ProblemState.ASSIGNED
    assert _events(problem) == before
    # Three days back is accepted, and a late problem's request goes to the county.
    problem = services.request_closure(
        problem=problem, by=village_cadre, on=MONDAY + dt.timedelta(days=17), note="完成", evidence=[photo()]
    )
    assert problem.verifier_level == "county"


def test_no_one_verifies_their_own_closure_request(clock, town_officer, county_clerk):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    problem = new_problem(by=county_clerk, on=MONDAY)
    services.request_closure(problem=problem, by=town_officer, on=MONDAY, note="完成", evidence=[photo()])
    with pytest.raises(PermissionDenied, match="不能验收自己的申请"):
        services.close_problem(problem=problem, by=town_officer, on=MONDAY)
    with pytest.raises(PermissionDenied, match="不能验收自己的申请"):
        services.reject_closure(problem=problem, by=town_officer, on=MONDAY, reason="自己退回")
    problem.refresh_from_db()
    assert problem.state == ProblemState.AWAITING_VERIFICATION
    assert services.close_problem(problem=problem, by=county_clerk, on=MONDAY).state == ProblemState.CLOSED


def test_a_resubmission_after_a_rejection_goes_back_to_the_town(clock, town_officer, village_cadre):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    problem = new_problem(by=town_officer, on=MONDAY)
    services.request_closure(problem=problem, by=village_cadre, on=MONDAY, note="完成", evidence=[photo()])
    problem = services.reject_closure(problem=problem, by=town_officer, on=MONDAY, reason="照片不清楚")
    assert problem.rejection_count == 1
    # The audit trail records the count itself, not an expression.
    change = AuditEvent.objects.filter(object_id=str(problem.pk)).order_by("-seq").first()
    assert change is not None
    assert change.data["after"]["rejection_count"] == 1
    clock.set(MONDAY + dt.timedelta(days=1))
    problem = services.request_closure(
        problem=problem, by=village_cadre, on=clock.today, note="补充照片", evidence=[photo()]
    )
    assert problem.verifier_level == "town"


def test_a_list_takes_problems_of_its_own_region_while_it_is_a_draft(clock, town_officer, city_hq):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    problem_list = services.create_list(
        by=town_officer, title="镇自查问题", source=ProblemSource.SELF_CHECK, issuing_office="老城街道"
    )
    with pytest.raises(RectificationRefused, match="不在该清单交办单位的辖区内"):
        new_problem(by=city_hq, on=MONDAY, region_code="610981000000", problem_list=problem_list)
    new_problem(by=town_officer, on=MONDAY, problem_list=problem_list)
    services.issue_list(problem_list=problem_list, by=town_officer, on=MONDAY)
    with pytest.raises(RectificationRefused, match="已交办"):
        new_problem(by=town_officer, on=MONDAY, problem_list=problem_list)
    assert list(Problem.objects.values_list("state", flat=True)) == [ProblemState.ASSIGNED]


def test_an_image_too_large_to_decode_is_refused_not_a_server_error(monkeypatch, clock, village_cadre):  # type: ignore[no-untyped-def]
    clock.set(MONDAY)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)  # an 8×8 photo is then a "decompression bomb"
    with pytest.raises(RectificationRefused, match="不是可识别的照片"):
        new_problem(by=village_cadre, on=MONDAY, fixed_on_the_spot=True, evidence=[photo()])
    assert not Problem.objects.exists()


def test_issuing_a_city_list_reads_each_villages_start_rule_in_one_go(clock, city_hq):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bangfu.policy.models import PolicyValue

    clock.set(MONDAY)

    def issued_list(villages: list[str]) -> tuple[int, dict[str, dt.date]]:
        problem_list = services.create_list(
            by=city_hq, title="市级督查反馈问题", source=ProblemSource.SUPERVISION, issuing_office="市专班"
        )
        for code in villages:
            new_problem(by=city_hq, on=MONDAY, region_code=code, problem_list=problem_list)
        with CaptureQueriesContext(connection) as queries:
            services.issue_list(problem_list=problem_list, by=city_hq, on=MONDAY)
        starts = dict(
            Problem.objects.filter(problem_list=problem_list).values_list("region_code", "start_due_on")
        )
        return len(queries), starts

    one, _starts = issued_list(["610902001001"])
    three, _starts = issued_list(["610902001001", "610902001002", "610902002001"])
    assert three == one
    # 旬阳市 gives a day to start; the other villages keep the three days of the rule above them.
    PolicyValue.objects.create(
        key="rectification.start_within",
        region_prefix="610981",
        effective_from=dt.date(2026, 1, 1),
        value={"days": 1, "unit": "calendar"},
        source_note="测试依据",
    )
    _queries, starts = issued_list(["610902001001", "610902001002", "610981100001"])
    assert starts == {
        "610902001001": MONDAY + dt.timedelta(days=3),
        "610902001002": MONDAY + dt.timedelta(days=3),
        "610981100001": MONDAY + dt.timedelta(days=1),
    }

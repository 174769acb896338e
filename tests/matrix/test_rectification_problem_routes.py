"""The problem pages and API: the board, the list and the lists (every business role, rows by scope; a
department only its sector's), one problem or piece of evidence (404 outside its place), recording (the
inspecting and self-checking levels), progress and closure (the owners), verification (the town and above),
issuing a list (the issuing region)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from django.utils import timezone

from bangfu.accounts.models import Role, User
from bangfu.rectification import services
from bangfu.rectification.models import Evidence, Problem, ProblemEvent, ProblemList, ProblemSource
from bangfu.regions.models import Region
from tests.factories import UserFactory, ensure_problem_categories, ensure_rectification_policy, new_problem
from tests.permissions import BUSINESS_PERSONAS, VILLAGE, PermissionMatrix, Route
from tests.rectification.test_colours import photo

pytestmark = pytest.mark.django_db

MARKER = "东关村二组饮水管网冻裂"
OUTSIDE = frozenset({"other_village_cadre", "other_county_clerk"})
# Readers of a problem of 东关村 without a sector: everyone over the village but the department.
OVER_VILLAGE = frozenset({"city_hq", "county_clerk", "town_officer", "village_cadre", "inspector"})
NOT_IN_SECTOR = OUTSIDE | {"department_user"}
CREATORS = frozenset(
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
ISSUERS = frozenset({"city_hq", "county_clerk", "other_county_clerk", "town_officer", "inspector"})


def _town() -> User:
    return User.objects.filter(username="rect_town").first() or UserFactory(
        username="rect_town", role=Role.TOWN, region=Region.objects.get(code=VILLAGE[:9] + "000")
    )


def a_problem() -> Mapping[str, object]:
    problem = Problem.objects.first() or new_problem(by=_town(), on=timezone.localdate(), description=MARKER)
    return {"pk": problem.pk}


def a_problem_awaiting_verification() -> Mapping[str, object]:
    pk = a_problem()["pk"]
    problem = Problem.objects.get(pk=pk)
    if problem.state != "awaiting_verification":
        village = User.objects.filter(username="rect_village").first() or UserFactory(
            username="rect_village", role=Role.VILLAGE_TEAM, region=Region.objects.get(code=VILLAGE)
        )
        services.request_closure(
            problem=problem, by=village, on=timezone.localdate(), note="已修复", evidence=[photo()]
        )
    return {"pk": pk}


def some_evidence() -> Mapping[str, object]:
    a_problem_awaiting_verification()
    return {"pk": Evidence.objects.get().pk}


def a_draft_list() -> Mapping[str, object]:
    problem_list = ProblemList.objects.first()
    if problem_list is None:
        ensure_rectification_policy()
        ensure_problem_categories()
        county = User.objects.filter(username="rect_county").first() or UserFactory(
            username="rect_county", role=Role.COUNTY_OFFICE, region=Region.objects.get(code="610902000000")
        )
        problem_list = services.create_list(
            by=county,
            title="县级督查反馈问题",
            source=ProblemSource.SUPERVISION,
            issuing_office="汉滨区指挥部",
        )
        new_problem(by=county, on=timezone.localdate(), description=MARKER, problem_list=problem_list)
    return {"pk": problem_list.pk}


def problem_state() -> object:
    return list(
        Problem.objects.values_list("pk", "state", "closed_on", "rejection_count")
    ), ProblemEvent.objects.count()


def list_state() -> object:
    return list(ProblemList.objects.values_list("pk", "state")), problem_state()


def _today() -> str:
    return timezone.localdate().isoformat()


class TestProblemPages(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route("/rectification/", allowed=BUSINESS_PERSONAS, setup=a_problem),
        Route(
            "/rectification/problems/",
            allowed=BUSINESS_PERSONAS,
            setup=a_problem,
            marker=MARKER,
            shown_to=OVER_VILLAGE,
        ),
        Route(
            "/rectification/problems/",
            allowed=BUSINESS_PERSONAS,
            htmx=True,
            setup=a_problem,
            marker=MARKER,
            shown_to=OVER_VILLAGE,
        ),
        Route(
            "/rectification/problems/{pk}/",
            allowed=OVER_VILLAGE,
            outside=NOT_IN_SECTOR,
            setup=a_problem,
            marker=MARKER,
            shown_to=OVER_VILLAGE,
        ),
        Route("/rectification/problems/new/", allowed=CREATORS),
        Route(
            "/rectification/problems/{pk}/progress/",
            method="post",
            data={"progress-on": _today(), "progress-note": "已联系施工队"},
            allowed=frozenset({"county_clerk", "town_officer", "village_cadre"}),
            outside=NOT_IN_SECTOR,
            ok_status=302,
            setup=a_problem,
            state=problem_state,
        ),
        Route(
            # Without evidence: the owners get past the checks of role and place, and the form refuses it.
            "/rectification/problems/{pk}/closure/",
            method="post",
            data={"closure-on": _today(), "closure-note": "完成"},
            allowed=frozenset({"county_clerk", "town_officer", "village_cadre"}),
            outside=NOT_IN_SECTOR,
            ok_status=422,
            setup=a_problem,
            state=problem_state,
        ),
        Route(
            "/rectification/problems/{pk}/verify/",
            method="post",
            data={"decision": "close", "on": _today()},
            allowed=frozenset({"city_hq", "county_clerk", "town_officer"}),
            outside=NOT_IN_SECTOR,
            ok_status=302,
            setup=a_problem_awaiting_verification,
            state=problem_state,
        ),
        Route(
            "/rectification/evidence/{pk}/", allowed=OVER_VILLAGE, outside=NOT_IN_SECTOR, setup=some_evidence
        ),
        Route(
            "/rectification/lists/",
            allowed=BUSINESS_PERSONAS,
            setup=a_draft_list,
            marker="县级督查反馈问题",
            shown_to=frozenset({"city_hq", "county_clerk", "inspector"}),
        ),
        Route("/rectification/lists/new/", allowed=ISSUERS),
        Route(
            "/rectification/lists/{pk}/",
            allowed=frozenset({"city_hq", "county_clerk", "inspector"}),
            outside=frozenset(
                {
                    "other_county_clerk",
                    "town_officer",
                    "village_cadre",
                    "other_village_cadre",
                    "department_user",
                }
            ),
            setup=a_draft_list,
        ),
        Route(
            "/rectification/lists/{pk}/issue/",
            method="post",
            data={"on": _today()},
            allowed=frozenset({"city_hq", "county_clerk", "inspector"}),
            outside=frozenset(
                {
                    "other_county_clerk",
                    "town_officer",
                    "village_cadre",
                    "other_village_cadre",
                    "department_user",
                }
            ),
            ok_status=302,
            setup=a_draft_list,
            state=list_state,
        ),
    ]


class TestProblemApi(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route(
            "/api/v1/problems",
            api=True,
            allowed=BUSINESS_PERSONAS,
            setup=a_problem,
            marker=MARKER,
            shown_to=OVER_VILLAGE,
        ),
        Route(
            "/api/v1/problems/{pk}", api=True, allowed=OVER_VILLAGE, outside=NOT_IN_SECTOR, setup=a_problem
        ),
        Route(
            "/api/v1/problems/{pk}/progress",
            api=True,
            method="post",
            data={"on": _today(), "note": "已联系施工队"},
            allowed=frozenset({"county_clerk", "town_officer", "village_cadre"}),
            outside=NOT_IN_SECTOR,
            setup=a_problem,
            state=problem_state,
        ),
        Route(
            "/api/v1/problems",
            api=True,
            method="post",
            data={
                "source": "self_check",
                "category": "water",
                "region_code": VILLAGE,
                "description": "二组饮水管网冻裂",
                "responsible_unit": "东关村村委会",
                "found_on": _today(),
                "due_on": _today(),
            },
            # Creators whose scope holds the village; the others are refused the place (403).
            allowed=frozenset({"city_hq", "county_clerk", "town_officer", "village_cadre", "inspector"}),
            setup=lambda: (ensure_rectification_policy(), ensure_problem_categories(), {})[-1],  # type: ignore[return-value]
            state=problem_state,
        ),
    ]

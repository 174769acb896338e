"""Who reaches the registry's writing pages: editing, change review, duplicates, import and export.

Every route points into 东关村 (610902001001) of 老城街道. Direct editors (town, county, city) and the
village team edit (the village team by change request where the issue says so); sector departments, the
inspection group and the three admin roles get 403; a user of another village or county gets 404 for a
record of 东关村. For every POST, a ``state`` callable shows that a refused request changed nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from django.conf import settings as django_settings
from django.utils import timezone

from bangfu.accounts.models import Role, User
from bangfu.audit.models import AuditEvent
from bangfu.registry import services
from bangfu.registry.models import (
    ChangeRequest,
    DuplicateCandidate,
    Household,
    ImportRun,
    IncomeStatement,
    IndicatorObservation,
    Member,
)
from tests.factories import (
    DuplicateCandidateFactory,
    HouseholdFactory,
    ImportRunFactory,
    MemberFactory,
    UserFactory,
    synthetic_id_number,
)
from tests.permissions import VILLAGE, PermissionMatrix, Route

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate().isoformat()
TOWN = "610902001000"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OUTSIDE = frozenset({"other_county_clerk", "other_village_cadre"})
EDITORS = frozenset({"city_hq", "county_clerk", "town_officer"})
EDITORS_OVER_VILLAGE = EDITORS | {"village_cadre"}
# Roles allowed on pages that are not about one record (their own scope's lists and forms).
ALL_EDITORS = EDITORS_OVER_VILLAGE | OUTSIDE
ALL_DIRECT_EDITORS = EDITORS | {"other_county_clerk"}
SON_ID = synthetic_id_number(birth=date(2000, 1, 2), sex="male", serial=77)
CHANGE_REASON = "矩阵变更理由"
DUPLICATE_NAME = "矩阵重名"
RUN_FILE = "矩阵导入.xlsx"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


# --- rows the routes point at (built inside each test, after the region tree) -------------------------------


def make_household() -> Household:
    household = HouseholdFactory(household_number="610902001001099001", address="一组1号")
    MemberFactory(household=household, name="王建国", birth_date=date(1970, 5, 1))
    MemberFactory(
        household=household, name="王小明", birth_date=date(2000, 1, 2), relation="son", id_number=SON_ID
    )
    return household


def household_pk() -> Mapping[str, object]:
    return {"pk": make_household().pk}


def son_pk() -> Mapping[str, object]:
    return {"pk": make_household().members.get(name="王小明").pk}


def submitter() -> User:
    """The village cadre persona when the test runs as it (so it may withdraw), else a colleague."""
    return User.objects.filter(username="village_cadre").first() or UserFactory(
        username="colleague", role=Role.VILLAGE_TEAM, region_id=VILLAGE
    )


def change_pk() -> Mapping[str, object]:
    son = make_household().members.get(name="王小明")
    change = services.submit_change(
        by=submitter(), kind="update_member", member=son, payload={"name": "王晓明"}, reason=CHANGE_REASON
    )
    return {"pk": change.pk}


def duplicate_pk() -> Mapping[str, object]:
    a = MemberFactory(name=DUPLICATE_NAME, birth_date=date(1980, 2, 3))
    b = MemberFactory(name=DUPLICATE_NAME, birth_date=date(1980, 2, 3))
    return {"pk": DuplicateCandidateFactory(member_a=a, member_b=b).pk}


def run_pk() -> Mapping[str, object]:
    """A rejected run of 老城街道 with its annotated workbook on disk."""
    relative = "imports/matrix-errors.xlsx"
    path = Path(django_settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet().write_row(0, 0, ["姓名", "错误说明"])
    book.close()
    run = ImportRunFactory(
        region_code=TOWN,
        file_name=RUN_FILE,
        status="rejected",
        errors_file=relative,
        problems=[{"sheet": "Sheet1", "row": 2, "column": "A", "level": "error", "message": "姓名不能为空"}],
        error_count=1,
        created_by=UserFactory(username="importer", role=Role.TOWN, region_id=TOWN),
    )
    return {"pk": run.pk}


class Workbook:
    """An upload for ``Route.data``: one Route serves many requests, so every read starts from the start."""

    name = "农户信息.xlsx"
    content_type = XLSX

    def read(self) -> bytes:
        return b"PK\x03\x04" + b"\0" * 64


# --- what a refused request must leave as it was ------------------------------------------------------------


def households_state() -> list[Any]:
    return [
        list(Household.objects.order_by("pk").values_list("household_number", "address", "phone")),
        list(Member.objects.order_by("pk").values_list("name", "relation", "left_on", "health")),
        list(ChangeRequest.objects.order_by("pk").values_list("kind", "status")),
    ]


def income_state() -> list[Any]:
    return [list(IncomeStatement.objects.values_list("period_start", "wages")), households_state()]


def indicator_state() -> list[Any]:
    return list(IndicatorObservation.objects.values_list("indicator", "value"))


def reveal_state() -> int:
    return AuditEvent.objects.filter(action="reveal").count()


def duplicate_state() -> list[Any]:
    return list(DuplicateCandidate.objects.values_list("status", "review_note"))


def import_state() -> int:
    return ImportRun.objects.count()


def export_state() -> int:
    return AuditEvent.objects.filter(action="export").count()


MEMBER = {
    "id_number": SON_ID,
    "sex": "male",
    "birth_date": "2000-01-02",
    "relation": "son",
    "ethnicity": "汉族",
    "political_status": "masses",
    "school_status": "not_in_school",
    "health": "healthy",
    "labour_capacity": "ordinary",
    "resident_medical_insurance": "on",
    "critical_illness_insurance": "on",
}
NEW_MEMBER = {
    **MEMBER,
    "name": "李秀英",
    "id_number": synthetic_id_number(birth=date(1972, 3, 4), sex="female", serial=88),
    "sex": "female",
    "birth_date": "1972-03-04",
    "relation": "spouse",
    "reason": "嫁入本户",
}
NEW_HOUSEHOLD = {
    "region": VILLAGE,
    "household_number": "610902001001099002",
    "household_type": "ordinary",
    "head-name": "陈大山",
    "head-id_number": synthetic_id_number(birth=date(1965, 8, 8), sex="male", serial=99),
    "head-ethnicity": "汉族",
    "head-political_status": "masses",
    "head-school_status": "not_in_school",
    "head-health": "healthy",
    "head-labour_capacity": "ordinary",
    "reason": "新分户",
}
INCOME = {
    "period_kind": "calendar_year",
    "year": str(timezone.localdate().year - 1),
    "amount_wages": "18000",
    "excluded-TOTAL_FORMS": "0",
    "excluded-INITIAL_FORMS": "0",
    "excluded-MIN_NUM_FORMS": "0",
    "excluded-MAX_NUM_FORMS": "50",
    "reason": "年度收入",
}


class TestEditingRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route("/households/new/", allowed=ALL_EDITORS),
        # Another county's or village's user may register households, but only in their own scope: the
        # form refuses 东关村 for them (region picker) and nothing is written.
        Route(
            "/households/new/",
            method="post",
            data=NEW_HOUSEHOLD,
            allowed=EDITORS_OVER_VILLAGE,
            ok_status=302,
            statuses={"other_county_clerk": 200, "other_village_cadre": 200},
            state=households_state,
        ),
        Route("/households/{pk}/edit/", allowed=EDITORS_OVER_VILLAGE, outside=OUTSIDE, setup=household_pk),
        Route(
            "/households/{pk}/edit/",
            method="post",
            data={
                "household_number": "610902001001099001",
                "household_type": "ordinary",
                "address": "二组8号",
            },
            allowed=EDITORS_OVER_VILLAGE,
            outside=OUTSIDE,
            ok_status=302,
            setup=household_pk,
            state=households_state,
        ),
        Route(
            "/households/{pk}/members/new/", allowed=EDITORS_OVER_VILLAGE, outside=OUTSIDE, setup=household_pk
        ),
        Route(
            "/households/{pk}/members/new/",
            method="post",
            data=NEW_MEMBER,
            allowed=EDITORS_OVER_VILLAGE,
            outside=OUTSIDE,
            ok_status=302,
            setup=household_pk,
            state=households_state,
        ),
        Route("/households/members/{pk}/edit/", allowed=EDITORS_OVER_VILLAGE, outside=OUTSIDE, setup=son_pk),
        Route(
            "/households/members/{pk}/edit/",
            method="post",
            data={**MEMBER, "name": "王晓明", "reason": "按户口本更正"},
            allowed=EDITORS_OVER_VILLAGE,
            outside=OUTSIDE,
            ok_status=302,
            setup=son_pk,
            state=households_state,
        ),
        Route("/households/members/{pk}/leave/", allowed=EDITORS_OVER_VILLAGE, outside=OUTSIDE, setup=son_pk),
        Route(
            "/households/members/{pk}/leave/",
            method="post",
            data={"left_on": TODAY, "left_reason": "married_out", "reason": "婚嫁迁出"},
            allowed=EDITORS_OVER_VILLAGE,
            outside=OUTSIDE,
            ok_status=302,
            setup=son_pk,
            state=households_state,
        ),
        Route(
            "/households/{pk}/income/new/", allowed=EDITORS_OVER_VILLAGE, outside=OUTSIDE, setup=household_pk
        ),
        Route(
            "/households/{pk}/income/new/",
            method="post",
            data=INCOME,
            allowed=EDITORS_OVER_VILLAGE,
            outside=OUTSIDE,
            ok_status=302,
            setup=household_pk,
            state=income_state,
        ),
        Route(
            "/households/{pk}/indicators/new/",
            allowed=EDITORS_OVER_VILLAGE,
            outside=OUTSIDE,
            setup=household_pk,
        ),
        Route(
            "/households/{pk}/indicators/new/",
            method="post",
            data={"indicator": "housing_grade", "value": "B", "observed_on": TODAY},
            allowed=EDITORS_OVER_VILLAGE,
            outside=OUTSIDE,
            ok_status=302,
            setup=household_pk,
            state=indicator_state,
        ),
    ]


class TestChangeRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        # Reviewers see their scope's inbox; a village team its own requests (the submitter here is the
        # village cadre whenever the test runs as that persona).
        Route(
            "/households/changes/",
            allowed=ALL_EDITORS,
            setup=change_pk,
            marker=CHANGE_REASON,
            shown_to=EDITORS_OVER_VILLAGE,
        ),
        Route(
            "/households/changes/?status=pending&section=pending&after=0",
            allowed=ALL_EDITORS,
            htmx=True,
            setup=change_pk,
            marker="王小明",
            shown_to=EDITORS,
        ),
        Route("/households/changes/{pk}/", allowed=EDITORS_OVER_VILLAGE, outside=OUTSIDE, setup=change_pk),
        # Revealing needs the grant, which no persona holds: refused to all, audited for none.
        Route(
            "/households/changes/{pk}/",
            method="post",
            allowed=frozenset(),
            outside=OUTSIDE,
            setup=change_pk,
            state=reveal_state,
        ),
        Route(
            "/households/changes/{pk}/approve/",
            method="post",
            data={"approve-note": ""},
            allowed=EDITORS,
            outside=OUTSIDE,
            ok_status=302,
            setup=change_pk,
            state=households_state,
        ),
        Route(
            "/households/changes/{pk}/reject/",
            method="post",
            data={"reject-note": "请补充材料"},
            allowed=EDITORS,
            outside=OUTSIDE,
            ok_status=302,
            setup=change_pk,
            state=households_state,
        ),
        Route(
            "/households/changes/{pk}/withdraw/",
            method="post",
            allowed=frozenset({"village_cadre"}),
            outside=OUTSIDE,
            ok_status=302,
            setup=change_pk,
            state=households_state,
        ),
    ]


class TestDuplicateRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route(
            "/households/duplicates/",
            allowed=ALL_DIRECT_EDITORS,
            setup=duplicate_pk,
            marker=DUPLICATE_NAME,
            shown_to=EDITORS,
        ),
        Route(
            "/households/duplicates/{pk}/resolve/",
            method="post",
            data={"status": "not_duplicate", "note": "入户核实为两人"},
            allowed=EDITORS,
            outside=frozenset({"other_county_clerk"}),
            ok_status=302,
            setup=duplicate_pk,
            state=duplicate_state,
        ),
        Route(
            "/households/duplicates/{pk}/resolve/",
            method="post",
            data={"status": "same_person", "note": "重复登记"},
            htmx=True,
            allowed=EDITORS,
            outside=frozenset({"other_county_clerk"}),
            setup=duplicate_pk,
            state=duplicate_state,
        ),
    ]


class TestImportExportRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route(
            "/households/imports/",
            allowed=ALL_DIRECT_EDITORS,
            setup=run_pk,
            marker=RUN_FILE,
            shown_to=EDITORS,
        ),
        Route(
            "/households/imports/",
            method="post",
            data={"file": Workbook()},
            allowed=ALL_DIRECT_EDITORS,
            ok_status=302,
            state=import_state,
        ),
        Route(
            "/households/imports/{pk}/",
            allowed=EDITORS,
            outside=frozenset({"other_county_clerk"}),
            setup=run_pk,
        ),
        Route(
            "/households/imports/{pk}/",
            htmx=True,
            allowed=EDITORS,
            outside=frozenset({"other_county_clerk"}),
            setup=run_pk,
            marker="姓名不能为空",
            shown_to=EDITORS,
        ),
        # The annotated workbook holds full ID numbers: only its uploader (not a persona here) or a holder of
        # the reveal grant may download it (tests/registry/test_import_errors_download.py).
        Route(
            "/households/imports/{pk}/errors.xlsx",
            allowed=frozenset(),
            outside=frozenset({"other_county_clerk"}),
            setup=run_pk,
        ),
        Route("/households/export/", allowed=ALL_DIRECT_EDITORS),
        Route(
            "/households/export/",
            method="post",
            data={"region": VILLAGE},
            allowed=EDITORS,
            statuses={"other_county_clerk": 400},
            setup=household_pk,
            state=export_state,
        ),
    ]

"""Ledger import pages (整改台账导入): the city, the county and the inspection group over 汉滨区 (roles that
issue lists, with the draft list's region in scope) upload into a draft list of 汉滨区 and open its runs; a
town issues lists too but the county's list is outside its scope (404), like the other county's clerk; the
villages, the departments and 三员 get 403."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import xlsxwriter
from django.conf import settings as django_settings

from bangfu.accounts.models import Role, User
from bangfu.rectification import services
from bangfu.rectification.importing import KIND
from bangfu.rectification.models import ProblemList, ProblemSource
from bangfu.registry.models import ImportRun
from tests.factories import ImportRunFactory, UserFactory
from tests.permissions import PermissionMatrix, Route

pytestmark = pytest.mark.django_db

COUNTY = "610902000000"
ISSUERS_OVER_COUNTY = frozenset({"city_hq", "county_clerk", "inspector"})
OUTSIDE = frozenset({"town_officer", "other_county_clerk"})
LIST_TITLE = "矩阵测试问题清单"
RUN_FILE = "矩阵巡察台账.xlsx"


def _clerk() -> User:
    """The county's clerk: the persona's own row when the test made it (making it again would reset its
    password and end the persona's session), else a new one like it."""
    clerk = User.objects.filter(username="county_clerk").first()
    return clerk or UserFactory(username="county_clerk", role=Role.COUNTY_OFFICE, region_id=COUNTY)


def list_pk() -> Mapping[str, object]:
    """A draft list of 汉滨区, made through the service by the county's clerk."""
    problem_list = ProblemList.objects.filter(title=LIST_TITLE).first()
    if problem_list is None:
        problem_list = services.create_list(
            by=_clerk(),
            title=LIST_TITLE,
            source=ProblemSource.INSPECTION_FEEDBACK,
            issuing_office="汉滨区委巡察办",
        )
    return {"pk": problem_list.pk}


def run_pk() -> Mapping[str, object]:
    """A rejected ledger run of 汉滨区 with its annotated workbook on disk."""
    run = ImportRun.objects.filter(kind=KIND, file_name=RUN_FILE).first()
    if run is None:
        list_id = list_pk()["pk"]
        relative = "imports/matrix-ledger-errors.xlsx"
        path = Path(django_settings.MEDIA_ROOT) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        book = xlsxwriter.Workbook(str(path))
        book.add_worksheet().write_row(0, 0, ["问题描述", "错误说明"])
        book.close()
        run = ImportRunFactory(
            kind=KIND,
            region_code=COUNTY,
            file_name=RUN_FILE,
            status="rejected",
            errors_file=relative,
            summary={"list": list_id},
            problems=[
                {"sheet": "Sheet1", "row": 2, "column": "A", "level": "error", "message": "问题描述不能为空"}
            ],
            error_count=1,
            created_by=UserFactory(username="ledger_importer", role=Role.COUNTY_OFFICE, region_id=COUNTY),
        )
    return {"pk": run.pk}


def runs_state() -> object:
    return ImportRun.objects.filter(kind=KIND).count()


class TestRectificationImportRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route(
            "/rectification/lists/{pk}/import/",
            allowed=ISSUERS_OVER_COUNTY,
            outside=OUTSIDE,
            setup=list_pk,
            marker=LIST_TITLE,
            shown_to=ISSUERS_OVER_COUNTY,
        ),
        # An upload without a file is refused by the form (200, its message beside the input) for those who
        # may upload; nothing is stored for anyone.
        Route(
            "/rectification/lists/{pk}/import/",
            method="post",
            data={},
            allowed=ISSUERS_OVER_COUNTY,
            outside=OUTSIDE,
            setup=list_pk,
            state=runs_state,
        ),
        Route(
            "/rectification/imports/{pk}/",
            allowed=ISSUERS_OVER_COUNTY,
            outside=OUTSIDE,
            setup=run_pk,
            marker=RUN_FILE,
            shown_to=ISSUERS_OVER_COUNTY,
        ),
        Route(
            "/rectification/imports/{pk}/",
            htmx=True,
            allowed=ISSUERS_OVER_COUNTY,
            outside=OUTSIDE,
            setup=run_pk,
            marker="问题描述不能为空",
            shown_to=ISSUERS_OVER_COUNTY,
        ),
        Route(
            "/rectification/imports/{pk}/errors/",
            allowed=ISSUERS_OVER_COUNTY,
            outside=OUTSIDE,
            setup=run_pk,
        ),
    ]

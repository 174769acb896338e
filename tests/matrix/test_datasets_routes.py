"""Department data pages: the city, the counties, the departments and the inspection groups read the
versions of their scope (a department: its own sector's); towns, villages and 三员 get 403; another county
gets 404 on a version of 汉滨区."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from bangfu.accounts.models import Sector
from bangfu.datasets.models import DatasetVersion
from bangfu.registry.models import ImportRun
from tests.factories import ImportRunFactory, UserFactory
from tests.permissions import PermissionMatrix, Route

pytestmark = pytest.mark.django_db

READERS = frozenset({"city_hq", "county_clerk", "other_county_clerk", "department_user", "inspector"})
OVER_COUNTY = frozenset({"city_hq", "county_clerk", "department_user", "inspector"})
MARKER = "2026-02-28"


def version_ids() -> Mapping[str, object]:
    version = DatasetVersion.objects.first()
    if version is None:
        uploader = UserFactory(
            username="medical_uploader", role="department", sector=Sector.MEDICAL_INSURANCE
        )
        version = DatasetVersion.objects.create(
            kind="medical",
            sector=Sector.MEDICAL_INSURANCE,
            region_code="610902000000",
            number=1,
            period_start=dt.date(2026, 2, 1),
            period_end=dt.date(2026, 2, 28),
            run=ImportRunFactory(kind="datasets.medical", created_by=uploader),
            uploaded_by=uploader,
        )
    return {"pk": version.pk}


def run_ids() -> Mapping[str, object]:
    run = ImportRun.objects.filter(kind="datasets.medical", file_name="住院.xlsx").first()
    if run is None:
        run = ImportRunFactory(kind="datasets.medical", file_name="住院.xlsx", status="rejected")
    return {"pk": run.pk}


class TestDatasetRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route("/datasets/", allowed=READERS, setup=version_ids, marker=MARKER, shown_to=OVER_COUNTY),
        Route(
            "/datasets/{pk}/",
            allowed=OVER_COUNTY,
            outside=frozenset({"other_county_clerk"}),
            setup=version_ids,
            marker=MARKER,
            shown_to=OVER_COUNTY,
        ),
        # An upload's run: readers over its county who are no department (a department sees only its own).
        Route(
            "/datasets/runs/{pk}/",
            allowed=OVER_COUNTY - {"department_user"},
            outside=frozenset({"other_county_clerk", "department_user"}),
            setup=run_ids,
            marker="住院.xlsx",
            shown_to=OVER_COUNTY - {"department_user"},
        ),
    ]


IMPORTERS = frozenset({"city_hq", "county_clerk", "other_county_clerk", "department_user"})


def versions_state() -> object:
    return DatasetVersion.objects.count()


class TestDatasetApiRoutes(PermissionMatrix):
    routes = [  # noqa: RUF012 — the matrix reads this class attribute
        Route(
            "/api/v1/datasets",
            api=True,
            allowed=READERS,
            setup=version_ids,
            marker=MARKER,
            shown_to=OVER_COUNTY,
        ),
        # The upload: a form without a file is refused by the form (422) for those who may upload, before
        # anything is stored; the others are refused first (403).
        Route(
            "/api/v1/datasets",
            api=True,
            method="post",
            data={},
            allowed=IMPORTERS,
            ok_status=422,
            state=versions_state,
        ),
    ]

"""Uploading department data on the page, and reading how it matched."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from bangfu.accounts.models import Role, Sector, User
from bangfu.datasets.models import DatasetRecord, DatasetVersion
from bangfu.regions.models import Region
from bangfu.registry.models import ImportRun, Member
from tests.datasets.helpers import STRANGER, rows_for, write_file
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def posted(path: Path, kind: str = "medical") -> dict[str, object]:
    return {
        "kind": kind,
        "period_start": "2026-02-01",
        "period_end": "2026-02-28",
        "file": SimpleUploadedFile(path.name, path.read_bytes()),
    }


def test_a_department_uploads_its_file_and_sees_the_rows_to_check_masked(
    tmp_path: Path, department_user: User, people: dict[str, Member], django_capture_on_commit_callbacks: Any
) -> None:
    path = write_file(tmp_path / "m.xlsx", rows_for(people))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client(department_user).post("/datasets/", posted(path))
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/datasets/runs/{run.pk}/"
    # Queued, not yet imported: the page says so and asks again.
    waiting = client(department_user).get(f"/datasets/runs/{run.pk}/").content.decode()
    assert 'data-status="pending"' in waiting
    assert 'hx-trigger="every 2s"' in waiting
    for callback in queued:
        callback()

    version = DatasetVersion.objects.get()
    done = client(department_user).get(f"/datasets/runs/{run.pk}/", headers={"HX-Request": "true"})
    assert 'data-status="succeeded"' in done.content.decode()
    assert "every 2s" not in done.content.decode()
    assert f"/datasets/{version.pk}/" in done.content.decode()
    page = client(department_user).get(f"/datasets/{version.pk}/").content.decode()
    assert STRANGER not in page
    assert STRANGER[:6] + "********" + STRANGER[-4:] in page
    assert "赵外县" in page
    assert DatasetRecord.objects.count() == 4


def test_a_rejected_upload_lists_its_problems_and_stores_nothing(
    tmp_path: Path, department_user: User, people: dict[str, Member], django_capture_on_commit_callbacks: Any
) -> None:
    bad = write_file(tmp_path / "bad.xlsx", [[1, "张大山", "123", None, dt.date(2026, 2, 10), 1, 1, ""]])
    with django_capture_on_commit_callbacks(execute=True):
        client(department_user).post("/datasets/", posted(bad))
    run = ImportRun.objects.get()
    page = client(department_user).get(f"/datasets/runs/{run.pk}/").content.decode()

    assert "第3行 C列" in page
    assert "未通过校验" in page
    assert not DatasetVersion.objects.exists()


def test_an_upload_run_is_seen_by_its_uploader_and_the_readers_over_its_region_only(
    tmp_path: Path,
    regions: dict[str, Region],
    department_user: User,
    county_clerk: User,
    other_county_clerk: User,
    people: dict[str, Member],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client(department_user).post("/datasets/", posted(write_file(tmp_path / "m.xlsx", rows_for(people))))
    run = ImportRun.objects.get()
    other_medical = UserFactory(
        username="medical2",
        role=Role.DEPARTMENT,
        region=regions["610902000000"],
        sector=Sector.MEDICAL_INSURANCE,
    )

    assert client(county_clerk).get(f"/datasets/runs/{run.pk}/").status_code == 200
    assert client(other_county_clerk).get(f"/datasets/runs/{run.pk}/").status_code == 404
    assert client(other_medical).get(f"/datasets/runs/{run.pk}/").status_code == 404


def test_a_department_may_upload_only_its_sectors_kinds(
    tmp_path: Path, regions: dict[str, Region], people: dict[str, Member], inspector: User
) -> None:
    civil = UserFactory(
        username="civil", role=Role.DEPARTMENT, region=regions["610902000000"], sector=Sector.CIVIL_AFFAIRS
    )
    path = write_file(tmp_path / "m.xlsx", rows_for(people))

    page = client(civil).post("/datasets/", posted(path)).content.decode()
    assert 'name="kind"' in page
    assert not DatasetVersion.objects.exists()
    # An inspection group reads but uploads nothing.
    assert client(inspector).post("/datasets/", posted(path)).status_code == 403


def test_a_department_system_uploads_through_the_api(
    tmp_path: Path, department_user: User, people: dict[str, Member]
) -> None:
    path = write_file(tmp_path / "m.xlsx", rows_for(people))
    answer = client(department_user).post("/api/v1/datasets", posted(path))

    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "succeeded"
    assert body["summary"]["matched"] == 1
    assert body["version"] == DatasetVersion.objects.get().pk
    listed = client(department_user).get("/api/v1/datasets").json()
    assert [v["id"] for v in listed] == [body["version"]]

    bad = write_file(tmp_path / "bad.xlsx", [[1, "张大山", "123", None, dt.date(2026, 2, 10), 1, 1, ""]])
    rejected = client(department_user).post("/api/v1/datasets", posted(bad)).json()
    assert rejected["status"] == "rejected"
    errors = [p for p in rejected["problems"] if p["level"] == "error"]
    assert [(p["row"], p["column"]) for p in errors] == [(3, "C")]
    assert rejected["version"] is None
    assert DatasetVersion.objects.count() == 1

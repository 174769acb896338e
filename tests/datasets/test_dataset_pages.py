"""Uploading department data on the page, and reading how it matched."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from bangfu.accounts.models import Role, Sector, User
from bangfu.datasets.models import DatasetRecord, DatasetVersion
from bangfu.regions.models import Region
from bangfu.registry.models import Member
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
    tmp_path: Path, department_user: User, people: dict[str, Member]
) -> None:
    path = write_file(tmp_path / "m.xlsx", rows_for(people))
    response = client(department_user).post("/datasets/", posted(path))

    version = DatasetVersion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/datasets/{version.pk}/"
    page = client(department_user).get(f"/datasets/{version.pk}/").content.decode()
    assert STRANGER not in page
    assert STRANGER[:6] + "********" + STRANGER[-4:] in page
    assert "赵外县" in page
    assert DatasetRecord.objects.count() == 4


def test_a_rejected_upload_lists_its_problems_and_stores_nothing(
    tmp_path: Path, department_user: User, people: dict[str, Member]
) -> None:
    bad = write_file(tmp_path / "bad.xlsx", [[1, "张大山", "123", None, dt.date(2026, 2, 10), 1, 1, ""]])
    page = client(department_user).post("/datasets/", posted(bad)).content.decode()

    assert "第3行 C列" in page
    assert "未通过校验" in page
    assert not DatasetVersion.objects.exists()


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

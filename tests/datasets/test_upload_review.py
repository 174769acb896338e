"""Reading the uploads back: the versions page by page, a rejected file's problems page by page, the version a
finished run stored, and the command's answer when a run fails."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from bangfu.accounts.models import Sector, User
from bangfu.datasets import importing
from bangfu.datasets.models import DatasetKind, DatasetVersion
from bangfu.registry.models import ImportRun, ImportStatus, Member
from tests.datasets.helpers import rows_for, write_file
from tests.factories import ImportRunFactory

pytestmark = pytest.mark.django_db


def client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def stored_version(user: User, number: int, *, summary: dict[str, Any] | None = None) -> DatasetVersion:
    run = ImportRunFactory(
        kind="datasets.medical",
        created_by=user,
        status=ImportStatus.SUCCEEDED,
        summary={"version": number} if summary is None else summary,
    )
    return DatasetVersion.objects.create(
        kind=DatasetKind.MEDICAL,
        sector=Sector.MEDICAL_INSURANCE,
        region_code="610902000000",
        number=number,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        run=run,
        uploaded_by=user,
    )


def test_the_versions_are_paged_and_the_oldest_stay_reachable(department_user: User) -> None:
    versions = [stored_version(department_user, number) for number in range(1, 53)]
    c = client(department_user)

    first = c.get("/datasets/").content.decode()
    second = c.get("/datasets/?page=2").content.decode()

    shown_first = {int(pk) for pk in re.findall(r'data-version="(\d+)"', first)}
    shown_second = {int(pk) for pk in re.findall(r'data-version="(\d+)"', second)}
    assert shown_first == {v.pk for v in versions[2:]}
    assert shown_second == {versions[0].pk, versions[1].pk}
    assert "?page=2" in first
    assert "第 2 / 2 页" in second


def test_a_finished_run_links_the_version_it_stored(department_user: User) -> None:
    # A run whose summary does not carry the version number (the demo's) still links what it stored.
    version = stored_version(department_user, 1, summary={})

    page = client(department_user).get(f"/datasets/runs/{version.run_id}/").content.decode()

    assert f'href="/datasets/{version.pk}/"' in page


def test_the_problems_of_a_file_wrong_in_every_row_are_paged(department_user: User) -> None:
    problems = [
        {"sheet": "住院结算", "row": row, "column": "C", "level": "error", "message": f"证件号码错误{row}"}
        for row in range(3, 253)
    ]
    run = ImportRunFactory(
        kind="datasets.medical",
        created_by=department_user,
        status=ImportStatus.REJECTED,
        problems=problems,
        error_count=250,
    )
    c = client(department_user)

    first = c.get(f"/datasets/runs/{run.pk}/").content.decode()
    last = c.get(f"/datasets/runs/{run.pk}/?page=3").content.decode()

    assert first.count("证件号码错误") == 100
    assert "第3行 C列" in first
    assert "证件号码错误102" in first
    assert "证件号码错误103" not in first
    assert last.count("证件号码错误") == 50
    assert "第252行 C列" in last
    assert "共250个错误，0个警告。" in first
    assert "第 3 / 3 页" in last


def test_the_command_reports_a_failed_run_as_a_failure(
    tmp_path: Path,
    settings: Any,
    department_user: User,
    people: dict[str, Member],
    monkeypatch: Any,
    capsys: Any,
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "_match_row", broken)
    path = write_file(tmp_path / "m.xlsx", rows_for(people))

    with pytest.raises(CommandError) as raised:
        call_command("import_dataset", "medical", str(path), "--user", "medical_clerk", "--period", "2026-02")

    assert raised.value.returncode == 1
    out = capsys.readouterr().out
    assert "disk full" in out
    assert "导入成功" not in out
    assert ImportRun.objects.get().status == ImportStatus.FAILED
    assert not DatasetVersion.objects.exists()

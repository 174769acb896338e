"""Importing a sector department's file as a version of a dataset (``datasets.importing``), matched to the
registry's members by the blind index of the ID number."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection

from bangfu.accounts.models import Role, Sector, User
from bangfu.audit.models import AuditEvent
from bangfu.core.crypto import blind_index
from bangfu.datasets.importing import import_dataset
from bangfu.datasets.models import DatasetRecord, DatasetVersion, MatchStatus
from bangfu.regions.models import Region
from bangfu.registry.models import ImportStatus, Member
from tests.datasets.helpers import FEBRUARY, HEADERS, ON, STRANGER, rows_for, write_file
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run_import(user: User, path: Path, period: tuple[dt.date, dt.date] = FEBRUARY, **kwargs: Any) -> Any:
    return import_dataset(
        by=user,
        kind="medical",
        path=path,
        file_name=path.name,
        period_start=period[0],
        period_end=period[1],
        on=ON,
        **kwargs,
    )


def test_a_medical_file_is_stored_as_a_version_and_every_row_matched_or_reported(
    tmp_path: Path, department_user: User, people: dict[str, Member]
) -> None:
    run = run_import(department_user, write_file(tmp_path / "m.xlsx", rows_for(people)))

    assert run.status == ImportStatus.SUCCEEDED, run.problems
    assert {
        key: run.summary[key]
        for key in ("version", "rows", "matched", "name_differs", "former_member", "unmatched")
    } == {
        "version": 1,
        "rows": 4,
        "matched": 1,
        "name_differs": 1,
        "former_member": 1,
        "unmatched": 1,
    }
    version = DatasetVersion.objects.get()
    assert (version.kind, version.sector, version.region_code) == (
        "medical",
        Sector.MEDICAL_INSURANCE,
        "610902000000",
    )
    records = {r.row: r for r in DatasetRecord.objects.order_by("row")}
    assert [records[n].match for n in (3, 4, 5, 6)] == [
        MatchStatus.MATCHED,
        MatchStatus.NAME_DIFFERS,
        MatchStatus.FORMER_MEMBER,
        MatchStatus.UNMATCHED,
    ]
    first = records[3]
    assert first.member_id == people["current"].pk
    assert first.household_id == people["current"].household_id
    assert first.region_code == people["current"].region_code
    assert (first.start_date, first.event_date) == (dt.date(2026, 2, 3), dt.date(2026, 2, 10))
    assert (str(first.total_amount), str(first.amount), first.text) == (
        "32000.00",
        "8600.50",
        "汉滨区人民医院",
    )
    assert records[4].amount == 6100
    assert records[4].event_date == dt.date(2026, 2, 12)
    assert records[5].member_id == people["gone"].pk
    # Not matched: no member, and the uploader's region keeps it in sight.
    assert (records[6].member_id, records[6].household_id, records[6].region_code) == (
        None,
        None,
        "610902000000",
    )


def test_id_numbers_are_stored_encrypted_with_their_blind_index(
    tmp_path: Path, department_user: User, people: dict[str, Member]
) -> None:
    run_import(department_user, write_file(tmp_path / "m.xlsx", rows_for(people)))

    stranger = DatasetRecord.objects.get(row=6)
    assert stranger.id_number == STRANGER
    assert stranger.id_number_index == blind_index(STRANGER, kind="id_number")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM datasets_datasetrecord")
        stored = [row[0] for row in cursor.fetchall()]
    assert len(stored) == 4
    assert not any(STRANGER in value or value.isdigit() for value in stored)


def test_the_same_file_again_stores_nothing_new_and_a_corrected_one_is_version_2(
    tmp_path: Path, department_user: User, people: dict[str, Member]
) -> None:
    path = write_file(tmp_path / "m.xlsx", rows_for(people))
    run_import(department_user, path)
    again = run_import(department_user, path)

    assert again.status == ImportStatus.SUCCEEDED
    assert again.summary["version"] == 1
    assert DatasetVersion.objects.count() == 1
    assert DatasetRecord.objects.count() == 4

    corrected = run_import(department_user, write_file(tmp_path / "m2.xlsx", rows_for(people)[:2]))
    assert corrected.summary["version"] == 2
    assert DatasetRecord.objects.filter(version__number=2).count() == 2
    # The first version is kept as it was.
    assert DatasetRecord.objects.filter(version__number=1).count() == 4


def test_a_malformed_file_is_rejected_with_each_problem_located_and_nothing_stored(
    tmp_path: Path, department_user: User, people: dict[str, Member]
) -> None:
    good = people["current"].id_number
    rows = [
        [1, "张大山", good[:17] + ("0" if good[17] != "0" else "1"), None, dt.date(2026, 2, 10), 100, 50, ""],
        [2, "李秀英", people["renamed"].id_number, None, dt.date(2026, 1, 28), 100, 50, ""],
        [3, "王老五", people["gone"].id_number, None, "2026-02-14", 100, "3万", ""],
        [4, "赵外县", "", None, "2026-02-14", 100, 50, ""],
        [5, "钱某", 610902195905060771, None, "2026-02-14", 100, None, ""],
    ]
    run = run_import(department_user, write_file(tmp_path / "bad.xlsx", rows))

    assert run.status == ImportStatus.REJECTED
    located = [(p["row"], p["column"]) for p in run.problems if p["level"] == "error"]
    assert located == [(3, "C"), (4, "E"), (5, "G"), (6, "C"), (7, "C"), (7, "G")]
    messages = {(p["row"], p["column"]): p["message"] for p in run.problems}
    assert "校验码" in messages[(3, "C")]
    assert "不在数据期间 2026-02-01 至 2026-02-28 内" in messages[(4, "E")]
    assert messages[(5, "G")].startswith("个人自付")
    assert "不能为空" in messages[(6, "C")]
    assert "文本格式" in messages[(7, "C")] or "数字" in messages[(7, "C")]
    assert not DatasetVersion.objects.exists()
    assert not DatasetRecord.objects.exists()


def test_the_uploaded_file_is_not_kept(
    tmp_path: Path, settings: Any, department_user: User, people: dict[str, Member]
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    stored = run_import(department_user, write_file(tmp_path / "m.xlsx", rows_for(people)))
    rejected = run_import(
        department_user, write_file(tmp_path / "b.xlsx", [[1, "张", "1", None, None, 1, 1, ""]])
    )

    assert (stored.stored_file, rejected.stored_file) == ("", "")
    assert (stored.errors_file, rejected.errors_file) == ("", "")
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []


def test_a_file_without_a_required_column_is_rejected_at_the_header(
    tmp_path: Path, department_user: User, people: dict[str, Member]
) -> None:
    headers = [h for h in HEADERS if h != "经三重保障后个人自付"]
    rows = [[1, "张大山", people["current"].id_number, None, dt.date(2026, 2, 10), 100, ""]]
    run = run_import(department_user, write_file(tmp_path / "cols.xlsx", rows, headers))

    assert run.status == ImportStatus.REJECTED
    assert [(p["row"], p["message"]) for p in run.problems if p["level"] == "error"] == [
        (2, "缺少必填列“个人自付”")
    ]
    assert not DatasetRecord.objects.exists()


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ((dt.date(2026, 3, 1), dt.date(2026, 2, 1)), "晚于截止日期"),
        ((dt.date(2026, 3, 1), dt.date(2026, 3, 31)), "数据不能来自未来"),
    ],
)
def test_an_impossible_period_is_refused(
    tmp_path: Path,
    department_user: User,
    people: dict[str, Member],
    period: tuple[dt.date, dt.date],
    message: str,
) -> None:
    run = run_import(department_user, write_file(tmp_path / "m.xlsx", rows_for(people)), period)

    assert run.status == ImportStatus.REJECTED
    assert message in run.problems[0]["message"]
    assert not DatasetVersion.objects.exists()


def test_a_dry_run_checks_without_storing(
    tmp_path: Path, department_user: User, people: dict[str, Member]
) -> None:
    run = run_import(department_user, write_file(tmp_path / "m.xlsx", rows_for(people)), dry_run=True)

    assert run.status == ImportStatus.CHECKED
    assert not DatasetVersion.objects.exists()


def test_only_the_kinds_sector_and_the_collecting_offices_may_upload(
    tmp_path: Path,
    regions: dict[str, Region],
    county_clerk: User,
    village_cadre: User,
    people: dict[str, Member],
) -> None:
    path = write_file(tmp_path / "m.xlsx", rows_for(people))
    civil = UserFactory(
        username="civil", role=Role.DEPARTMENT, region=regions["610902000000"], sector=Sector.CIVIL_AFFAIRS
    )
    for user in (civil, village_cadre):
        with pytest.raises(PermissionDenied):
            run_import(user, path)
    run = run_import(county_clerk, path)
    assert run.status == ImportStatus.SUCCEEDED
    # Stored for the kind's sector, whoever collected it.
    assert DatasetVersion.objects.get().sector == Sector.MEDICAL_INSURANCE


def test_records_are_visible_to_their_sector_within_scope_only(
    tmp_path: Path,
    regions: dict[str, Region],
    department_user: User,
    county_clerk: User,
    other_county_clerk: User,
    people: dict[str, Member],
) -> None:
    run_import(department_user, write_file(tmp_path / "m.xlsx", rows_for(people)))
    civil = UserFactory(
        username="civil", role=Role.DEPARTMENT, region=regions["610902000000"], sector=Sector.CIVIL_AFFAIRS
    )

    assert DatasetRecord.objects.visible_to(department_user).count() == 4
    assert DatasetRecord.objects.visible_to(county_clerk).count() == 4
    assert DatasetRecord.objects.visible_to(civil).count() == 0
    assert DatasetRecord.objects.visible_to(other_county_clerk).count() == 0
    assert DatasetVersion.objects.visible_to(civil).count() == 0


def test_the_import_and_the_version_are_audited(
    tmp_path: Path, department_user: User, people: dict[str, Member]
) -> None:
    run = run_import(department_user, write_file(tmp_path / "m.xlsx", rows_for(people)))
    version = DatasetVersion.objects.get()

    kinds = set(AuditEvent.objects.values_list("object_type", flat=True))
    assert {"registry.importrun", "datasets.datasetversion"} <= kinds
    event = AuditEvent.objects.get(object_type="datasets.datasetversion", object_id=str(version.pk))
    assert event.after["matched"] == 1
    assert event.after["run"] == run.pk


def test_the_command_prints_the_matches_and_exits_1_on_a_rejected_file(
    tmp_path: Path, department_user: User, people: dict[str, Member], capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_file(tmp_path / "m.xlsx", rows_for(people))
    call_command("import_dataset", "medical", str(good), "--user", "medical_clerk", "--period", "2026-02")
    out = capsys.readouterr().out
    assert "已匹配：1" in out
    assert "未匹配：1" in out
    assert "导入成功：共4行" in out

    bad = write_file(tmp_path / "bad.xlsx", [[1, "张大山", "123", None, dt.date(2026, 2, 10), 1, 1, ""]])
    with pytest.raises(CommandError) as raised:
        call_command("import_dataset", "medical", str(bad), "--user", "medical_clerk", "--period", "2026-02")
    assert raised.value.returncode == 1
    assert "第3行 C列" in capsys.readouterr().out


def test_an_unexpected_error_fails_the_run_and_stores_nothing(
    tmp_path: Path, settings: Any, department_user: User, people: dict[str, Member], monkeypatch: Any
) -> None:
    from bangfu.datasets import importing

    settings.MEDIA_ROOT = str(tmp_path / "media")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "_match_row", broken)
    run = run_import(department_user, write_file(tmp_path / "m.xlsx", rows_for(people)))

    assert run.status == ImportStatus.FAILED
    assert "disk full" in run.problems[0]["message"]
    assert not DatasetVersion.objects.exists()
    assert not DatasetRecord.objects.exists()
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []

"""``bangfu import-households`` and ``bangfu export-households``: output and exit codes (DESIGN.md §6)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bangfu import cli
from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.core.masking import mask_id_number
from bangfu.registry import importing
from bangfu.registry.models import Household, ImportRun, ImportStatus, Member
from tests.registry.test_import_households import HEAD_1, NUMBER_1, ON, SON_1, write_messy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def command(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_prints_the_counts_and_exits_0(tmp_path: Path, county_clerk: User) -> None:
    path = write_messy(tmp_path / "农户信息.xlsx", fixed=True)

    output = command("import_households", str(path), "--user", "county_clerk")

    assert "[警告] 工作表 Sheet1 第4行 Q列：未识别的列“帮扶责任人”，该列不会导入" in output
    assert "新增农户：4\n" in output
    assert "新增成员：9\n" in output
    assert "导入成功：共9行" in output
    assert Household.objects.count() == 4


def test_a_rejected_import_prints_each_problem_located_and_exits_1(
    tmp_path: Path, county_clerk: User
) -> None:
    path = write_messy(tmp_path / "农户信息.xlsx")
    out = io.StringIO()

    with pytest.raises(CommandError, match="导入未通过：3个错误，1个警告；未写入任何数据") as refused:
        call_command("import_households", str(path), "--user", "county_clerk", stdout=out)

    assert refused.value.returncode == 1
    lines = out.getvalue().splitlines()
    assert lines == [
        "[警告] 工作表 Sheet1 第4行 Q列：未识别的列“帮扶责任人”，该列不会导入",
        "[错误] 工作表 Sheet1 第9行 G列：身份证号码校验码错误，应为4，实际为0",
        "[错误] 工作表 Sheet1 第10行 J列：该户没有户主（与户主关系须有一人为“户主”）",
        f"[错误] 工作表 Sheet1 第13行 G列：同一人不能同时是两户的成员：身份证号码 {mask_id_number(SON_1)} "
        f"在第7行属于户编号 {NUMBER_1}（户主张大山），本行又属于户编号 610902001002000004（户主赵强）",
    ]
    assert Household.objects.count() == 0


def test_errors_option_writes_the_annotated_workbook(tmp_path: Path, county_clerk: User) -> None:
    path = write_messy(tmp_path / "农户信息.xlsx")
    errors = tmp_path / "问题.xlsx"

    with pytest.raises(CommandError):
        call_command(
            "import_households",
            str(path),
            "--user",
            "county_clerk",
            "--errors",
            str(errors),
            stdout=io.StringIO(),
        )

    sheet = openpyxl.load_workbook(errors)["Sheet1"]
    assert sheet.cell(9, sheet.max_column).value == "G列：身份证号码校验码错误，应为4，实际为0"


def test_dry_run_writes_nothing_and_exits_0(tmp_path: Path, county_clerk: User) -> None:
    output = command(
        "import_households",
        str(write_messy(tmp_path / "a.xlsx", fixed=True)),
        "--user",
        "county_clerk",
        "--dry-run",
    )

    assert "试导入通过：共9行，未写入数据" in output
    assert Household.objects.count() == 0
    assert ImportRun.objects.get().status == ImportStatus.CHECKED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.xlsx", "--user", "county_clerk"], "文件不存在"),
        (["{file}", "--user", "nobody"], "用户不存在：nobody"),
        (["{file}", "--user", "county_clerk", "--year", "1999"], "--year 应为2000至2100之间的年份"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, county_clerk: User, args: list[str], message: str) -> None:
    file = str(write_messy(tmp_path / "a.xlsx", fixed=True))
    with pytest.raises(CommandError, match=message) as refused:
        call_command("import_households", *[a.replace("{file}", file) for a in args], stdout=io.StringIO())
    assert refused.value.returncode == 2
    assert ImportRun.objects.count() == 0


def test_a_user_who_may_not_import_is_refused_with_exit_1(tmp_path: Path, village_cadre: User) -> None:
    with pytest.raises(CommandError, match="您没有导入农户信息的权限") as refused:
        call_command("import_households", str(write_messy(tmp_path / "a.xlsx")), "--user", "village_cadre")
    assert refused.value.returncode == 1


@pytest.mark.parametrize("name", ["import-households", "export-households"])
def test_missing_required_options_exit_2(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["bangfu", name])
    assert exited.value.code == 2
    assert "--user" in capsys.readouterr().err


def test_export_writes_masked_values_and_exits_0(tmp_path: Path, county_clerk: User) -> None:
    command("import_households", str(write_messy(tmp_path / "a.xlsx", fixed=True)), "--user", "county_clerk")
    out = tmp_path / "导出.xlsx"

    output = command(
        "export_households", str(out), "--region", "610902", "--user", "county_clerk", "--reveal"
    )

    assert f"已导出 9 名成员：{out}" in output
    sheet = openpyxl.load_workbook(out, read_only=True).active
    assert sheet is not None
    ids = [row[layout_index("证件号码")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert ids[0] == mask_id_number(HEAD_1)
    assert AuditEvent.objects.filter(action="export").count() == 1


def layout_index(header: str) -> int:
    from bangfu.registry.layout import HEADERS

    return HEADERS.index(header)


def test_export_with_reveal_and_the_grant_writes_full_ids(tmp_path: Path, county_clerk: User) -> None:
    county_clerk.may_reveal_personal_data = True
    county_clerk.save(update_fields=["may_reveal_personal_data"])
    command("import_households", str(write_messy(tmp_path / "a.xlsx", fixed=True)), "--user", "county_clerk")
    out = tmp_path / "导出.xlsx"

    command("export_households", str(out), "--region", "610902000000", "--user", "county_clerk", "--reveal")

    sheet = openpyxl.load_workbook(out, read_only=True).active
    assert sheet is not None
    assert next(sheet.iter_rows(min_row=2, values_only=True))[layout_index("证件号码")] == HEAD_1


def test_export_of_a_region_outside_the_scope_exits_1(tmp_path: Path, other_county_clerk: User) -> None:
    with pytest.raises(CommandError, match="不在您的管辖范围内") as refused:
        call_command(
            "export_households",
            str(tmp_path / "out.xlsx"),
            "--region",
            "610902",
            "--user",
            "other_county_clerk",
        )
    assert refused.value.returncode == 1


@pytest.mark.parametrize(("region", "user"), [("6100", "county_clerk"), ("610902", "nobody")])
def test_export_usage_errors_exit_2(tmp_path: Path, county_clerk: User, region: str, user: str) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("export_households", str(tmp_path / "out.xlsx"), "--region", region, "--user", user)
    assert refused.value.returncode == 2


def test_a_masked_export_imported_again_says_why_it_cannot_be_and_changes_nothing(
    tmp_path: Path, county_clerk: User
) -> None:
    command("import_households", str(write_messy(tmp_path / "a.xlsx", fixed=True)), "--user", "county_clerk")
    out = tmp_path / "导出.xlsx"
    command("export_households", str(out), "--region", "610902", "--user", "county_clerk")
    before = (Member.objects.count(), AuditEvent.objects.exclude(object_type="registry.importrun").count())

    run = importing.prepare_import(by=county_clerk, path=out, file_name=out.name, dry_run=False)
    run = importing.import_households(run=run, on=ON)

    assert run.status == ImportStatus.REJECTED
    errors = [p for p in run.problems if p["level"] == "error"]
    # One line saying what the file is and what to do, first; then each masked cell where it is.
    masked_ids = [p for p in errors if p["message"] == "证件号码：身份证号码已脱敏（含“*”），不能导入"]
    masked_phones = [p for p in errors if p["message"] == "联系电话：电话号码已脱敏（含“*”），不能导入"]
    assert len(masked_ids) == 9
    assert masked_phones
    assert errors[0]["column"] == ""
    assert errors[0]["message"] == (
        f"表中有{9 + len(masked_phones)}处身份证号码或电话号码已脱敏（含“*”），无法导入："
        "这是未选“完整证件号码”导出的文件，请导出完整号码后再导入"
    )
    assert (
        Member.objects.count(),
        AuditEvent.objects.exclude(object_type="registry.importrun").count(),
    ) == before

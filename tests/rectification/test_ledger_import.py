"""Importing a problem ledger (整改台账) into a draft problem list: real .xlsx files, the service, the
command and the upload page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from bangfu.accounts.models import Sector, User
from bangfu.audit.models import AuditEvent
from bangfu.rectification import importing, services
from bangfu.rectification.models import (
    Campaign,
    EventKind,
    Problem,
    ProblemEvent,
    ProblemList,
    ProblemSource,
    ProblemState,
)
from bangfu.registry.models import ImportRun, ImportStatus
from tests.factories import HouseholdFactory, ensure_problem_categories, ensure_rectification_policy

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)
HOUSEHOLD = "610902001001000777"
HEADER = (
    "序号",
    "问题来源",
    "问题类型",
    "涉及村",
    "户编号",
    "存在问题",
    "整改措施",
    "牵头单位",
    "责任单位",
    "主管部门",
    "责任人",
    "发现日期",
    "完成时限",
)
TITLE = ("汉滨区2026年巡察反馈问题整改台账",)
SUBTITLE = ("填报单位：汉滨区乡村振兴局", "", "", "", "", "", "", "", "填报日期：2026年3月10日")


@pytest.fixture(autouse=True)
def _media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def setup(clock: Any, regions: Any) -> None:
    clock.set(TODAY)
    ensure_problem_categories()
    ensure_rectification_policy()
    HouseholdFactory(household_number=HOUSEHOLD, region_code="610902001001")


@pytest.fixture
def draft(setup: None, county_clerk: User) -> ProblemList:
    campaign = Campaign.objects.create(
        name="2026年集中排查",
        region_code="610902000000",
        starts_on=dt.date(2026, 1, 1),
        clearance_date=dt.date(2026, 12, 31),
        created_by=county_clerk,
    )
    return services.create_list(
        by=county_clerk,
        title="2026年巡察反馈问题清单",
        source=ProblemSource.INSPECTION_FEEDBACK,
        issuing_office="汉滨区委巡察办",
        document_number="汉巡办〔2026〕3号",
        campaign=campaign,
    )


def write_ledger(path: Path, rows: list[tuple[Any, ...]], *, header: tuple[str, ...] = HEADER) -> Path:
    """A ledger as clerks make it: a title row and a 填报单位 row above the header, then the rows."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "整改台账"
    sheet.append(TITLE)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(SUBTITLE)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    sheet.append(("填表人：张三",))
    workbook.save(path)
    return path


GOOD_ROWS: list[tuple[Any, ...]] = [
    (
        1,
        "巡察反馈",
        "住房",
        "东关村",
        HOUSEHOLD,
        "住房安全等级未鉴定",
        "组织鉴定并改造",
        "老城街道办事处",
        "老城街道东关村委会",
        "住建局",
        "李四",
        dt.datetime(2026, 3, 1, tzinfo=dt.UTC).replace(tzinfo=None),  # a datetime cell, as Excel holds it
        "2026年6月底前",
    ),
    (
        2,
        "",
        "饮水",
        "老城街道西关村",
        "",
        "饮水不稳定",
        "",
        "",
        "西关村委会",
        "水利",
        "",
        "2026/3/2",
        "2026-05-31",
    ),
    (
        "3",
        "暗访",
        "收入类",
        "汉滨区五里镇",
        None,
        "产业帮扶资金未到位",
        "拨付资金",
        "",
        "五里镇人民政府",
        "",
        "王五",
        20260303,
        dt.date(2026, 4, 30),
    ),
    (
        4,
        "自查",
        "政策落实",
        "610902100001",
        None,
        "政策宣传不到位",
        "",
        "",
        "五里村委会",
        "",
        "",
        None,
        "2026.7",
    ),
]


def good_ledger(tmp_path: Path) -> Path:
    return write_ledger(tmp_path / "巡察反馈整改台账.xlsx", GOOD_ROWS)


def problem_rows(problem_list: ProblemList) -> set[tuple[Any, ...]]:
    return set(
        Problem.objects.filter(problem_list=problem_list).values_list(
            "ledger_number",
            "source",
            "category__code",
            "region_code",
            "household__household_number",
            "description",
            "responsible_unit",
            "responsible_sector",
            "found_on",
            "due_on",
            "state",
        )
    )


EXPECTED = {
    (
        "1",
        ProblemSource.INSPECTION_FEEDBACK,
        "housing",
        "610902001001",
        HOUSEHOLD,
        "住房安全等级未鉴定",
        "老城街道东关村委会",
        Sector.HOUSING,
        dt.date(2026, 3, 1),
        dt.date(2026, 6, 30),
        ProblemState.DRAFT,
    ),
    (
        "2",
        ProblemSource.INSPECTION_FEEDBACK,
        "water",
        "610902001002",
        None,
        "饮水不稳定",
        "西关村委会",
        Sector.WATER,
        dt.date(2026, 3, 2),
        dt.date(2026, 5, 31),
        ProblemState.DRAFT,
    ),
    (
        "3",
        ProblemSource.UNANNOUNCED_VISIT,
        "income",
        "610902100000",
        None,
        "产业帮扶资金未到位",
        "五里镇人民政府",
        "",
        dt.date(2026, 3, 3),
        dt.date(2026, 4, 30),
        ProblemState.DRAFT,
    ),
    (
        "4",
        ProblemSource.SELF_CHECK,
        "policy",
        "610902100001",
        None,
        "政策宣传不到位",
        "五里村委会",
        "",
        TODAY,
        dt.date(2026, 7, 31),
        ProblemState.DRAFT,
    ),
}


def run_import(user: User, path: Path, problem_list: ProblemList, **kwargs: Any) -> ImportRun:
    return importing.import_ledger(
        by=user, path=path, file_name=path.name, problem_list=problem_list, **kwargs
    )


# --- the good ledger ----------------------------------------------------------------------------------------


def test_good_ledger_imports_exactly_its_problems_as_drafts(
    draft: ProblemList, county_clerk: User, tmp_path: Path
) -> None:
    run = run_import(county_clerk, good_ledger(tmp_path), draft)

    assert run.status == ImportStatus.SUCCEEDED, [p["message"] for p in run.problems]
    assert run.problems == []
    assert run.summary == {"list": draft.pk, "created": 4}
    assert run.total_rows == 4
    assert problem_rows(draft) == EXPECTED
    problems = Problem.objects.filter(problem_list=draft)
    assert {p.campaign_id for p in problems} == {draft.campaign_id}
    assert {p.created_by_id for p in problems} == {county_clerk.pk}
    assert {p.assigned_on for p in problems} == {None}
    events = ProblemEvent.objects.filter(problem__problem_list=draft)
    assert sorted(events.values_list("problem__ledger_number", "kind", "on")) == [
        ("1", EventKind.CREATED, dt.date(2026, 3, 1)),
        ("2", EventKind.CREATED, dt.date(2026, 3, 2)),
        ("3", EventKind.CREATED, dt.date(2026, 3, 3)),
        ("4", EventKind.CREATED, TODAY),
    ]
    assert AuditEvent.objects.filter(object_type="rectification.problem", action="create").count() == 4
    draft.refresh_from_db()
    assert draft.file_sha256 == run.file_sha256
    assert draft.import_run_id == run.pk
    assert run.errors_file == ""


def test_imported_list_is_issued_by_the_existing_service(
    draft: ProblemList, county_clerk: User, tmp_path: Path
) -> None:
    run_import(county_clerk, good_ledger(tmp_path), draft)

    assert services.issue_list(problem_list=draft, by=county_clerk, on=TODAY) == 4
    assert set(Problem.objects.filter(problem_list=draft).values_list("state", flat=True)) == {
        ProblemState.ASSIGNED
    }


def test_reimporting_the_same_file_changes_nothing_and_says_so(
    draft: ProblemList, county_clerk: User, tmp_path: Path
) -> None:
    path = good_ledger(tmp_path)
    first = run_import(county_clerk, path, draft)
    before = (Problem.objects.count(), ProblemEvent.objects.count(), AuditEvent.objects.count())

    again = run_import(county_clerk, path, draft)

    assert again.status == ImportStatus.SUCCEEDED
    assert again.summary == {"list": draft.pk, "unchanged": True, "created": 0}
    assert again.error_count == 0
    # Only the second run's own audit event is new.
    assert (Problem.objects.count(), ProblemEvent.objects.count(), AuditEvent.objects.count()) == (
        before[0],
        before[1],
        before[2] + 1,
    )
    draft.refresh_from_db()
    assert draft.import_run_id == first.pk


def test_the_same_file_cannot_fill_a_second_list_of_the_region(
    draft: ProblemList, county_clerk: User, tmp_path: Path
) -> None:
    path = good_ledger(tmp_path)
    run_import(county_clerk, path, draft)
    second = services.create_list(
        by=county_clerk, title="另一个清单", source=ProblemSource.SELF_CHECK, issuing_office="汉滨区"
    )

    run = run_import(county_clerk, path, second)

    assert run.status == ImportStatus.REJECTED
    assert [p["message"] for p in run.problems if p["row"] == 0] == [
        f"该文件已导入问题清单“2026年巡察反馈问题清单”（编号 {draft.pk}），同一文件不能再导入另一个清单"
    ]
    assert not Problem.objects.filter(problem_list=second).exists()


def test_dry_run_writes_nothing(draft: ProblemList, county_clerk: User, tmp_path: Path) -> None:
    before = AuditEvent.objects.exclude(object_type="registry.importrun").count()

    run = run_import(county_clerk, good_ledger(tmp_path), draft, dry_run=True)

    assert run.status == ImportStatus.CHECKED
    assert run.summary == {"list": draft.pk, "to_create": 4}
    assert not Problem.objects.exists()
    assert not ProblemEvent.objects.exists()
    assert AuditEvent.objects.exclude(object_type="registry.importrun").count() == before
    draft.refresh_from_db()
    assert (draft.file_sha256, draft.import_run_id) == ("", None)


def test_query_count_does_not_grow_with_rows(
    draft: ProblemList,
    county_clerk: User,
    tmp_path: Path,
    django_assert_max_num_queries: Any,
) -> None:
    rows = [
        (
            n,
            *("自查", "住房", "东关村" if n % 2 else "老城街道西关村", HOUSEHOLD if n % 2 else None),
            *(f"问题{n}", "", "", "村委会", "", "", "2026-03-01", "2026-06-30"),
        )
        for n in range(1, 61)
    ]
    path = write_ledger(tmp_path / "大台账.xlsx", rows)
    run = importing.prepare_ledger_import(by=county_clerk, path=path, file_name=path.name, problem_list=draft)

    # A fixed number per run (SQLite splits a bulk insert of 60 problems in two statements).
    with django_assert_max_num_queries(34):
        run = importing.run_ledger_import(run=run)

    assert run.status == ImportStatus.SUCCEEDED, [p["message"] for p in run.problems]
    assert Problem.objects.filter(problem_list=draft).count() == 60


# --- errors -------------------------------------------------------------------------------------------------


def test_ledger_with_errors_is_rejected_with_located_messages_and_nothing_written(
    draft: ProblemList, county_clerk: User, tmp_path: Path
) -> None:
    def row(number: Any, **cells: Any) -> tuple[Any, ...]:
        values = {
            "source": "自查",
            "category": "住房",
            "place": "东关村",
            "household": None,
            "description": "问题",
            "unit": "东关村委会",
            "found": "2026-03-01",
            "due": "2026-06-30",
            **cells,
        }
        return (
            number,
            values["source"],
            values["category"],
            values["place"],
            values["household"],
            values["description"],
            "",
            "",
            values["unit"],
            "",
            "",
            values["found"],
            values["due"],
        )

    rows = [
        row(1),  # row 4: fine
        row(2, place="南山村"),  # row 5
        row(3, household="610902001001999999"),  # row 6
        row(4, category="交通"),  # row 7
        row(5, found="2026年3月5日", due="2026-03-01"),  # row 8
        row(1),  # row 9: 序号 again
        row(6, place="红军村"),  # row 10: another county
        row(7, source="路边听说"),  # row 11
        row(8, due="2027-01-31"),  # row 12: after the campaign's clearance date
    ]
    path = write_ledger(tmp_path / "有错的台账.xlsx", rows)
    audit_before = AuditEvent.objects.exclude(object_type="registry.importrun").count()

    run = run_import(county_clerk, path, draft)

    assert run.status == ImportStatus.REJECTED
    categories = "收入、住房、饮水、教育、医疗、就业、产业、政策落实、责任落实、基础设施、档案资料、其他"
    assert [(p["sheet"], p["row"], p["column"], p["level"], p["message"]) for p in run.problems] == [
        ("整改台账", 5, "D", "error", "涉及区域：找不到“南山村”"),
        ("整改台账", 6, "E", "error", "户编号 610902001001999999 不存在或不在您的管辖范围内"),
        ("整改台账", 7, "C", "error", f"问题类别“交通”不在代码表中（可填：{categories}）"),
        ("整改台账", 8, "M", "error", "整改时限不能早于发现日期"),
        ("整改台账", 9, "A", "error", "序号“1”重复：第4行和第9行"),
        ("整改台账", 10, "D", "error", "涉及区域：旬阳市城关镇红军村（610981100001）不在您的管辖范围内"),
        ("整改台账", 11, "B", "error", run.problems[6]["message"]),
        ("整改台账", 12, "M", "error", "整改时限不能晚于专项“2026年集中排查”的清零时限 2026-12-31"),
    ]
    assert run.problems[6]["message"].startswith("问题来源：无法识别的取值：路边听说（可填：")
    assert run.error_count == 8
    assert not Problem.objects.exists()
    assert not ProblemEvent.objects.exists()
    assert AuditEvent.objects.exclude(object_type="registry.importrun").count() == audit_before
    draft.refresh_from_db()
    assert draft.file_sha256 == ""
    # The clerk gets the ledger back with the bad cells marked and a 错误说明 column.
    annotated = importing.errors_path(run)
    assert annotated is not None
    sheet = openpyxl.load_workbook(annotated)["整改台账"]
    assert sheet["N3"].value == "错误说明"
    assert sheet["N5"].value == "D列：涉及区域：找不到“南山村”"
    assert sheet["D5"].fill.fgColor.rgb.endswith("FFC7CE")


def test_missing_required_column_is_a_header_error(
    draft: ProblemList, county_clerk: User, tmp_path: Path
) -> None:
    header = tuple(name for name in HEADER if name != "责任单位")
    rows = [tuple(value for name, value in zip(HEADER, GOOD_ROWS[0], strict=True) if name != "责任单位")]
    path = write_ledger(tmp_path / "缺列.xlsx", rows, header=header)

    run = run_import(county_clerk, path, draft)

    assert run.status == ImportStatus.REJECTED
    assert [(p["row"], p["column"], p["message"]) for p in run.problems] == [(3, "", "缺少必填列“责任单位”")]
    assert not Problem.objects.exists()


def test_missing_place_columns_is_a_header_error(
    draft: ProblemList, county_clerk: User, tmp_path: Path
) -> None:
    drop = {"涉及村", "户编号"}
    header = tuple(name for name in HEADER if name not in drop)
    rows = [tuple(value for name, value in zip(HEADER, GOOD_ROWS[1], strict=True) if name not in drop)]
    path = write_ledger(tmp_path / "缺区域.xlsx", rows, header=header)

    run = run_import(county_clerk, path, draft)

    assert [(p["row"], p["message"]) for p in run.problems] == [
        (3, "缺少必填列“涉及区域”：须有“涉及区域”（或“县区”“乡镇”“村”）列，或“户编号”列")
    ]


def test_empty_ledger_is_an_error(draft: ProblemList, county_clerk: User, tmp_path: Path) -> None:
    run = run_import(county_clerk, write_ledger(tmp_path / "空.xlsx", []), draft)

    assert run.status == ImportStatus.REJECTED
    assert [(p["row"], p["column"], p["message"]) for p in run.problems] == [(0, "", "文件中没有数据行")]


def test_place_split_over_columns_and_ambiguous_names(
    draft: ProblemList, county_clerk: User, tmp_path: Path, regions: Any
) -> None:
    from bangfu.regions.models import Region

    # A second 东关村, under 五里镇: the bare name is now ambiguous, the town's name tells them apart.
    Region.objects.create(code="610902100002", name="东关村", parent=regions["610902100000"])
    header = ("序号", "问题类别", "乡镇", "村", "问题描述", "责任单位", "整改时限")
    rows = [
        (1, "住房", "老城街道", "东关村", "甲", "单位", "2026-06-30"),
        (2, "住房", "五里镇", "东关村", "乙", "单位", "2026-06-30"),
        (3, "住房", "", "东关村", "丙", "单位", "2026-06-30"),
    ]
    path = write_ledger(tmp_path / "分列.xlsx", rows, header=header)

    run = run_import(county_clerk, path, draft)

    assert [(p["row"], p["column"], p["message"]) for p in run.problems] == [
        (
            6,
            "D",
            "涉及区域：有多处名为“东关村”：汉滨区老城街道东关村（610902001001）、汉滨区五里镇东关村（610902100002）；"
            "请写上乡镇或县区，或填写区划代码",
        )
    ]
    rows.pop()
    path = write_ledger(tmp_path / "分列2.xlsx", rows, header=header)
    run = run_import(county_clerk, path, draft)
    assert run.status == ImportStatus.SUCCEEDED, [p["message"] for p in run.problems]
    assert set(Problem.objects.values_list("ledger_number", "region_code")) == {
        ("1", "610902001001"),
        ("2", "610902100002"),
    }


def test_issued_list_and_other_roles_are_refused(
    draft: ProblemList, county_clerk: User, village_cadre: User, tmp_path: Path
) -> None:
    path = good_ledger(tmp_path)
    with pytest.raises(services.PermissionDenied):
        run_import(village_cadre, path, draft)
    run_import(county_clerk, path, draft)
    services.issue_list(problem_list=draft, by=county_clerk, on=TODAY)
    draft.refresh_from_db()
    with pytest.raises(services.RectificationRefused):
        run_import(county_clerk, good_ledger(tmp_path), draft)


# --- the command --------------------------------------------------------------------------------------------


def test_command_exit_codes(draft: ProblemList, county_clerk: User, tmp_path: Path) -> None:
    good = good_ledger(tmp_path)
    bad = write_ledger(tmp_path / "bad.xlsx", [(*GOOD_ROWS[0][:2], "交通", *GOOD_ROWS[0][3:])])
    out = tmp_path / "out.xlsx"

    with pytest.raises(CommandError) as rejected:
        call_command("import_problems", str(bad), list_id=draft.pk, user="county_clerk", errors=out)
    assert rejected.value.returncode == 1
    assert out.is_file()
    with pytest.raises(CommandError) as missing_file:
        call_command("import_problems", str(tmp_path / "nope.xlsx"), list_id=draft.pk, user="county_clerk")
    assert missing_file.value.returncode == 2
    with pytest.raises(CommandError) as missing_list:
        call_command("import_problems", str(good), list_id=draft.pk + 100, user="county_clerk")
    assert missing_list.value.returncode == 2
    with pytest.raises(CommandError) as missing_user:
        call_command("import_problems", str(good), list_id=draft.pk, user="nobody")
    assert missing_user.value.returncode == 2

    call_command("import_problems", str(good), list_id=draft.pk, user="county_clerk", dry_run=True)
    assert not Problem.objects.exists()
    call_command("import_problems", str(good), list_id=draft.pk, user="county_clerk")
    assert Problem.objects.filter(problem_list=draft).count() == 4
    call_command("import_problems", str(good), list_id=draft.pk, user="county_clerk")
    assert Problem.objects.filter(problem_list=draft).count() == 4


def test_command_prints_located_problems(
    draft: ProblemList, county_clerk: User, tmp_path: Path, capsys: Any
) -> None:
    bad = write_ledger(tmp_path / "bad.xlsx", [(*GOOD_ROWS[0][:2], "交通", *GOOD_ROWS[0][3:])])
    with pytest.raises(CommandError):
        call_command("import_problems", str(bad), list_id=draft.pk, user="county_clerk")
    printed = capsys.readouterr().out
    assert "[错误] 工作表 整改台账 第4行 C列：问题类别“交通”不在代码表中" in printed


# --- the pages ----------------------------------------------------------------------------------------------


def test_upload_page_end_to_end(
    draft: ProblemList,
    county_clerk: User,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client()
    client.force_login(county_clerk)
    url = reverse("rectification:list-import", args=[draft.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "导入整改台账" in page.content.decode()

    upload = SimpleUploadedFile("台账.xlsx", good_ledger(tmp_path).read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": upload})
    run = ImportRun.objects.get(kind=importing.KIND)
    assert response.status_code == 302
    assert response["Location"] == reverse("rectification:import-detail", args=[run.pk])
    run.refresh_from_db()
    assert run.status == ImportStatus.SUCCEEDED
    assert problem_rows(draft) == EXPECTED

    detail = client.get(response["Location"])
    text = detail.content.decode()
    assert detail.status_code == 200
    assert "导入成功" in text
    assert "住房安全等级未鉴定" in text
    fragment = client.get(response["Location"], headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert 'hx-trigger="every 1s"' not in fragment.content.decode()
    assert client.get(reverse("rectification:import-errors", args=[run.pk])).status_code == 404


def test_upload_page_gives_the_annotated_ledger_back(
    draft: ProblemList,
    county_clerk: User,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client()
    client.force_login(county_clerk)
    bad = write_ledger(tmp_path / "bad.xlsx", [(*GOOD_ROWS[0][:2], "交通", *GOOD_ROWS[0][3:])])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("rectification:list-import", args=[draft.pk]),
            {"file": SimpleUploadedFile("bad.xlsx", bad.read_bytes())},
        )
    run = ImportRun.objects.get(kind=importing.KIND)
    detail = client.get(response["Location"]).content.decode()
    assert "未写入任何数据" in detail
    assert "问题类别“交通”不在代码表中" in detail
    download = client.get(reverse("rectification:import-errors", args=[run.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment; filename*=utf-8''bad_")
    assert not Problem.objects.exists()


def test_upload_page_of_an_issued_list_has_no_form(
    draft: ProblemList, county_clerk: User, tmp_path: Path
) -> None:
    run_import(county_clerk, good_ledger(tmp_path), draft)
    services.issue_list(problem_list=draft, by=county_clerk, on=TODAY)
    client = Client()
    client.force_login(county_clerk)
    url = reverse("rectification:list-import", args=[draft.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert "已交办，不能再导入问题" in page.content.decode()
    assert 'enctype="multipart/form-data"' not in page.content.decode()
    upload = SimpleUploadedFile("台账.xlsx", good_ledger(tmp_path).read_bytes())
    assert client.post(url, {"file": upload}).status_code == 409
    assert ImportRun.objects.filter(kind=importing.KIND).count() == 1

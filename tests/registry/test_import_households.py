"""Importing households from a workbook in the national layout (``registry.importing``).

The workbooks are written with xlsxwriter the way real ones look: title rows, a two-row header with group
labels merged over columns and names merged down over both header rows, household cells merged over the
members' rows, dates typed every way a clerk types them, full-width digits, an unknown column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from django.db.models import Model

from bangfu.accounts.models import User
from bangfu.audit.chain import verify_chain
from bangfu.audit.models import AuditEvent
from bangfu.core.crypto import blind_index
from bangfu.core.masking import mask_id_number
from bangfu.registry import importing
from bangfu.registry.models import (
    Employment,
    Household,
    HouseholdYear,
    ImportRun,
    ImportStatus,
    IncomeLine,
    IncomeStatement,
    IndicatorObservation,
    Member,
    ProgrammeEnrolment,
)
from tests.factories import HouseholdFactory, MemberFactory, synthetic_id_number

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 3, 20)
EXCEL_EPOCH = dt.date(1899, 12, 30)

# People of the messy workbook; the check digit of BAD_DAUGHTER is wrong (it should be 4).
HEAD_1 = synthetic_id_number(birth=dt.date(1968, 4, 12), sex="male", serial=1)
WIFE_1 = synthetic_id_number(birth=dt.date(1970, 3, 5), sex="female", serial=2)
SON_1 = synthetic_id_number(birth=dt.date(2001, 6, 15), sex="male", serial=3)
HEAD_2 = synthetic_id_number(birth=dt.date(1965, 1, 5), sex="male", serial=4)
DAUGHTER_2 = synthetic_id_number(birth=dt.date(1990, 2, 3), sex="female", serial=5)
BAD_DAUGHTER_2 = DAUGHTER_2[:17] + "0"
WIFE_3 = synthetic_id_number(birth=dt.date(1975, 7, 8), sex="female", serial=6)
DAUGHTER_3 = synthetic_id_number(birth=dt.date(2005, 9, 10), sex="female", serial=7)
HEAD_4 = synthetic_id_number(birth=dt.date(1980, 11, 11), sex="male", serial=8)
NIECE_4 = synthetic_id_number(birth=dt.date(2010, 12, 1), sex="female", serial=9)

NUMBER_1, NUMBER_2, NUMBER_3 = "610902001001000001", "610902001001000002", "610902001001000003"
NUMBER_4 = "610902001002000004"

# The column names of row 4; "帮扶责任人" and "核查日期" sit in cells merged down over rows 3–4.
NAMES = [
    "户编号",
    "行政村",
    "自然村（组）",
    "联系电话",
    "家庭人口数",
    "姓名",
    "身份证号码",
    "性别",
    "出生日期",
    "与户主关系",
    "民族",
    "文化程度",
    "是否参加城乡居民基本医疗保险",
    "工资性收入",
    "转移性收入",
    "人均纯收入",
]


def serial(day: dt.date) -> int:
    """The Excel serial number of a day, as a clerk's numeric date cell holds it."""
    return (day - EXCEL_EPOCH).days


def messy_rows(*, fixed: bool) -> list[list[Any]]:
    """The data rows (Excel rows 5–13), columns A–R; ``fixed`` corrects the three errors."""
    head_date = serial(dt.date(1968, 4, 12))
    niece = ["赵小红", NIECE_4, "女", "2010-12-01"] if fixed else ["张小明", SON_1, "男", "2001-06-15"]
    # A table of cells, one row per line as in the sheet, so the formatter is told to leave it alone.
    # fmt: off
    rows: list[list[Any]] = [
        # household 1: 户编号 and 行政村 merged over its rows, phone and size in full-width digits
        [NUMBER_1, "东关村", "一组", "１３９１２３４５６７８", "３",
         "张大山", HEAD_1, "男", head_date, "户主", "汉", "初中", "是",
         "24,000元", "1200", "8400", "王干部", dt.date(2026, 3, 1)],
        [NUMBER_1, "东关村", "一组", None, "３",
         "刘秀英", WIFE_1, "女", "1970年3月5日", "妻", "汉族", "小学", "√",
         None, None, None, None, None],
        [NUMBER_1, "东关村", "一组", None, "３",
         "张小明", SON_1, "男", "2001.06.15", "儿子", "汉族", "高中", "1",
         None, None, None, None, None],
        # household 2: the daughter's ID has a wrong check digit
        [NUMBER_2, "东关村", "二组", "0915-3212345", 2,
         "李四", HEAD_2, "男", "1965-1-5", "户主", "汉族", "小学", "是",
         "10000", None, None, None, "202603"],
        [NUMBER_2, "东关村", "二组", None, 2,
         "李梅", DAUGHTER_2 if fixed else BAD_DAUGHTER_2, "女", "1990/2/3", "之女", "汉族", "大专", "是",
         None, None, None, None, None],
        # household 3: nobody is the head
        [NUMBER_3, "东关村", "二组", None, 2,
         "王芳", WIFE_3, "女", "19750708", "户主" if fixed else "配偶", "汉族", "初中", "是",
         None, None, None, None, None],
        [NUMBER_3, "东关村", "二组", None, 2,
         "王小丽", DAUGHTER_3, "女", "2005-09-10", "之女", "汉族", "高中", "是",
         None, None, None, None, None],
        # household 4, in 西关村: its second member is household 1's son
        [NUMBER_4, "西关村", "三组", "13800001111", 2,
         "赵强", HEAD_4, "男", "1980-11-11", "户主", "汉族", "初中", "是",
         None, None, None, None, None],
        [NUMBER_4, "西关村", "三组", None, 2,
         *niece, "其他", "汉族", "小学", "是",
         None, None, None, None, None],
    ]
    # fmt: on
    assert all(len(row) == 18 for row in rows)
    return rows


def write_messy(path: Path, *, fixed: bool = False) -> Path:
    """The workbook of the issue's "Done when": title rows, a two-row merged header, merged household cells,
    mixed date forms (an Excel serial, 1970年3月5日, 2001.06.15, 1965-1-5, 1990/2/3, 19750708, a date cell,
    202603), full-width digits, an unknown column — and, unless ``fixed``, a bad check digit, a household
    without a head and a person in two households."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Sheet1")
    sheet.merge_range("A1:R1", "安康市汉滨区2025年防返贫监测农户信息表")
    sheet.merge_range("A2:R2", "填报单位：汉滨区农业农村局    填报日期：2026年3月")
    sheet.merge_range("A3:E3", "户基本信息")
    sheet.merge_range("F3:M3", "家庭成员信息")
    sheet.merge_range("N3:P3", "收入情况（元）")
    sheet.merge_range("Q3:Q4", "帮扶责任人")
    sheet.merge_range("R3:R4", "核查日期")
    sheet.write_row("A4", NAMES)
    text = workbook.add_format({"num_format": "@"})
    for offset, row in enumerate(messy_rows(fixed=fixed)):
        number = 4 + offset
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(number, col, value, workbook.add_format({"num_format": "yyyy-mm-dd"}))
            elif isinstance(value, str):
                sheet.write_string(number, col, value, text)
            else:
                sheet.write_number(number, col, value)
    # 户编号 and 行政村 of household 1 merged over its three rows (the value only in the first cell).
    sheet.merge_range("A5:A7", NUMBER_1)
    sheet.merge_range("B5:B7", "东关村")
    workbook.close()
    return path


def write_table(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    """A plain one-row-header workbook; ``None`` leaves a cell empty, strings stay text."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Sheet1")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, headers)
    for number, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(number, col, value)
            elif isinstance(value, dt.date):
                sheet.write_datetime(number, col, value, date_format)
            else:
                sheet.write(number, col, value)
    workbook.close()
    return path


def run_import(
    user: User, path: Path, *, dry_run: bool = False, on: dt.date = ON, year: int | None = None
) -> ImportRun:
    run = importing.prepare_import(by=user, path=path, file_name=path.name, dry_run=dry_run, year=year)
    return importing.import_households(run=run, on=on)


def located(run: ImportRun) -> list[tuple[int, str, str, str]]:
    return [(p["row"], p["column"], p["level"], p["message"]) for p in run.problems]


def registry_counts() -> dict[str, int]:
    models: list[type[Model]] = [
        Household,
        Member,
        IncomeStatement,
        IncomeLine,
        IndicatorObservation,
        ProgrammeEnrolment,
        Employment,
        HouseholdYear,
    ]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture(autouse=True)
def _media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


# --- the "Done when" --------------------------------------------------------------------------------


def test_messy_workbook_is_rejected_with_exactly_its_problems_located(
    tmp_path: Path, county_clerk: User
) -> None:
    run = run_import(county_clerk, write_messy(tmp_path / "农户信息.xlsx"))

    assert run.status == ImportStatus.REJECTED
    assert located(run) == [
        (4, "Q", "warning", "未识别的列“帮扶责任人”，该列不会导入"),
        (9, "G", "error", "身份证号码校验码错误，应为4，实际为0"),
        (10, "J", "error", "该户没有户主（与户主关系须有一人为“户主”）"),
        (
            13,
            "G",
            "error",
            f"同一人不能同时是两户的成员：身份证号码 {mask_id_number(SON_1)} 在第7行属于"
            f"户编号 {NUMBER_1}（户主张大山），本行又属于户编号 {NUMBER_4}（户主赵强）",
        ),
    ]
    assert all(p["sheet"] == "Sheet1" for p in run.problems)
    assert (run.error_count, run.warning_count) == (3, 1)
    assert (run.total_rows, run.processed_rows) == (9, 9)
    assert run.summary == {}


def test_a_rejected_import_writes_nothing_but_its_own_record(tmp_path: Path, county_clerk: User) -> None:
    run = run_import(county_clerk, write_messy(tmp_path / "农户信息.xlsx"))

    assert set(registry_counts().values()) == {0}
    event = AuditEvent.objects.get()
    assert (event.object_type, event.object_id) == ("registry.importrun", str(run.pk))
    assert event.data["after"]["status"] == "rejected"
    assert event.data["after"]["file_sha256"] == run.file_sha256


def test_the_fixed_workbook_imports_with_exact_counts(tmp_path: Path, county_clerk: User) -> None:
    run = run_import(county_clerk, write_messy(tmp_path / "农户信息.xlsx", fixed=True))

    assert run.status == ImportStatus.SUCCEEDED
    assert located(run) == [(4, "Q", "warning", "未识别的列“帮扶责任人”，该列不会导入")]
    assert run.summary == {
        "households_created": 4,
        "households_updated": 0,
        "households_unchanged": 0,
        "members_created": 9,
        "members_updated": 0,
        "members_left": 0,
        "statements": 2,
        "indicators": 0,
        "programmes_started": 0,
        "programmes_ended": 0,
        "programmes_changed": 0,
        "employments_created": 0,
        "employments_updated": 0,
        "employments_ended": 0,
        "household_years": 0,
        "year": 2025,
    }
    assert registry_counts() == {
        "Household": 4,
        "Member": 9,
        "IncomeStatement": 2,
        "IncomeLine": 3,
        "IndicatorObservation": 0,
        "ProgrammeEnrolment": 0,
        "Employment": 0,
        "HouseholdYear": 0,
    }
    # One event per household and one for the run, on an intact chain.
    assert sorted(AuditEvent.objects.values_list("object_type", flat=True)) == [
        *["registry.household"] * 4,
        "registry.importrun",
    ]
    assert verify_chain().ok


def test_imported_rows_are_the_rows_the_services_keep(tmp_path: Path, county_clerk: User) -> None:
    run_import(county_clerk, write_messy(tmp_path / "农户信息.xlsx", fixed=True))

    household = Household.objects.get(household_number=NUMBER_1)
    assert (household.region_code, household.natural_village, household.phone) == (
        "610902001001",
        "一组",
        "13912345678",
    )
    assert household.phone_index == blind_index("13912345678", kind="phone")
    assert household.source == "import"
    members = {m.name: m for m in Member.objects.filter(household=household)}
    assert sorted(members) == ["刘秀英", "张大山", "张小明"]
    wife = members["刘秀英"]
    assert (wife.id_number, wife.sex, wife.birth_date, wife.relation) == (
        WIFE_1,
        "female",
        dt.date(1970, 3, 5),
        "spouse",
    )
    assert (wife.ethnicity, wife.education, wife.resident_medical_insurance) == ("汉族", "primary", True)
    assert wife.id_number_index == blind_index(WIFE_1, kind="id_number")
    assert (wife.region_code, wife.joined_on, wife.left_on) == ("610902001001", None, None)
    assert members["张大山"].ethnicity == "汉族"  # typed as "汉"
    assert members["张小明"].birth_date == dt.date(2001, 6, 15)
    statement = IncomeStatement.objects.get(household=household)
    assert (statement.period_kind, statement.period_start, statement.period_end) == (
        "calendar_year",
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
    )
    assert (statement.household_size, statement.wages, statement.transfers, statement.business) == (
        3,
        24000,
        1200,
        0,
    )
    assert (statement.net_income, statement.net_income_per_capita) == (25200, 8400)
    assert sorted(statement.lines.values_list("component", "amount", "region_code")) == [
        ("transfers", 1200, "610902001001"),
        ("wages", 24000, "610902001001"),
    ]
    assert Household.objects.get(household_number=NUMBER_4).region_code == "610902001002"
    assert Household.objects.get(household_number=NUMBER_2).phone == "09153212345"


def test_importing_the_same_file_again_changes_nothing(tmp_path: Path, county_clerk: User) -> None:
    path = write_messy(tmp_path / "农户信息.xlsx", fixed=True)
    run_import(county_clerk, path)
    counts = registry_counts()
    stamps = sorted(Household.objects.values_list("id", "updated_at"))
    member_stamps = sorted(Member.objects.values_list("id", "updated_at"))
    events = AuditEvent.objects.count()

    again = run_import(county_clerk, path, on=ON + dt.timedelta(days=1))

    assert again.status == ImportStatus.SUCCEEDED
    assert again.summary["households_unchanged"] == 4
    assert {
        k: v for k, v in again.summary.items() if k not in {"households_unchanged", "year"}
    } == dict.fromkeys([k for k in again.summary if k not in {"households_unchanged", "year"}], 0)
    assert registry_counts() == counts
    assert sorted(Household.objects.values_list("id", "updated_at")) == stamps
    assert sorted(Member.objects.values_list("id", "updated_at")) == member_stamps
    assert AuditEvent.objects.count() == events + 1
    assert AuditEvent.objects.order_by("-seq").first().object_type == "registry.importrun"  # type: ignore[union-attr]


# --- the errors workbook ----------------------------------------------------------------------------------


RED = "FFC7CE"
YELLOW = "FFEB9C"


def fill(cell: Any) -> str:
    """The cell's solid fill colour (RRGGBB), ``""`` when it has none."""
    return str(cell.fill.fgColor.rgb)[-6:] if cell.fill.patternType == "solid" else ""


def test_errors_workbook_marks_the_bad_cells_and_explains_each_row(
    tmp_path: Path, county_clerk: User
) -> None:
    run = run_import(county_clerk, write_messy(tmp_path / "农户信息.xlsx"))

    path = importing.errors_path(run)
    assert path is not None
    sheet = openpyxl.load_workbook(path)["Sheet1"]
    explanation = sheet.max_column
    assert sheet.cell(3, explanation).value == "错误说明"
    assert fill(sheet["G9"]) == RED
    assert fill(sheet["J10"]) == RED
    assert fill(sheet["G13"]) == RED
    assert fill(sheet["G8"]) == ""
    assert sheet.cell(9, explanation).value == "G列：身份证号码校验码错误，应为4，实际为0"
    assert sheet.cell(10, explanation).value == "J列：该户没有户主（与户主关系须有一人为“户主”）"
    assert sheet.cell(8, explanation).value is None
    # The values are kept as read: the ID stays text, the title row stays.
    assert sheet["G5"].value == HEAD_1
    assert sheet["A1"].value == "安康市汉滨区2025年防返贫监测农户信息表"


def test_a_clean_import_writes_no_errors_workbook(tmp_path: Path, county_clerk: User) -> None:
    rows = [[NUMBER_1, "610902001001", "张大山", HEAD_1, "户主"]]
    run = run_import(
        county_clerk,
        write_table(tmp_path / "a.xlsx", ["户编号", "行政区划代码", "姓名", "证件号码", "与户主关系"], rows),
    )

    assert run.status == ImportStatus.SUCCEEDED
    assert (run.problems, run.errors_file, importing.errors_path(run)) == ([], "", None)


# --- the rules, one by one ----------------------------------------------------------------------------------

BASIC = ["户编号", "行政区划代码", "姓名", "证件号码", "与户主关系"]


def test_a_person_already_in_another_household_is_an_error_naming_both(
    tmp_path: Path, county_clerk: User
) -> None:
    other = HouseholdFactory(household_number="610902001001000099")
    MemberFactory(household=other, name="孙老大", relation="head")
    MemberFactory(
        household=other,
        name="孙小二",
        relation="son",
        id_number=HEAD_4,
        id_number_index=blind_index(HEAD_4, kind="id_number"),
        birth_date=dt.date(1980, 11, 11),
    )
    rows = [[NUMBER_4, "610902001002", "赵强", HEAD_4, "户主"]]

    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", BASIC, rows))

    assert located(run) == [
        (
            2,
            "D",
            "error",
            f"同一人不能同时是两户的成员：身份证号码 {mask_id_number(HEAD_4)} 已是户编号 610902001001000099"
            f"（东关村，户主孙老大）的在户成员，本表又将其列入户编号 {NUMBER_4}（户主赵强）",
        )
    ]
    assert Household.objects.count() == 1


def test_outside_the_users_scope_only_the_county_of_the_other_household_is_named(
    tmp_path: Path, town_officer: User
) -> None:
    elsewhere = HouseholdFactory(household_number="610902100001000001", region_code="610902100001")
    MemberFactory(
        household=elsewhere,
        region_code="610902100001",
        relation="head",
        id_number=HEAD_4,
        id_number_index=blind_index(HEAD_4, kind="id_number"),
        birth_date=dt.date(1980, 11, 11),
    )
    rows = [[NUMBER_4, "610902001002", "赵强", HEAD_4, "户主"]]

    run = run_import(town_officer, write_table(tmp_path / "a.xlsx", BASIC, rows))

    assert [p[3] for p in located(run)] == [
        f"同一人不能同时是两户的成员：身份证号码 {mask_id_number(HEAD_4)} "
        f"已是汉滨区的其他村（不在您的管辖范围内）的在户成员，本表又将其列入户编号 {NUMBER_4}（户主赵强）"
    ]


def test_a_village_outside_the_users_scope_is_rejected_naming_it(tmp_path: Path, county_clerk: User) -> None:
    rows = [
        ["610981100001000001", "红军村", "钱一", HEAD_1, "户主"],
        [NUMBER_2, "东关村", "李四", HEAD_2, "户主"],
    ]
    run = run_import(
        county_clerk,
        write_table(tmp_path / "a.xlsx", ["户编号", "村", "姓名", "证件号码", "与户主关系"], rows),
    )

    assert located(run) == [(2, "B", "error", "城关镇红军村（610981100001）不在您的管辖范围内，不能导入")]
    assert Household.objects.count() == 0


def test_a_village_code_outside_the_scope_is_rejected_too(tmp_path: Path, town_officer: User) -> None:
    rows = [["610902100001000001", "610902100001", "钱一", HEAD_1, "户主"]]
    run = run_import(town_officer, write_table(tmp_path / "a.xlsx", BASIC, rows))

    assert located(run) == [(2, "B", "error", "五里镇五里村（610902100001）不在您的管辖范围内，不能导入")]


def test_a_household_number_registered_outside_the_scope_is_refused(
    tmp_path: Path, town_officer: User
) -> None:
    HouseholdFactory(household_number="610902100001000001", region_code="610902100001")
    rows = [["610902100001000001", "610902001001", "钱一", HEAD_1, "户主"]]

    run = run_import(town_officer, write_table(tmp_path / "a.xlsx", BASIC, rows))

    assert located(run) == [(2, "A", "error", "户编号 610902100001000001 已登记在五里村，不在您的管辖范围内")]


def test_family_size_must_match_the_rows(tmp_path: Path, county_clerk: User) -> None:
    rows = [
        [NUMBER_1, "610902001001", "张大山", HEAD_1, "户主", 3],
        [NUMBER_1, "610902001001", "刘秀英", WIFE_1, "配偶", 3],
    ]
    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", [*BASIC, "家庭人口数"], rows))

    assert located(run) == [(2, "F", "error", "家庭人口数填写为3人，但本户在表中有2行成员")]


def test_the_run_counts_only_member_rows_not_blank_rows_or_notes(tmp_path: Path, county_clerk: User) -> None:
    # The progress bar starts from the sheet's height; the run keeps the exact count once the rows are read.
    rows = [
        [NUMBER_1, "610902001001", "张大山", HEAD_1, "户主"],
        [None, None, None, None, None],
        [NUMBER_1, "610902001001", "刘秀英", WIFE_1, "配偶"],
        [None, None, None, None, None],
        ["填表人：李会计", None, None, None, None],
    ]
    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", BASIC, rows))

    assert run.status == ImportStatus.SUCCEEDED
    assert (run.total_rows, run.processed_rows) == (2, 2)
    run.refresh_from_db()
    assert (run.total_rows, run.processed_rows) == (2, 2)


def test_several_heads_are_reported_at_the_households_first_row(tmp_path: Path, county_clerk: User) -> None:
    rows = [
        [NUMBER_1, "610902001001", "张大山", HEAD_1, "户主"],
        [NUMBER_1, "610902001001", "刘秀英", WIFE_1, "本人"],
    ]
    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", BASIC, rows))

    assert located(run) == [(2, "E", "error", "该户有多名户主：张大山、刘秀英")]


def test_id_birth_date_and_sex_are_checked_against_the_row(tmp_path: Path, county_clerk: User) -> None:
    rows = [[NUMBER_1, "610902001001", "张大山", HEAD_1, "户主", "女", "1968-04-13"]]
    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", [*BASIC, "性别", "出生日期"], rows))

    assert located(run) == [
        (2, "F", "error", "性别“女”与身份证号码（第17位）不一致"),
        (2, "G", "error", "出生日期 1968-04-13 与身份证号码中的出生日期 1968-04-12 不一致"),
    ]


def test_an_id_issued_in_another_city_is_a_warning(tmp_path: Path, county_clerk: User) -> None:
    migrant = synthetic_id_number(birth=dt.date(1990, 5, 6), sex="female", serial=11, region_prefix="320582")
    rows = [
        [NUMBER_1, "610902001001", "张大山", HEAD_1, "户主"],
        [NUMBER_1, "610902001001", "陈红", migrant, "配偶"],
    ]

    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", BASIC, rows))

    assert run.status == ImportStatus.SUCCEEDED
    assert located(run) == [(3, "D", "warning", "身份证号码的发证地 320582 不在本村所属的市（6109），请核实")]


def test_household_fields_that_differ_between_rows_are_errors(tmp_path: Path, county_clerk: User) -> None:
    rows = [
        [NUMBER_1, "610902001001", "张大山", HEAD_1, "户主", "一组"],
        [NUMBER_1, "610902001001", "刘秀英", WIFE_1, "配偶", "二组"],
    ]
    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", [*BASIC, "自然村"], rows))

    assert located(run) == [
        (3, "F", "error", "同一户各行的“自然村（组）”不一致：第2行为“一组”，本行为“二组”")
    ]


def test_every_row_that_disagrees_with_its_household_is_reported(tmp_path: Path, county_clerk: User) -> None:
    rows = [
        [NUMBER_1, "610902001001", "张大山", HEAD_1, "户主", "一组"],
        [NUMBER_1, "610902001001", "刘秀英", WIFE_1, "配偶", "二组"],
        [NUMBER_1, "610902001001", "张小明", SON_1, "之子", "二组"],
    ]
    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", [*BASIC, "自然村"], rows))

    assert [(row, column) for row, column, _level, _message in located(run)] == [(3, "F"), (4, "F")]


def test_unreadable_cells_are_located_with_the_column_name(tmp_path: Path, county_clerk: User) -> None:
    rows = [[NUMBER_1, "610902001001", "张大山", HEAD_1, "老大", "2023年13月1日", "3万", "12345"]]
    run = run_import(
        county_clerk, write_table(tmp_path / "a.xlsx", [*BASIC, "核查日期", "工资性收入", "联系电话"], rows)
    )

    problems = located(run)
    assert [(row, column) for row, column, _level, _message in problems] == [
        (2, "E"),
        (2, "F"),
        (2, "G"),
        (2, "H"),
    ]
    assert problems[0][3].startswith("与户主关系：无法识别的取值：老大（可填：")
    assert problems[1][3] == "核查日期：无法识别的日期：2023年13月1日"
    assert problems[2][3] == "工资性收入（元）：金额请以元为单位填写数字，不能带“万”：3万"
    assert problems[3][3] == "联系电话：无法识别的电话号码：12345"


def test_typed_net_income_that_does_not_add_up_is_a_warning_naming_both_figures(
    tmp_path: Path, county_clerk: User
) -> None:
    headers = [*BASIC, "工资性收入", "生产经营性支出", "家庭纯收入", "人均纯收入"]
    rows = [
        [NUMBER_1, "610902001001", "张大山", HEAD_1, "户主", "12000", "500", "12000", "6000"],
        [NUMBER_1, "610902001001", "刘秀英", WIFE_1, "配偶", None, None, None, None],
    ]
    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", headers, rows))

    assert run.status == ImportStatus.SUCCEEDED
    assert located(run) == [
        (2, "H", "warning", "家庭纯收入填写为12,000.00元，按各项收入计算应为11,500.00元；以计算值为准"),
        (
            2,
            "I",
            "warning",
            "人均纯收入填写为6,000.00元，按家庭纯收入11,500.00元、2人计算应为5,750.00元；以计算值为准",
        ),
    ]
    statement = IncomeStatement.objects.get()
    assert (statement.net_income, statement.net_income_per_capita) == (11500, 5750)


def test_every_problem_of_the_file_is_reported_not_only_the_first(tmp_path: Path, county_clerk: User) -> None:
    wrong = [synthetic_id_number(birth=dt.date(1980, 1, 1), sex="male", serial=n) for n in range(30)]
    # Each number with a check character it cannot have.
    wrong = [number[:17] + ("1" if number[17] != "1" else "2") for number in wrong]
    rows = [[f"61090200100100{n:04d}", "610902001001", f"某{n}", wrong[n], "户主"] for n in range(30)]
    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", BASIC, rows))

    assert run.error_count == 30
    assert [p["row"] for p in run.problems] == list(range(2, 32))


# --- what else the layout carries ---------------------------------------------------------------------------

FULL = [
    *BASIC,
    "年度",
    "核查日期",
    "户类型",
    "是否脱贫户",
    "享受低保政策情况",
    "低保类别",
    "务工所在地",
    "务工时间（月）",
    "务工企业名称",
    "就业渠道",
    "工资性收入（元）",
    "收入说明",
    "住房安全鉴定等级",
    "住房出现安全问题",
    "饮水水质达标",
]


def full_rows(*, grade: str = "B", dibao: str = "是", employer: str = "苏州某电子厂") -> list[list[Any]]:
    return [
        [
            NUMBER_1,
            "610902001001",
            "张大山",
            HEAD_1,
            "户主",
            2025,
            "2026-03-01",
            "脱贫户",
            "是",
            dibao,
            "二类",
            "省外",
            9,
            employer,
            "组织化劳务输出",
            "24000",
            "含公益岗工资",
            grade,
            "是" if grade in "CD" else "否",
            "是",
        ],
        [
            NUMBER_1,
            "610902001001",
            "刘秀英",
            WIFE_1,
            "配偶",
            2025,
            "2026-03-01",
            "脱贫户",
            "是",
            "否",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            grade,
            "是" if grade in "CD" else "否",
            "是",
        ],
    ]


def test_indicators_programmes_employment_income_note_and_year_are_recorded(
    tmp_path: Path, county_clerk: User
) -> None:
    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", FULL, full_rows()))

    assert run.status == ImportStatus.SUCCEEDED, run.problems
    household = Household.objects.get()
    head = Member.objects.get(relation="head")
    assert (household.household_type, household.is_exited_poor) == ("exited_poor", True)
    assert sorted(
        IndicatorObservation.objects.values_list("indicator", "value", "is_problem", "observed_on")
    ) == [
        ("housing_grade", "B", False, dt.date(2026, 3, 1)),
        ("water_quality", "met", False, dt.date(2026, 3, 1)),
    ]
    enrolment = ProgrammeEnrolment.objects.get()
    assert (enrolment.kind, enrolment.grade, enrolment.member, enrolment.start_date, enrolment.end_date) == (
        "dibao",
        "二类",
        head,
        dt.date(2026, 3, 1),
        None,
    )
    employment = Employment.objects.get()
    assert (
        employment.member,
        employment.place,
        employment.months,
        employment.employer,
        employment.channel,
    ) == (
        head,
        "out_of_province",
        9,
        "苏州某电子厂",
        "organised",
    )
    assert employment.start_date == dt.date(2025, 1, 1)
    line = IncomeLine.objects.get()
    assert (line.component, line.amount, line.note) == ("wages", 24000, "含公益岗工资")
    year = HouseholdYear.objects.get()
    assert (year.year, year.household_type, year.is_exited_poor, year.relocated, year.size) == (
        2025,
        "exited_poor",
        True,
        False,
        2,
    )


def test_a_changed_file_updates_only_what_changed(tmp_path: Path, county_clerk: User) -> None:
    run_import(county_clerk, write_table(tmp_path / "a.xlsx", FULL, full_rows()))
    household = Household.objects.get()
    before = AuditEvent.objects.count()

    run = run_import(
        county_clerk,
        write_table(tmp_path / "b.xlsx", FULL, full_rows(grade="C", dibao="否", employer="西安某建筑公司")),
        on=ON + dt.timedelta(days=3),
    )

    assert run.summary["households_updated"] == 1
    assert (
        run.summary["indicators"],
        run.summary["programmes_ended"],
        run.summary["employments_updated"],
    ) == (1, 1, 1)
    assert run.summary["members_updated"] == 0
    assert IndicatorObservation.objects.filter(indicator="housing_grade").order_by("id").last().value == "C"  # type: ignore[union-attr]
    assert ProgrammeEnrolment.objects.get().end_date == ON + dt.timedelta(days=3)
    assert Employment.objects.get().employer == "西安某建筑公司"
    event = AuditEvent.objects.filter(object_type="registry.household").order_by("-seq").first()
    assert event is not None
    assert AuditEvent.objects.count() == before + 2
    assert (event.action, event.object_id) == ("update", str(household.pk))
    assert event.data["after"]["indicators"] == {"observed_on": "2026-03-01", "housing_grade": "C"}
    assert event.data["before"]["indicators"] == {"housing_grade": "B"}
    assert event.data["after"]["programmes_ended"] == ["张大山：低保"]


def test_members_missing_from_the_file_leave_and_new_ones_join(tmp_path: Path, county_clerk: User) -> None:
    run_import(
        county_clerk,
        write_table(
            tmp_path / "a.xlsx",
            BASIC,
            [
                [NUMBER_1, "610902001001", "张大山", HEAD_1, "户主"],
                [NUMBER_1, "610902001001", "刘秀英", WIFE_1, "配偶"],
            ],
        ),
    )
    run = run_import(
        county_clerk,
        write_table(
            tmp_path / "b.xlsx",
            BASIC,
            [
                [NUMBER_1, "610902001001", "刘秀英", WIFE_1, "户主"],
                [NUMBER_1, "610902001001", "张小明", SON_1, "之子"],
            ],
        ),
        on=ON + dt.timedelta(days=1),
    )

    assert run.status == ImportStatus.SUCCEEDED, run.problems
    assert (run.summary["members_created"], run.summary["members_updated"], run.summary["members_left"]) == (
        1,
        1,
        1,
    )
    left = Member.objects.get(name="张大山")
    assert (left.left_on, left.left_reason, left.relation) == (ON + dt.timedelta(days=1), "other", "head")
    assert Member.objects.get(name="刘秀英").relation == "head"
    son = Member.objects.get(name="张小明")
    assert son.joined_on == ON + dt.timedelta(days=1)
    event = AuditEvent.objects.filter(object_type="registry.household").order_by("-seq").first()
    assert event is not None
    assert event.data["after"]["members_left"] == ["张大山"]
    assert event.data["after"]["members_joined"] == ["张小明"]
    assert event.data["after"]["members_updated"] == [
        {"name": "刘秀英", "changes": {"relation": ["spouse", "head"]}}
    ]


def test_a_person_moving_between_two_households_of_the_file_leaves_one_and_joins_the_other(
    tmp_path: Path, county_clerk: User
) -> None:
    run_import(
        county_clerk,
        write_table(
            tmp_path / "a.xlsx",
            BASIC,
            [
                [NUMBER_1, "610902001001", "张大山", HEAD_1, "户主"],
                [NUMBER_1, "610902001001", "张小明", SON_1, "之子"],
                [NUMBER_2, "610902001001", "李四", HEAD_2, "户主"],
            ],
        ),
    )
    run = run_import(
        county_clerk,
        write_table(
            tmp_path / "b.xlsx",
            BASIC,
            [
                [NUMBER_1, "610902001001", "张大山", HEAD_1, "户主"],
                [NUMBER_2, "610902001001", "李四", HEAD_2, "户主"],
                [NUMBER_2, "610902001001", "张小明", SON_1, "女婿"],
            ],
        ),
    )

    assert run.status == ImportStatus.SUCCEEDED, run.problems
    moved = Member.objects.filter(name="张小明").order_by("id")
    assert [(m.household.household_number, m.left_reason, m.relation) for m in moved] == [
        (NUMBER_1, "moved_out", "son"),
        (NUMBER_2, "", "son_in_law"),
    ]


def test_rows_without_a_household_number_group_under_their_head(tmp_path: Path, county_clerk: User) -> None:
    rows = [
        ["东关村", "张大山", HEAD_1, "户主"],
        ["东关村", "刘秀英", WIFE_1, "配偶"],
        ["东关村", "李四", HEAD_2, "户主"],
    ]
    run = run_import(
        county_clerk, write_table(tmp_path / "a.xlsx", ["行政村", "姓名", "证件号码", "与户主关系"], rows)
    )

    assert run.summary["households_created"] == 2
    assert sorted(Household.objects.values_list("household_number", flat=True)) == ["", ""]
    again = run_import(county_clerk, tmp_path / "a.xlsx")
    assert again.summary["households_unchanged"] == 2


def test_a_dry_run_checks_and_counts_without_writing(tmp_path: Path, county_clerk: User) -> None:
    run = run_import(county_clerk, write_messy(tmp_path / "a.xlsx", fixed=True), dry_run=True)

    assert run.status == ImportStatus.CHECKED
    assert run.summary["households_created"] == 4
    assert set(registry_counts().values()) == {0}
    assert list(AuditEvent.objects.values_list("object_type", flat=True)) == ["registry.importrun"]


def test_the_default_year_comes_from_the_option(tmp_path: Path, county_clerk: User) -> None:
    rows = [[NUMBER_1, "610902001001", "张大山", HEAD_1, "户主", "5000"]]
    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", [*BASIC, "工资性收入"], rows), year=2024)

    assert IncomeStatement.objects.get().period_start == dt.date(2024, 1, 1)
    assert HouseholdYear.objects.get().year == 2024
    assert run.summary["year"] == 2024


# --- the run ------------------------------------------------------------------------------------------------


def test_a_user_who_may_not_import_cannot_start_a_run(tmp_path: Path, village_cadre: User) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="您没有导入农户信息的权限"):
        importing.prepare_import(
            by=village_cadre, path=write_messy(tmp_path / "a.xlsx"), file_name="a.xlsx", dry_run=False
        )
    assert ImportRun.objects.count() == 0


def test_an_unreadable_file_is_rejected_with_the_reason(tmp_path: Path, county_clerk: User) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("这不是表格")

    run = run_import(county_clerk, path)

    assert run.status == ImportStatus.REJECTED
    assert located(run) == [
        (
            0,
            "",
            "error",
            "无法读取文件“notes.xlsx”：请使用Excel（.xlsx、.xls）或WPS、OpenOffice（.ods）表格文件",
        )
    ]


def test_an_unexpected_failure_marks_the_run_failed_and_writes_nothing(
    tmp_path: Path, county_clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    import python_calamine

    class BrokenDisk:
        @classmethod
        def from_path(cls, path: object) -> None:
            raise RuntimeError("读盘失败")

    path = write_messy(tmp_path / "a.xlsx", fixed=True)
    run = importing.prepare_import(by=county_clerk, path=path, file_name="a.xlsx", dry_run=False)
    monkeypatch.setattr(python_calamine, "CalamineWorkbook", BrokenDisk)

    run = importing.import_households(run=run, on=ON)

    assert run.status == ImportStatus.FAILED
    assert located(run) == [(0, "", "error", "系统错误，导入未完成，未写入任何数据：RuntimeError: 读盘失败")]
    assert set(registry_counts().values()) == {0}


def test_start_import_runs_the_task_once_the_transaction_commits(
    tmp_path: Path, county_clerk: User, django_capture_on_commit_callbacks: Any
) -> None:
    path = write_messy(tmp_path / "a.xlsx", fixed=True)
    with django_capture_on_commit_callbacks(execute=True):
        run = importing.start_import(by=county_clerk, path=path, file_name="农户信息.xlsx", dry_run=False)
        assert run.status == ImportStatus.PENDING

    run.refresh_from_db()
    assert run.status == ImportStatus.SUCCEEDED
    assert (run.file_name, run.region_code, run.created_by) == ("农户信息.xlsx", "610902000000", county_clerk)
    assert Path(importing.stored_path(run)).read_bytes() == path.read_bytes()


def test_the_task_does_nothing_for_a_run_that_already_finished(tmp_path: Path, county_clerk: User) -> None:
    from bangfu.registry.tasks import run_import as task

    run = run_import(county_clerk, write_messy(tmp_path / "a.xlsx", fixed=True))
    counts, events = registry_counts(), AuditEvent.objects.count()

    result = task.call(run.pk)

    assert result == "succeeded"
    assert (registry_counts(), AuditEvent.objects.count()) == (counts, events)


def test_location_text_reads_as_the_cli_prints_it() -> None:
    assert (
        importing.location_text({"sheet": "Sheet1", "row": 12, "column": "F"}) == "工作表 Sheet1 第12行 F列"
    )
    assert importing.location_text({"sheet": "Sheet1", "row": 4, "column": ""}) == "工作表 Sheet1 第4行"
    assert importing.location_text({"sheet": "", "row": 0, "column": ""}) == ""


def test_the_same_id_twice_in_one_household_is_located_at_the_second_row(
    tmp_path: Path, county_clerk: User
) -> None:
    rows = [
        [NUMBER_1, "610902001001", "张大山", HEAD_1, "户主"],
        [NUMBER_1, "610902001001", "刘秀英", WIFE_1, "配偶"],
        [NUMBER_1, "610902001001", "刘秀", WIFE_1, "之女"],
    ]
    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", BASIC, rows))

    assert located(run) == [
        (4, "D", "error", f"同一身份证号码 {mask_id_number(WIFE_1)} 在本户出现两次：第3行刘秀英、本行刘秀")
    ]


def test_a_household_number_registered_in_another_village_is_refused(
    tmp_path: Path, county_clerk: User
) -> None:
    HouseholdFactory(household_number=NUMBER_1, region_code="610902001002")
    rows = [[NUMBER_1, "610902001001", "张大山", HEAD_1, "户主"]]

    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", BASIC, rows))

    assert located(run) == [
        (
            2,
            "A",
            "error",
            f"户编号 {NUMBER_1} 已登记在西关村，与本表所填的村不一致；迁往他村请在系统中办理",
        )
    ]


def test_a_closed_household_is_not_imported_again(tmp_path: Path, county_clerk: User) -> None:
    HouseholdFactory(household_number=NUMBER_1, status="closed", closed_on=dt.date(2025, 5, 1))
    rows = [[NUMBER_1, "610902001001", "张大山", HEAD_1, "户主"]]

    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", BASIC, rows))

    assert located(run) == [(2, "A", "error", f"户编号 {NUMBER_1} 的农户已注销，不能导入")]


def test_work_no_longer_listed_ends_the_open_employment(tmp_path: Path, county_clerk: User) -> None:
    run_import(county_clerk, write_table(tmp_path / "a.xlsx", FULL, full_rows()))
    rows = full_rows()
    rows[0][11:15] = [None, None, None, None]

    run = run_import(county_clerk, write_table(tmp_path / "b.xlsx", FULL, rows), on=ON + dt.timedelta(days=5))

    assert run.summary["employments_ended"] == 1
    assert Employment.objects.get().end_date == ON + dt.timedelta(days=5)


@pytest.mark.parametrize(
    ("id_header", "relation", "expected"),
    [("公民身份号码", "本人", "head"), ("证件号", "户主本人", "head"), ("身份证号", "1-户主", "head")],
)
def test_header_synonyms_and_value_spellings_are_understood(
    tmp_path: Path, county_clerk: User, id_header: str, relation: str, expected: str
) -> None:
    headers = ["户 编 号", "行政区划代码", "姓名*", id_header, "与户主的关系", "性别", "是否参加大病保险"]
    rows = [[NUMBER_1, "610902001001", "张大山", HEAD_1, relation, "男性", "✓"]]

    run = run_import(county_clerk, write_table(tmp_path / "a.xlsx", headers, rows))

    assert run.problems == []
    member = Member.objects.get()
    assert (member.relation, member.sex, member.critical_illness_insurance) == (expected, "male", True)


def test_the_audit_chain_stays_verifiable_across_imports_and_single_events(
    tmp_path: Path, county_clerk: User
) -> None:
    path = write_messy(tmp_path / "a.xlsx", fixed=True)
    run_import(county_clerk, path)
    run_import(
        county_clerk,
        write_table(tmp_path / "b.xlsx", BASIC, [[NUMBER_1, "610902001001", "张大山", HEAD_1, "户主"]]),
    )
    run_import(county_clerk, path)

    result = verify_chain()
    assert result.ok
    assert result.checked == AuditEvent.objects.count()

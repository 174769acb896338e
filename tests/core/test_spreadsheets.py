"""Finding the table in real-looking workbooks, streaming its rows, and writing exports and annotated copies.

Workbooks are written with xlsxwriter the way the national system and clerks lay them out (title rows, merged
two-row headers, a row of column numbers, household cells merged over member rows, notes under the table) and
read back through the real python-calamine; written files are checked with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils import get_column_letter

from bangfu.core.cellvalues import CellError, parse_code, parse_date, parse_phone
from bangfu.core.spreadsheets import (
    Column,
    LocatedProblem,
    SheetRow,
    SpreadsheetError,
    StreamingWriter,
    Table,
    column_index,
    column_letter,
    normalize_header,
    read_table,
    write_annotated_copy,
)

COLUMNS = {
    "sequence": ["序号"],
    "household_number": ["户编号"],
    "name": ["姓名", "成员姓名"],
    "id_number": ["证件号码", "身份证号码", "身份证号"],
    "birth_date": ["出生日期"],
    "relation": ["与户主关系"],
    "wages": ["工资性收入"],
    "transfers": ["转移性收入"],
    "phone": ["联系电话"],
}
REQUIRED = ["household_number", "name", "id_number"]
SHEET = "农户信息"
RED = "FFFFC7CE"
YELLOW = "FFFFEB9C"
# python-calamine returns naive datetimes, as Excel stores them.
naive = dt.datetime.fromisoformat


def _workbook(path: Path, build: Callable[[Any, Any], None], *, sheet: str = SHEET) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    worksheet = workbook.add_worksheet(sheet)
    build(workbook, worksheet)
    workbook.close()
    return path


def _national_layout(workbook: Any, ws: Any) -> None:
    """An export as the national system lays it out, filled in by a clerk."""
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range("A1:J1", "安康市汉滨区2025年防返贫监测农户信息表")
    ws.write("A2", "填报单位：汉滨区老城街道")
    ws.write("H2", "填报日期：2025年3月1日")
    ws.merge_range("A3:A4", "序号")
    ws.merge_range("B3:B4", "户编号")
    ws.merge_range("C3:F3", "家庭成员信息")
    ws.write_row("C4", ["姓名", "证件号码", "出生\n日期", "与户主关系"])
    ws.merge_range("G3:H3", "收入情况（元）")
    ws.write_row("G4", ["工资性收入", "转移性收入"])
    ws.merge_range("I3:I4", "联系电话*")
    ws.merge_range("J3:J4", "备注")
    ws.write_row("A5", list(range(1, 11)))  # 栏次
    # household 1: number and phone merged over its three members
    ws.merge_range("B6:B8", "610902001001000001")
    ws.merge_range("I6:I8", 13800138000)
    ws.write_row("A6", [1])
    ws.write_row("C6", ["张三", "610902199001011235"])
    ws.write_datetime("E6", dt.date(1990, 1, 1), date_format)
    ws.write_row("F6", ["户主", 12000, "1,200元"])
    ws.write_row("A7", [2])
    ws.write_string("C7", "李四")
    ws.write_number("D7", 610902199201011236)  # typed into a "General" cell: Excel keeps 15 digits
    ws.write_row("E7", ["1992-1-1", "配偶"])
    ws.write_row("A8", [3, None, "张小明", "'610902201501011239", 20150101, "之子"])
    ws.write("C10", "   ")  # a row holding only spaces
    ws.write_row(
        "A11", [4, "610902001001000002", "王五", "６１０９０２１９５００３０３１２３４", 44931.0, "户主"]
    )
    ws.write_row("G11", [0, None, "0915-1234567", "低保户"])
    ws.write_row("A12", ["合计", None, None, None, None, None, 12000])
    ws.write("A14", "填表人：赵六")
    ws.write("E14", "审核人：钱七")


@pytest.fixture
def national(tmp_path: Path) -> Path:
    return _workbook(tmp_path / "汉滨区农户信息.xlsx", _national_layout)


# --- column letters and header names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "letter"),
    [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (701, "ZZ"), (702, "AAA"), (16383, "XFD")],
)
def test_column_letters_and_indexes_are_inverse(index: int, letter: str) -> None:
    assert column_letter(index) == letter
    assert column_index(letter) == index


def test_normalize_header_ignores_spacing_line_breaks_required_marks_and_bracket_width() -> None:
    assert normalize_header(" 身份证\n号码 * ") == "身份证号码"
    assert normalize_header("＊姓　名") == "姓名"
    assert normalize_header("年收入（元）") == normalize_header("年收入(元)") == "年收入(元)"
    assert normalize_header("【备注】") == "(备注)"
    assert normalize_header("ID Number：") == "idnumber"


# --- finding the table --------------------------------------------------------------------------------------


def test_national_export_header_is_found_below_title_rows_with_groups_and_vertical_merges(
    national: Path,
) -> None:
    table = read_table(national, columns=COLUMNS, required=REQUIRED)
    assert table.sheet_name == SHEET
    # rows 3–4 are the header, row 5 holds the column numbers (栏次)
    assert table.header_rows == (3, 4, 5)
    assert table.name_row == 4
    assert table.columns == {
        "sequence": Column("sequence", 0, "A", "序号"),
        "household_number": Column("household_number", 1, "B", "户编号"),
        "name": Column("name", 2, "C", "姓名", "家庭成员信息"),
        "id_number": Column("id_number", 3, "D", "证件号码", "家庭成员信息"),
        "birth_date": Column("birth_date", 4, "E", "出生日期", "家庭成员信息"),
        "relation": Column("relation", 5, "F", "与户主关系", "家庭成员信息"),
        "wages": Column("wages", 6, "G", "工资性收入", "收入情况（元）"),
        "transfers": Column("transfers", 7, "H", "转移性收入", "收入情况（元）"),
        "phone": Column("phone", 8, "I", "联系电话*"),
    }
    assert table.unknown_columns == [Column("", 9, "J", "备注")]
    assert table.missing == []
    assert table.duplicates == []


def test_rows_stream_raw_values_by_key_with_excel_row_numbers(national: Path) -> None:
    table = read_table(national, columns=COLUMNS, required=REQUIRED)
    rows = list(table.rows())
    assert rows == [
        SheetRow(
            6,
            {
                "sequence": 1.0,
                "household_number": "610902001001000001",
                "name": "张三",
                "id_number": "610902199001011235",
                "birth_date": dt.date(1990, 1, 1),
                "relation": "户主",
                "wages": 12000.0,
                "transfers": "1,200元",
                "phone": 13800138000.0,
            },
        ),
        SheetRow(
            7,
            {
                "sequence": 2.0,
                # merged over the household's rows: every member row carries the household's values
                "household_number": "610902001001000001",
                "name": "李四",
                "id_number": 610902199201011236.0,
                "birth_date": "1992-1-1",
                "relation": "配偶",
                "wages": None,
                "transfers": None,
                "phone": 13800138000.0,
            },
        ),
        SheetRow(
            8,
            {
                "sequence": 3.0,
                "household_number": "610902001001000001",
                "name": "张小明",
                "id_number": "'610902201501011239",
                "birth_date": 20150101.0,
                "relation": "之子",
                "wages": None,
                "transfers": None,
                "phone": 13800138000.0,
            },
        ),
        SheetRow(
            11,
            {
                "sequence": 4.0,
                "household_number": "610902001001000002",
                "name": "王五",
                "id_number": "６１０９０２１９５００３０３１２３４",
                "birth_date": 44931.0,
                "relation": "户主",
                "wages": 0.0,
                "transfers": None,
                "phone": "0915-1234567",
            },
        ),
    ]
    # blank and whitespace-only rows are skipped silently; the total and the signatures are reported
    assert table.skipped_rows == [12, 14]
    assert table.row_count == 4


@pytest.mark.parametrize("blank_top", [0, 3])
def test_the_row_estimate_bounds_the_data_rows_without_reading_them(tmp_path: Path, blank_top: int) -> None:
    # Blank rows above the header (the sheet's used range starts lower) and a note under the table.
    def build(workbook: Any, ws: Any) -> None:
        ws.write_row(blank_top, 0, ["户编号", "姓名", "身份证号"])
        for n in range(6):
            ws.write_row(blank_top + 1 + n, 0, [f"61090200100100000{n}", "张三", "610902199001011235"])
        ws.write_row(blank_top + 8, 0, ["填表人：李会计"])

    table = read_table(_workbook(tmp_path / "plain.xlsx", build), columns=COLUMNS, required=REQUIRED)
    assert table.row_count == 6
    assert table.row_estimate == 8  # the six rows, the blank one and the note: an upper bound
    assert len(list(table.rows())) == 6


def test_rows_can_be_read_again_and_parsed_into_typed_values(national: Path) -> None:
    table = read_table(national, columns=COLUMNS, required=REQUIRED)
    first = list(table.rows())
    assert list(table.rows()) == first
    assert [parse_date(row.values["birth_date"]) for row in first] == [
        dt.date(1990, 1, 1),
        dt.date(1992, 1, 1),
        dt.date(2015, 1, 1),
        dt.date(2023, 1, 5),
    ]
    assert [parse_phone(row.values["phone"]) for row in first] == [
        "13800138000",
        "13800138000",
        "13800138000",
        "09151234567",
    ]
    ids = []
    for row in first:
        try:
            ids.append(parse_code(row.values["id_number"]))
        except CellError as exc:
            ids.append(str(exc))
    assert ids == [
        "610902199001011235",
        "身份证号码被Excel存成了数字，已丢失末尾数字，请将该列设为文本格式后重新填写",
        "610902201501011239",
        "610902195003031234",
    ]


def test_one_row_header_without_title(tmp_path: Path) -> None:
    def build(workbook: Any, ws: Any) -> None:
        ws.write_row("A1", ["户编号", "姓名", "身份证号"])
        ws.write_row("A2", ["610902001001000001", "张三", "610902199001011235"])

    table = read_table(_workbook(tmp_path / "plain.xlsx", build), columns=COLUMNS, required=REQUIRED)
    assert table.header_rows == (1,)
    assert list(table.columns) == ["household_number", "name", "id_number"]
    assert list(table.rows()) == [
        SheetRow(
            2, {"household_number": "610902001001000001", "name": "张三", "id_number": "610902199001011235"}
        )
    ]


@pytest.mark.parametrize("titles", [0, 1, 2, 3])
@pytest.mark.parametrize("two_rows", [False, True])
def test_header_is_found_below_any_number_of_title_rows(tmp_path: Path, titles: int, two_rows: bool) -> None:
    def build(workbook: Any, ws: Any) -> None:
        lines = ["汉滨区2025年农户信息表", "填报单位：老城街道  填报日期：2025-03-01", "单位：元"][:titles]
        for row, text in enumerate(lines):
            ws.merge_range(row, 0, row, 3, text)
        top = titles
        if two_rows:
            ws.merge_range(top, 0, top + 1, 0, "户编号")
            ws.merge_range(top, 1, top, 3, "家庭成员")
            ws.write_row(top + 1, 1, ["姓名", "身份证号码", "出生日期"])
        else:
            ws.write_row(top, 0, ["户编号", "姓名", "身份证号码", "出生日期"])
        data = top + (2 if two_rows else 1)
        ws.write_row(data, 0, ["610902001001000001", "张三", "610902199001011235", "1990-01-01"])

    table = read_table(_workbook(tmp_path / "titles.xlsx", build), columns=COLUMNS, required=REQUIRED)
    expected = (titles + 1, titles + 2) if two_rows else (titles + 1,)
    assert table.header_rows == expected
    assert list(table.columns) == ["household_number", "name", "id_number", "birth_date"]
    assert table.unknown_columns == []
    assert [row.number for row in table.rows()] == [expected[-1] + 1]


def test_a_closed_table_refuses_to_read(national: Path) -> None:
    table = read_table(national, columns=COLUMNS)
    table.close()
    with pytest.raises(SpreadsheetError) as excinfo:
        list(table.rows())
    assert str(excinfo.value) == "表格已关闭"


def test_title_and_note_rows_directly_above_a_one_row_header_are_not_part_of_it(tmp_path: Path) -> None:
    def build(workbook: Any, ws: Any) -> None:
        ws.write("A1", "东关村农户花名册")  # a title typed without merging
        ws.write("A2", "填报单位：东关村")
        ws.write("E2", "单位：元")  # above a column left without a header
        ws.write_row("A3", ["户编号", "姓名", "身份证号码", "低保/特困"])
        ws.write_row("A4", ["610902001001000001", "张三", "610902199001011235", "是"])

    columns = {**COLUMNS, "assistance": ["低保/特困"]}
    table = read_table(_workbook(tmp_path / "notes.xlsx", build), columns=columns, required=REQUIRED)
    assert table.header_rows == (3,)
    assert list(table.columns) == ["household_number", "name", "id_number", "assistance"]
    assert table.unknown_columns == []
    assert [row.number for row in table.rows()] == [4]


def test_header_names_match_after_normalising_spaces_marks_brackets_and_case(tmp_path: Path) -> None:
    def build(workbook: Any, ws: Any) -> None:
        ws.write_row("A1", ["姓 名", "*身份证\n号码", "年收入（元）", "【备注】", "ID", "户主电话："])

    columns = {
        "name": ["姓名"],
        "id_number": ["身份证号码"],
        "income": ["年收入"],
        "note": ["备注"],
        "code": ["id"],
        "phone": ["户主电话"],
    }
    table = read_table(_workbook(tmp_path / "names.xlsx", build), columns=columns)
    assert {key: column.letter for key, column in table.columns.items()} == {
        "name": "A",
        "id_number": "B",
        "income": "C",
        "note": "D",
        "code": "E",
        "phone": "F",
    }
    assert table.columns["id_number"].header == "*身份证号码"
    assert table.unknown_columns == []


def test_missing_required_duplicated_and_unknown_columns_are_reported(tmp_path: Path) -> None:
    def build(workbook: Any, ws: Any) -> None:
        ws.write_row("A1", ["姓名", "身份证号码", "文化程度", "成员姓名"])
        ws.write_row("A2", ["张三", "610902199001011235", "初中", "张三"])

    table = read_table(_workbook(tmp_path / "dup.xlsx", build), columns=COLUMNS, required=REQUIRED)
    assert table.missing == ["household_number"]
    assert table.columns["name"] == Column("name", 0, "A", "姓名")
    assert table.duplicates == [Column("name", 3, "D", "成员姓名")]
    assert table.unknown_columns == [Column("", 2, "C", "文化程度")]
    assert table.header_problems() == [
        LocatedProblem(SHEET, 1, "", "error", "缺少必填列“户编号”"),
        LocatedProblem(SHEET, 1, "D", "error", "“成员姓名”列重复：A列和D列都是“姓名”"),
        LocatedProblem(SHEET, 1, "C", "warning", "未识别的列“文化程度”，该列不会导入"),
    ]
    # the first of the duplicated columns is the one read
    assert [row.values["name"] for row in table.rows()] == ["张三"]


def test_group_qualified_names_tell_apart_columns_of_the_same_name(tmp_path: Path) -> None:
    def build(workbook: Any, ws: Any) -> None:
        ws.merge_range("A1:A2", "姓名")
        ws.merge_range("B1:C1", "识别时")
        ws.merge_range("D1:E1", "风险消除后")
        ws.write_row("B2", ["工资性收入", "转移性收入", "工资性收入", "转移性收入"])
        ws.write_row("A3", ["张三", 100, 200, 300, 400])

    columns = {
        "name": ["姓名"],
        "wages": ["工资性收入"],
        "transfers": ["转移性收入"],
        "wages_after": ["风险消除后/工资性收入"],
    }
    table = read_table(_workbook(tmp_path / "groups.xlsx", build), columns=columns)
    assert {key: column.letter for key, column in table.columns.items()} == {
        "name": "A",
        "wages": "B",
        "transfers": "C",
        "wages_after": "D",
    }
    assert table.duplicates == [Column("transfers", 4, "E", "转移性收入", "风险消除后")]
    assert list(table.rows()) == [
        SheetRow(3, {"name": "张三", "wages": 100.0, "transfers": 200.0, "wages_after": 300.0})
    ]


def test_table_starting_in_a_later_column_keeps_true_letters(tmp_path: Path) -> None:
    def build(workbook: Any, ws: Any) -> None:
        ws.write("C2", "农户名单")
        ws.write_row("C4", ["户编号", "姓名", "身份证号码"])
        ws.write_row("C5", ["610902001001000001", "张三", "610902199001011235"])

    table = read_table(_workbook(tmp_path / "offset.xlsx", build), columns=COLUMNS, required=REQUIRED)
    assert table.header_rows == (4,)
    assert [column.letter for column in table.columns.values()] == ["C", "D", "E"]
    assert [row.number for row in table.rows()] == [5]


def test_a_very_wide_sheet_with_hidden_trailing_columns(tmp_path: Path) -> None:
    def build(workbook: Any, ws: Any) -> None:
        ws.write_row("A1", [f"指标{i}" for i in range(1, 300)])
        ws.write_row(0, 299, ["姓名", "身份证号码", "户编号"])
        ws.set_column(302, 400, None, None, {"hidden": True})
        ws.write_row(1, 299, ["张三", "610902199001011235", "610902001001000001"])

    table = read_table(_workbook(tmp_path / "wide.xlsx", build), columns=COLUMNS, required=REQUIRED)
    assert {key: column.letter for key, column in table.columns.items()} == {
        "name": "KN",
        "id_number": "KO",
        "household_number": "KP",
    }
    assert len(table.unknown_columns) == 299
    assert [row.values["name"] for row in table.rows()] == ["张三"]


def test_header_is_searched_in_the_first_twenty_rows_only(tmp_path: Path) -> None:
    def at_row(row: int) -> Callable[[Any, Any], None]:
        def build(workbook: Any, ws: Any) -> None:
            ws.write(0, 0, "说明：请从下方开始填写")
            ws.write_row(row - 1, 0, ["户编号", "姓名", "身份证号码"])

        return build

    table = read_table(_workbook(tmp_path / "row20.xlsx", at_row(20)), columns=COLUMNS, required=REQUIRED)
    assert table.header_rows == (20,)
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(_workbook(tmp_path / "row21.xlsx", at_row(21)), columns=COLUMNS, required=REQUIRED)
    assert str(excinfo.value) == "在前20行中没有找到表头：表头应包含“户编号”“姓名”“证件号码”等列名"


def test_the_first_visible_sheet_with_the_table_is_chosen(tmp_path: Path) -> None:
    path = tmp_path / "sheets.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    hidden = workbook.add_worksheet("旧表")
    hidden.write_row("A1", ["户编号", "姓名", "身份证号码"])
    hidden.write_row("A2", ["old", "旧", "old"])
    hidden.hide()
    notes = workbook.add_worksheet("填表说明")
    notes.write("A1", "姓名请填写户籍登记的姓名")
    data = workbook.add_worksheet(SHEET)
    data.write_row("A1", ["户编号", "姓名", "身份证号码"])
    data.write_row("A2", ["610902001001000001", "张三", "610902199001011235"])
    data.activate()
    workbook.close()
    table = read_table(path, columns=COLUMNS, required=REQUIRED)
    assert table.sheet_name == SHEET
    assert [row.values["name"] for row in table.rows()] == ["张三"]
    assert read_table(path, columns=COLUMNS, sheet="旧表").sheet_name == "旧表"
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(path, columns=COLUMNS, sheet="务工信息")
    assert str(excinfo.value) == "文件中没有名为“务工信息”的工作表（现有：旧表、填表说明、农户信息）"


def test_a_copy_saved_with_the_wrong_extension_is_still_read(national: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "农户信息.xls"
    renamed.write_bytes(national.read_bytes())
    assert read_table(renamed, columns=COLUMNS).row_count == 4
    no_extension = tmp_path / "农户信息"
    no_extension.write_bytes(national.read_bytes())
    assert read_table(no_extension, columns=COLUMNS).row_count == 4


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("农户.xlsx", b"not a workbook"),
        ("农户.csv", "户编号,姓名\n1,张三\n".encode()),
        ("农户.xls", b"\x00" * 600),
    ],
)
def test_unreadable_files_are_refused_with_a_message_naming_them(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(path, columns=COLUMNS)
    assert str(excinfo.value) == (
        f"无法读取文件“{name}”：请使用Excel（.xlsx、.xls）或WPS、OpenOffice（.ods）表格文件"
    )


def test_missing_and_empty_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(tmp_path / "没有.xlsx", columns=COLUMNS)
    assert str(excinfo.value) == "找不到文件“没有.xlsx”"
    empty = _workbook(tmp_path / "空.xlsx", lambda workbook, ws: None, sheet="Sheet1")
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(empty, columns=COLUMNS)
    assert str(excinfo.value) == "文件“空.xlsx”中没有任何数据"
    with pytest.raises(SpreadsheetError) as excinfo:
        read_table(empty, columns=COLUMNS, sheet="Sheet1")
    assert str(excinfo.value) == "工作表“Sheet1”是空的"


def test_our_own_explanation_column_is_not_reported_as_unknown(tmp_path: Path) -> None:
    def build(workbook: Any, ws: Any) -> None:
        ws.write_row("A1", ["户编号", "姓名", "身份证号码", "错误说明"])
        ws.write_row("A2", ["610902001001000001", "张三", "610902199001011235", "C列：校验码错误"])

    table = read_table(_workbook(tmp_path / "again.xlsx", build), columns=COLUMNS)
    assert table.unknown_columns == []
    assert list(table.columns) == ["household_number", "name", "id_number"]


# --- OpenDocument (no merge information) --------------------------------------------------------------------

COVERED = object()


def _write_ods(path: Path, sheet: str, rows: list[list[Any]]) -> Path:
    """A minimal .ods; a cell is a value, ``(text, columns, rows)`` for a merged cell, or ``COVERED``."""

    def cell(value: Any) -> str:
        if value is COVERED:
            return "<table:covered-table-cell/>"
        spans = ""
        if isinstance(value, tuple):
            value, columns, rows_spanned = value
            spans = f' table:number-columns-spanned="{columns}" table:number-rows-spanned="{rows_spanned}"'
        if value is None:
            return f"<table:table-cell{spans}/>"
        if isinstance(value, float | int):
            return (
                f'<table:table-cell{spans} office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>"
            )
        return (
            f'<table:table-cell{spans} office:value-type="string">'
            f"<text:p>{escape(value)}</text:p></table:table-cell>"
        )

    body = "".join("<table:table-row>" + "".join(map(cell, row)) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{sheet}">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


def test_ods_two_row_header_is_inferred_without_merge_information(tmp_path: Path) -> None:
    path = _write_ods(
        tmp_path / "农户.ods",
        "农户",
        [
            [("汉滨区农户信息表", 5, 1), COVERED, COVERED, COVERED, COVERED],
            [("户编号", 1, 2), ("家庭成员信息", 2, 1), COVERED, ("收入情况（元）", 1, 1), ("联系电话", 1, 2)],
            [COVERED, "姓名", "身份证号码", "工资性收入", COVERED],
            ["610902001001000001", "张三", "610902199001011235", 1200, 13800138000],
        ],
    )
    table = read_table(path, columns=COLUMNS, required=REQUIRED)
    assert table.header_rows == (2, 3)
    assert table.columns == {
        "household_number": Column("household_number", 0, "A", "户编号"),
        "name": Column("name", 1, "B", "姓名", "家庭成员信息"),
        "id_number": Column("id_number", 2, "C", "身份证号码", "家庭成员信息"),
        "wages": Column("wages", 3, "D", "工资性收入", "收入情况（元）"),
        "phone": Column("phone", 4, "E", "联系电话"),
    }
    assert list(table.rows()) == [
        SheetRow(
            4,
            {
                "household_number": "610902001001000001",
                "name": "张三",
                "id_number": "610902199001011235",
                "wages": 1200.0,
                "phone": 13800138000.0,
            },
        )
    ]


# --- annotated copy -----------------------------------------------------------------------------------------


def _values(path: Path, sheet: str, columns: str = "ABCDEFGHIJ") -> dict[str, Any]:
    worksheet = openpyxl.load_workbook(path)[sheet]
    return {
        cell.coordinate: cell.value
        for row in worksheet.iter_rows()
        for cell in row
        if get_column_letter(cell.column) in columns and cell.value is not None
    }


def _fill(cell: Any) -> str:
    return cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else ""


@pytest.fixture
def annotated(national: Path, tmp_path: Path) -> tuple[Table, Path]:
    table = read_table(national, columns=COLUMNS, required=REQUIRED)
    problems = [
        *table.header_problems(),
        LocatedProblem(SHEET, 6, "", "error", "该户没有户主"),
        LocatedProblem(SHEET, 6, "E", "warning", "出生日期与身份证号码不一致，请核实"),
        LocatedProblem(SHEET, 7, "D", "error", "身份证号码被Excel存成了数字，已丢失末尾数字"),
        LocatedProblem(SHEET, 8, "I", "error", "电话号码格式错误"),  # inside the merged I6:I8
        LocatedProblem(SHEET, 11, "G", "warning", "工资性收入为0，请核实"),
        LocatedProblem(SHEET, 11, "G", "error", "工资性收入不能为空"),
        LocatedProblem("务工信息", 3, "B", "error", "务工开始时间晚于结束时间"),
        LocatedProblem(SHEET, 0, "", "error", "文件中有两个户编号相同的户"),
    ]
    out = tmp_path / "errors.xlsx"
    write_annotated_copy(national, out, problems=problems, table=table, text_columns=["id_number"])
    return table, out


def test_annotated_copy_keeps_every_value_title_header_and_merge(
    national: Path, annotated: tuple[Table, Path]
) -> None:
    _table, out = annotated
    assert openpyxl.load_workbook(out).sheetnames == [SHEET, "问题清单"]
    assert _values(out, SHEET) == _values(national, SHEET)
    source_merges = {str(r) for r in openpyxl.load_workbook(national)[SHEET].merged_cells.ranges}
    out_merges = {str(r) for r in openpyxl.load_workbook(out)[SHEET].merged_cells.ranges}
    assert out_merges == source_merges | {"K3:K5"}
    worksheet = openpyxl.load_workbook(out)[SHEET]
    assert worksheet.freeze_panes == "A6"
    # the ID column is formatted as text, so an ID typed again there keeps its digits (D7 still holds the
    # rounded number Excel made of it: read again, it is refused again until it is typed anew)
    assert worksheet.column_dimensions["D"].number_format == "@"
    assert [worksheet[f"D{row}"].number_format for row in (6, 7, 8, 11)] == ["@", "@", "@", "@"]
    assert worksheet["D4"].number_format == "General"


def test_annotated_copy_fills_bad_cells_and_explains_each_row(annotated: tuple[Table, Path]) -> None:
    _table, out = annotated
    worksheet = openpyxl.load_workbook(out)[SHEET]
    assert {
        coordinate: _fill(worksheet[coordinate]) for coordinate in ["D7", "E6", "I6", "G11", "J3", "C6", "D6"]
    } == {
        "D7": RED,
        "E6": YELLOW,
        "I6": RED,  # the problem in I8 shows on the merged range's visible cell
        "G11": RED,  # an error outweighs a warning on the same cell
        "J3": YELLOW,  # the unknown column's header, merged over both header rows
        "C6": "",
        "D6": "",
    }
    assert worksheet["K3"].value == "错误说明"
    assert {row: worksheet[f"K{row}"].value for row in range(6, 13)} == {
        6: "该户没有户主\n（提醒）E列：出生日期与身份证号码不一致，请核实",
        7: "D列：身份证号码被Excel存成了数字，已丢失末尾数字",
        8: "I列：电话号码格式错误",
        9: None,
        10: None,
        11: "G列：工资性收入不能为空\n（提醒）G列：工资性收入为0，请核实",
        12: None,
    }
    assert [_fill(worksheet[f"K{row}"]) for row in (6, 7, 11)] == [RED, RED, RED]
    assert worksheet["D7"].comment.text == "身份证号码被Excel存成了数字，已丢失末尾数字"
    assert worksheet["J3"].comment.text == "未识别的列“备注”，该列不会导入"
    assert worksheet["I6"].comment.text == "电话号码格式错误"
    assert worksheet["G11"].comment.text == "工资性收入为0，请核实\n工资性收入不能为空"
    assert worksheet["C6"].comment is None


def test_annotated_copy_lists_every_problem_on_a_second_sheet(annotated: tuple[Table, Path]) -> None:
    _table, out = annotated
    rows = list(openpyxl.load_workbook(out)["问题清单"].iter_rows(values_only=True))
    assert rows == [
        ("工作表", "行号", "列", "级别", "说明"),
        ("农户信息", None, None, "错误", "文件中有两个户编号相同的户"),
        ("农户信息", 4, "J", "提醒", "未识别的列“备注”，该列不会导入"),
        ("农户信息", 6, None, "错误", "该户没有户主"),
        ("农户信息", 6, "E", "提醒", "出生日期与身份证号码不一致，请核实"),
        ("农户信息", 7, "D", "错误", "身份证号码被Excel存成了数字，已丢失末尾数字"),
        ("农户信息", 8, "I", "错误", "电话号码格式错误"),
        ("农户信息", 11, "G", "错误", "工资性收入不能为空"),
        ("农户信息", 11, "G", "提醒", "工资性收入为0，请核实"),
        ("务工信息", 3, "B", "错误", "务工开始时间晚于结束时间"),
    ]


def test_annotated_copy_reads_back_as_the_same_table_and_is_annotated_again_in_place(
    annotated: tuple[Table, Path], tmp_path: Path
) -> None:
    table, out = annotated
    again = read_table(out, columns=COLUMNS, required=REQUIRED)
    assert again.header_rows == table.header_rows
    assert again.columns == table.columns
    assert again.unknown_columns == table.unknown_columns
    assert list(again.rows()) == list(table.rows())
    second = tmp_path / "errors-again.xlsx"
    write_annotated_copy(
        out, second, problems=[LocatedProblem(SHEET, 7, "D", "error", "仍然是数字")], table=again
    )
    worksheet = openpyxl.load_workbook(second)[SHEET]
    assert worksheet.max_column == 11
    assert worksheet["K3"].value == "错误说明"
    assert [worksheet[f"K{row}"].value for row in (6, 7, 8, 11)] == [None, "D列：仍然是数字", None, None]


# --- streaming export ---------------------------------------------------------------------------------------

EXPORT_HEADERS = ["户编号", "姓名", "身份证号码", "出生日期", "年收入", "人数", "登记时间", "备注"]


def test_streaming_writer_keeps_ids_as_text_and_dates_as_dates(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    with StreamingWriter(
        path,
        sheet_name="农户信息",
        headers=EXPORT_HEADERS,
        text_columns=["户编号", 2],
        title="东关村农户信息",
    ) as writer:
        writer.write_row(
            [
                6109020010010001,  # an int in a text column becomes its digits as text
                "张三",
                "610902199001011235",
                dt.date(1990, 1, 1),
                Decimal("12345.50"),
                3,
                naive("2025-03-01 08:30"),
                '=HYPERLINK("http://example.com")',  # text, never a formula
            ]
        )
        writer.write_row(["6109020010010002", "李四", 610902199201011236, None, Decimal(0), 1, "", None])
        writer.write_row(["6109020010010003", "王五"])
    assert writer.rows_written == 3
    worksheet = openpyxl.load_workbook(path)["农户信息"]
    assert worksheet["A1"].value == "东关村农户信息"
    assert {str(r) for r in worksheet.merged_cells.ranges} == {"A1:H1"}
    assert [cell.value for cell in worksheet[2]] == EXPORT_HEADERS
    assert worksheet.freeze_panes == "A3"
    assert [cell.value for cell in worksheet[3]] == [
        "6109020010010001",
        "张三",
        "610902199001011235",
        naive("1990-01-01 00:00"),
        12345.5,
        3,
        naive("2025-03-01 08:30"),
        '=HYPERLINK("http://example.com")',
    ]
    assert [cell.data_type for cell in worksheet[3]] == ["s", "s", "s", "d", "n", "n", "d", "s"]
    assert worksheet["D3"].number_format == "yyyy-mm-dd"
    assert worksheet["E3"].number_format == "0.00"
    assert worksheet["G3"].number_format == "yyyy-mm-dd hh:mm:ss"
    # an integer too large for Excel's numbers is written as text even outside the text columns
    assert [cell.value for cell in worksheet[4]] == [
        "6109020010010002",
        "李四",
        "610902199201011236",
        None,
        0,
        1,
        None,
        None,
    ]
    assert [cell.value for cell in worksheet[5]][:3] == ["6109020010010003", "王五", None]
    assert worksheet.column_dimensions["A"].number_format == "@"
    assert worksheet.column_dimensions["C"].number_format == "@"


def test_streaming_export_reads_back_through_read_table(tmp_path: Path) -> None:
    path = tmp_path / "roundtrip.xlsx"
    with StreamingWriter(
        path, sheet_name="农户信息", headers=["户编号", "姓名", "身份证号码", "出生日期"]
    ) as out:
        out.write_rows(
            [
                ["6109020010010001", "张三", "610902199001011235", dt.date(1990, 1, 1)],
                ["6109020010010001", "李四", "61090219920101123X", dt.date(1992, 1, 1)],
            ]
        )
    table = read_table(path, columns=COLUMNS, required=REQUIRED)
    assert [
        (row.number, row.values["name"], row.values["id_number"], row.values["birth_date"])
        for row in table.rows()
    ] == [
        (2, "张三", "610902199001011235", dt.date(1990, 1, 1)),
        (3, "李四", "61090219920101123X", dt.date(1992, 1, 1)),
    ]


def test_streaming_writer_continues_on_a_new_sheet_past_the_row_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    with StreamingWriter(path, sheet_name="成员", headers=["姓名"], max_rows=3) as writer:
        writer.write_rows([[f"成员{i}"] for i in range(1, 6)])
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["成员", "成员（2）", "成员（3）"]
    assert [[cell.value for cell in row] for row in workbook["成员"].iter_rows()] == [
        ["姓名"],
        ["成员1"],
        ["成员2"],
    ]
    assert [[cell.value for cell in row] for row in workbook["成员（2）"].iter_rows()] == [
        ["姓名"],
        ["成员3"],
        ["成员4"],
    ]
    assert [[cell.value for cell in row] for row in workbook["成员（3）"].iter_rows()] == [
        ["姓名"],
        ["成员5"],
    ]


def test_streaming_writer_removes_the_partial_file_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"

    class ExportFailed(Exception):
        pass

    def export() -> None:
        with StreamingWriter(path, sheet_name="农户", headers=["姓名"]) as writer:
            writer.write_row(["张三"])
            raise ExportFailed

    with pytest.raises(ExportFailed):
        export()
    assert not path.exists()


def test_streaming_writer_refuses_a_row_wider_than_the_header(tmp_path: Path) -> None:
    path = tmp_path / "wide.xlsx"
    with (
        pytest.raises(ValueError, match="row has 2 values for 1 columns"),
        StreamingWriter(path, sheet_name="农户", headers=["姓名"]) as writer,
    ):
        writer.write_row(["张三", "多余"])
    assert not path.exists()

"""Reading the spreadsheets clerks upload, and writing the ones they download.

Reading (``read_table``) uses python-calamine, which parses .xlsx, .xls and .ods in Rust and hands rows over
one by one. Real exports of the national system are not tidy tables: one to three title rows come first
("安康市汉滨区2025年防返贫监测农户信息表", "填报单位：…  填报日期：…"), then a header of one or two rows — the
upper row holding group labels merged over several columns ("家庭成员信息", "收入情况（元）") and the names of
some columns merged vertically over both rows — sometimes a row of column numbers (1, 2, 3 …), then the data,
where household-level cells are often merged over the rows of the household's members, and finally notes such
as "填表人：…". The header is found by matching cell texts against the names the caller accepts for each key;
the caller never sees the layout, only ``SheetRow(number, values_by_key)`` with the Excel row number for
messages.

Writing uses xlsxwriter in ``constant_memory`` mode, which keeps one row in memory and therefore requires
writing rows in order: ``StreamingWriter`` for exports, ``write_annotated_copy`` for the "errors file" that
gives an uploaded sheet back with its bad cells filled red or yellow and a final column explaining them.
ID numbers and phones are written as text, never as numbers, so Excel cannot round them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from itertools import compress, repeat
from operator import eq, itemgetter
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

import python_calamine
import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from bangfu.core.cellvalues import MAX_EXACT_FLOAT_INTEGER, cell_text, is_blank, normalize_text

Level = Literal["error", "warning"]

# The header must start within this many rows; title rows above it are skipped.
HEADER_SEARCH_ROWS = 20
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_SHEET_NAME = 31
# Excel becomes slow to open with tens of thousands of comments; past this many, the explanation column and
# the problem list still hold every message.
MAX_COMMENTS = 10_000
# Rows whose first filled cell starts like this are signatures and notes under the table, not data.
_NOTE_PREFIXES = (
    "填表人",
    "填报人",
    "制表人",
    "制表",
    "审核人",
    "负责人",
    "统计人",
    "联系人",
    "注：",
    "注:",
    "说明",
)
_TOTAL_LABELS = frozenset({"合计", "总计", "小计"})
_NOTE_INITIALS = frozenset(label[0] for label in (*_NOTE_PREFIXES, *_TOTAL_LABELS))
_BRACKETED = re.compile(r"\([^()]*\)")
_HEADER_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")", "＊": "*"})

# Fills of Excel's own "Bad" and "Neutral" cell styles, which clerks recognise.
_FILLS: dict[str, dict[str, str]] = {
    "error": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
    "warning": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
}
_NUMBER_FORMATS = {
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
    "time": "hh:mm:ss",
    "duration": "[h]:mm:ss",
    # A large integral number (an ID typed into a number cell) shown with all its digits, not as 6.10902E+17.
    "digits": "0",
    "text": "@",
}


class SpreadsheetError(Exception):
    """The file cannot be used as a table; ``str(exc)`` is a Chinese message for the uploader."""


@dataclass(frozen=True)
class Column:
    """A column of the sheet: the key it was matched to (``""`` if none), its position and header text."""

    key: str
    index: int  # 0-based, A = 0
    letter: str
    header: str
    group: str = ""  # the label merged above it in a two-row header, if any


@dataclass(frozen=True)
class SheetRow:
    """One data row: its Excel row number and the raw cell value per matched key.

    An empty cell is ``None``; a cell of only spaces or a placeholder dash is passed as read (every
    ``cellvalues.parse_*`` treats it as blank).
    """

    number: int
    values: dict[str, Any]


@dataclass(frozen=True)
class LocatedProblem:
    """A problem at a sheet, Excel row number and column letter (``""`` for the whole row)."""

    sheet: str
    row: int
    column: str
    level: Level
    message: str


def column_letter(index: int) -> str:
    """``0`` -> ``A``, ``25`` -> ``Z``, ``26`` -> ``AA``."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def column_index(letter: str) -> int:
    """``A`` -> ``0``, ``AA`` -> ``26``; the inverse of ``column_letter``."""
    index = 0
    for char in letter.upper():
        index = index * 26 + ord(char) - ord("A") + 1
    return index - 1


def normalize_header(text: Any) -> str:
    """A header cell folded for matching: NFKC (full-width brackets become ASCII), no whitespace or line
    breaks, no ``*`` required marks, ``【】``/``[]``/``〔〕`` as ``()``, no trailing colon, Latin
    case-folded."""
    folded = normalize_text(text).translate(_HEADER_BRACKETS).replace("*", "")
    return folded.rstrip(":").casefold()


def errors_header() -> str:
    """The header of the explanation column added by ``write_annotated_copy``."""
    return _("错误说明")


# --- reading ------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Table:
    """A sheet whose header was found. ``rows()`` streams the data rows; the file stays open until
    ``close()`` (or garbage collection)."""

    path: Path
    sheet_name: str
    header_rows: tuple[int, ...]
    columns: dict[str, Column]
    unknown_columns: list[Column]
    missing: list[str]
    duplicates: list[Column]  # a later column matched to a key already taken by an earlier one
    labels: dict[str, str]  # key -> the first accepted header name, for messages
    name_row: int = 0  # the header row holding the column names (above a row of column numbers, if any)
    skipped_rows: list[int] = field(default_factory=list)  # notes and totals under the table (last rows())
    _sheet: python_calamine.CalamineSheet | None = field(default=None, repr=False)
    _first_col: int = field(default=0, repr=False)
    _merges: list[tuple[int, int, int, int]] = field(default_factory=list, repr=False)
    # Row number -> kind of the rows below the header that are no data, once ``row_count`` has looked.
    _other_rows: dict[int, str] | None = field(default=None, repr=False)

    def rows(self) -> Iterator[SheetRow]:
        """The data rows below the header in sheet order; blank rows, notes and totals are skipped.

        A cell inside a merged range (a household's number merged over its members' rows) carries the value
        of the range, as it reads on screen; merged ranges are known for .xlsx and .xls, not .ods.
        """
        self.skipped_rows = []
        keys = list(self.columns)
        # Every row calamine yields is as wide as the sheet's used range, which holds the header cells.
        positions = [self.columns[key].index - self._first_col for key in keys]
        pick = _picker(positions)
        fill = _MergeFill(self._merges, first_col=self._first_col)
        other = self._other_rows
        for number, row in self._data_rows():
            kind = _row_kind(row) if other is None else other.get(number, "data")
            if kind == "blank":
                continue
            if kind == "note":
                self.skipped_rows.append(number)
                continue
            if fill.active:
                fill.apply(number - 1, row)
            # C-level picking and blank-to-None: this loop runs once per row of files with 100,000s of rows.
            picked = pick(row)
            values = dict(zip(keys, picked, strict=True))
            if "" in picked:
                values.update(dict.fromkeys(compress(keys, map(eq, picked, repeat("")))))
            yield SheetRow(number=number, values=values)

    @cached_property
    def row_count(self) -> int:
        """How many rows ``rows()`` yields (one pass over the sheet, without building the values). The pass
        keeps the few rows that are no data, so that ``rows()`` need not classify every row again."""
        other: dict[int, str] = {}
        count = 0
        for number, row in self._data_rows():
            kind = _row_kind(row)
            if kind == "data":
                count += 1
            else:
                other[number] = kind
        self._other_rows = other
        return count

    @property
    def row_estimate(self) -> int:
        """How many rows lie below the header, blank rows and notes included: an upper bound of what
        ``rows()`` yields, known without a pass over the sheet (``row_count`` makes one)."""
        if self._sheet is None:
            raise SpreadsheetError(_("表格已关闭"))
        # iter_rows() starts at the sheet's first row; ``height`` counts from the first row in use.
        start = self._sheet.start
        rows = (start[0] + self._sheet.height) if start is not None else 0
        return max(rows - self.header_rows[-1], 0)

    def header_problems(self) -> list[LocatedProblem]:
        """Missing required columns and duplicated columns (errors), unknown columns (warnings)."""
        last_header = self.name_row or self.header_rows[-1]
        problems = [
            LocatedProblem(
                self.sheet_name,
                last_header,
                "",
                "error",
                _("缺少必填列“%(name)s”") % {"name": self.labels[key]},
            )
            for key in self.missing
        ]
        for column in self.duplicates:
            first = self.columns[column.key]
            problems.append(
                LocatedProblem(
                    self.sheet_name,
                    last_header,
                    column.letter,
                    "error",
                    _("“%(header)s”列重复：%(first)s列和%(second)s列都是“%(name)s”")
                    % {
                        "header": column.header,
                        "first": first.letter,
                        "second": column.letter,
                        "name": self.labels[column.key],
                    },
                )
            )
        problems.extend(
            LocatedProblem(
                self.sheet_name,
                last_header,
                column.letter,
                "warning",
                _("未识别的列“%(header)s”，该列不会导入") % {"header": column.header},
            )
            for column in self.unknown_columns
        )
        return problems

    def close(self) -> None:
        """Release the parsed sheet."""
        self._sheet = None

    def _data_rows(self) -> Iterator[tuple[int, list[Any]]]:
        if self._sheet is None:
            raise SpreadsheetError(_("表格已关闭"))
        last_header = self.header_rows[-1]
        for number, row in enumerate(self._sheet.iter_rows(), start=1):
            if number > last_header:
                yield number, row


def read_table(
    path: str | Path,
    *,
    columns: Mapping[str, Sequence[str]],
    sheet: str | None = None,
    required: Iterable[str] = (),
) -> Table:
    """Open a workbook and find the table in ``sheet`` (default: the first visible sheet with a header).

    ``columns`` maps each key to the header names accepted for it (compared after ``normalize_header``; a
    name ``"组/名"`` matches the column "名" under the group label "组" in a two-row header, to tell apart
    columns of the same name in different groups). The header is the row among the first 20 that matches
    the most keys, combined with the row above it when that row holds group labels or names merged over both
    rows. Raises ``SpreadsheetError`` for an unreadable file, a missing sheet or no header.
    """
    path = Path(path)
    lookup = _Lookup(columns)
    required = list(required)
    unknown_keys = [key for key in required if key not in columns]
    if unknown_keys:
        raise ValueError(f"required keys without header names: {unknown_keys}")
    workbook = _open_workbook(path)
    if sheet is not None:
        if sheet not in workbook.sheet_names:
            raise SpreadsheetError(
                _("文件中没有名为“%(sheet)s”的工作表（现有：%(names)s）")
                % {"sheet": sheet, "names": "、".join(workbook.sheet_names)}
            )
        candidates = [sheet]
    else:
        candidates = [
            meta.name
            for meta in workbook.sheets_metadata
            if meta.visible == python_calamine.SheetVisibleEnum.Visible
            and meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        ] or workbook.sheet_names
    best: Table | None = None
    for name in candidates:
        calamine_sheet = workbook.get_sheet_by_name(name)
        table = _find_table(path, calamine_sheet, lookup, required)
        if table is None:
            continue
        if not table.missing:
            return table
        # A sheet with every required column wins over one that matches more names but lacks some.
        if best is None or len(table.columns) > len(best.columns):
            best = table
    if best is not None:
        return best
    if all(workbook.get_sheet_by_name(name).start is None for name in candidates):
        if sheet is not None:
            raise SpreadsheetError(_("工作表“%(sheet)s”是空的") % {"sheet": sheet})
        raise SpreadsheetError(_("文件“%(name)s”中没有任何数据") % {"name": path.name})
    examples = "”“".join(lookup.labels[key] for key in (required or list(columns))[:3])
    raise SpreadsheetError(
        _("在前%(rows)d行中没有找到表头：表头应包含“%(examples)s”等列名")
        % {"rows": HEADER_SEARCH_ROWS, "examples": examples}
    )


def _open_workbook(path: Path) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.CalamineWorkbook.from_path(path)
    except python_calamine.PasswordError:
        raise SpreadsheetError(
            _("文件“%(name)s”设置了密码，请取消密码后重新上传") % {"name": path.name}
        ) from None
    except python_calamine.CalamineError:
        pass
    except OSError:
        raise SpreadsheetError(_("找不到文件“%(name)s”") % {"name": path.name}) from None
    # calamine picks the format by the file extension; WPS and mail clients often save an .xlsx as .xls or
    # strip the extension, so the content is sniffed as a second chance.
    try:
        with path.open("rb") as handle:
            return python_calamine.CalamineWorkbook.from_filelike(handle)
    except python_calamine.PasswordError:
        raise SpreadsheetError(
            _("文件“%(name)s”设置了密码，请取消密码后重新上传") % {"name": path.name}
        ) from None
    except (python_calamine.CalamineError, OSError):
        raise SpreadsheetError(
            _("无法读取文件“%(name)s”：请使用Excel（.xlsx、.xls）或WPS、OpenOffice（.ods）表格文件")
            % {"name": path.name}
        ) from None


class _Lookup:
    """Accepted header names, normalised, to keys."""

    def __init__(self, columns: Mapping[str, Sequence[str]]) -> None:
        self.names: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        for key, names in columns.items():
            if not names:
                raise ValueError(f"no header names for key {key!r}")
            self.labels[key] = names[0]
            for name in names:
                normalized = normalize_header(name)
                other = self.names.setdefault(normalized, key)
                if other != key:
                    raise ValueError(f"header name {name!r} given for both {other!r} and {key!r}")
        self.ignored = {normalize_header("错误说明"), normalize_header(errors_header())}

    def match(self, name: str, group: str) -> str | None:
        normalized = normalize_header(name)
        # A remark in brackets ("年收入（元）", "姓名(必填)") or brackets around the name ("【备注】") are not
        # part of the name.
        candidates = [
            normalized,
            _BRACKETED.sub("", normalized),
            normalized.replace("(", "").replace(")", ""),
        ]
        if group:
            candidates.insert(0, normalize_header(group) + "/" + normalized)
        for candidate in candidates:
            key = self.names.get(candidate)
            if key is not None:
                return key
        return None


@dataclass
class _HeaderCell:
    index: int
    text: str
    group: str


def _find_table(
    path: Path, sheet: python_calamine.CalamineSheet, lookup: _Lookup, required: list[str]
) -> Table | None:
    start = sheet.start
    if start is None:
        return None
    first_col = start[1]
    preview: list[list[Any]] = []
    for row in sheet.iter_rows():
        preview.append(row)
        # One more row than the search window, to recognise a row of column numbers under the header.
        if len(preview) > HEADER_SEARCH_ROWS:
            break
    ranges = sheet.merged_cell_ranges
    # None: the format does not record merges (.ods), so they are inferred from blank cells.
    merges = None if ranges is None else [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in ranges]
    best: tuple[int, list[_HeaderCell], tuple[int, ...]] | None = None
    for row_index in range(min(HEADER_SEARCH_ROWS, len(preview))):
        cells = _header_cells(preview, row_index, first_col)
        if not cells:
            continue
        score = _score(cells, lookup)
        header_rows: tuple[int, ...] = (row_index + 1,)
        if row_index > 0:
            combined = _two_row_header(preview, row_index, first_col, merges, lookup)
            # The upper row joins when it adds names or group labels; a title row above adds neither.
            if combined is not None and _score(combined, lookup) >= score:
                cells, score, header_rows = combined, _score(combined, lookup), (row_index, row_index + 1)
        if score and (best is None or score > best[0]):
            best = (score, cells, header_rows)
    if best is None:
        return None
    _best_score, cells, header_rows = best
    name_row = header_rows[-1]
    if header_rows[-1] < len(preview) and _is_column_numbers(preview[header_rows[-1]]):
        header_rows = (*header_rows, header_rows[-1] + 1)
    matched: dict[str, Column] = {}
    unknown: list[Column] = []
    duplicates: list[Column] = []
    for cell in cells:
        key = lookup.match(cell.text, cell.group)
        if key is None and normalize_header(cell.text) in lookup.ignored:
            continue
        column = Column(key or "", cell.index, column_letter(cell.index), cell.text, cell.group)
        if key is None:
            unknown.append(column)
        elif key in matched:
            duplicates.append(column)
        else:
            matched[key] = column
    last_header = header_rows[-1]
    return Table(
        path=path,
        sheet_name=sheet.name,
        header_rows=header_rows,
        columns=matched,
        unknown_columns=unknown,
        missing=[key for key in required if key not in matched],
        duplicates=duplicates,
        labels=lookup.labels,
        name_row=name_row,
        _sheet=sheet,
        _first_col=first_col,
        # Merges below the header, 0-based: household cells merged over the rows of its members.
        _merges=[merge for merge in merges or () if merge[0] >= last_header],
    )


def _score(cells: list[_HeaderCell], lookup: _Lookup) -> int:
    return len({key for cell in cells if (key := lookup.match(cell.text, cell.group))})


def _texts(row: list[Any], first_col: int) -> dict[int, str]:
    return {first_col + i: _header_text(value) for i, value in enumerate(row) if not is_blank(value)}


def _header_cells(preview: list[list[Any]], row_index: int, first_col: int) -> list[_HeaderCell]:
    """The header cells if row ``row_index`` alone is the header."""
    return [_HeaderCell(index, text, "") for index, text in _texts(preview[row_index], first_col).items()]


def _two_row_header(
    preview: list[list[Any]],
    row_index: int,
    first_col: int,
    merges: list[tuple[int, int, int, int]] | None,
    lookup: _Lookup,
) -> list[_HeaderCell] | None:
    """The header cells if rows ``row_index - 1`` and ``row_index`` form a two-row header, else ``None``.

    The upper row gives a column its name where the lower cell is blank (a name merged over both rows), and
    a group label to the columns under a label merged across them. Notes such as "填报日期：…" (they carry a
    colon) and a lone title are neither.
    """
    upper_row = row_index - 1
    lower = _texts(preview[row_index], first_col)
    upper = {
        index: text
        for index, text in _texts(preview[upper_row], first_col).items()
        if ":" not in unicodedata.normalize("NFKC", text)
    }
    if not upper or not lower:
        return None
    groups: dict[int, str] = {}
    vertical: set[int] = set()
    if merges is not None:
        for r0, c0, r1, c1 in merges:
            if r0 == upper_row and c0 in upper:
                if r1 >= row_index:
                    vertical.add(c0)
                elif c1 > c0 and not (len(upper) == 1 and c0 <= min(lower) and c1 >= max(lower)):
                    # (A lone label merged across the whole table is its title, not a group.)
                    groups.update(dict.fromkeys(range(c0, c1 + 1), upper[c0]))
    elif len(upper) > 1:
        # Without merge information (.ods) a label stands over the columns from its own up to the next label
        # or the next column named in the upper row.
        label = ""
        for index in range(min(*lower, *upper), max(*lower, *upper) + 1):
            if index in upper:
                label = upper[index] if index in lower else ""
            if index in lower and label:
                groups[index] = label
    cells: list[_HeaderCell] = []
    adds = False
    for index in sorted(set(lower) | set(upper)):
        if index in lower:
            cells.append(_HeaderCell(index, lower[index], groups.get(index, "")))
            adds = adds or index in groups
        elif (
            index in vertical
            or lookup.match(upper[index], "") is not None
            or (merges is None and len(upper) > 1)
        ):
            # Blank below and named above: the name stands in (or is merged over) both header rows.
            cells.append(_HeaderCell(index, upper[index], ""))
            adds = True
    return cells if adds else None


def _header_text(value: Any) -> str:
    text = cell_text(value)
    if not text:
        return ""
    # A line break inside a header cell wraps a long name; it is not part of the name.
    return re.sub(r"\s*\n\s*", "", text)


def _is_column_numbers(row: list[Any]) -> bool:
    """A row of column numbers under the header (1, 2, 3 … as in 栏次)."""
    numbers: list[int] = []
    for value in row:
        if is_blank(value):
            continue
        text = normalize_text(value)
        if not text.isdigit():
            return False
        numbers.append(int(text))
    return len(numbers) >= 3 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _picker(positions: list[int]) -> Callable[[list[Any]], tuple[Any, ...]]:
    if not positions:
        return lambda row: ()
    if len(positions) == 1:
        position = positions[0]
        return lambda row: (row[position],)
    return itemgetter(*positions)


def _row_kind(row: list[Any]) -> Literal["blank", "note", "data"]:
    """Blank (nothing but whitespace or placeholders), a note or total under the table, or data."""
    # Fast path first: calamine gives "" for every empty cell, so an empty row is a C-level count.
    if row.count("") == len(row):
        return "blank"
    first = next((value for value in row if value != "" and not is_blank(value)), None)
    if first is None:
        return "blank"
    # The first character decides cheaply for almost every row (names, numbers) that it is not a note.
    if isinstance(first, str) and first.strip()[:1] in _NOTE_INITIALS:
        text = normalize_text(first)
        if text in _TOTAL_LABELS:
            return "note"
        if text.startswith(_NOTE_PREFIXES) and sum(not is_blank(value) for value in row) <= 3:
            return "note"
    return "data"


class _MergeFill:
    """Copies the value of a merged range's top-left cell into the other cells of the range, row by row."""

    def __init__(self, merges: list[tuple[int, int, int, int]], *, first_col: int) -> None:
        self._merges = sorted(merges)
        self._starts = [merge[0] for merge in self._merges]
        self._first_col = first_col
        self._open: list[tuple[int, int, int, int, Any]] = []
        self.active = bool(self._merges)

    def apply(self, row_index: int, row: list[Any]) -> None:
        # Ranges starting at this row take their value from this row; earlier ones are already open.
        lo = bisect.bisect_left(self._starts, row_index)
        hi = bisect.bisect_right(self._starts, row_index)
        for r0, c0, r1, c1 in self._merges[lo:hi]:
            position = c0 - self._first_col
            value = row[position] if 0 <= position < len(row) else ""
            self._open.append((r0, c0, r1, c1, value))
        still_open = []
        for r0, c0, r1, c1, value in self._open:
            if row_index > r1:
                continue
            still_open.append((r0, c0, r1, c1, value))
            for index in range(max(c0, self._first_col), c1 + 1):
                position = index - self._first_col
                if position < len(row) and row[position] == "":
                    row[position] = value
        self._open = still_open


# --- writing ------------------------------------------------------------------------------------------------


class _Formats:
    """xlsxwriter formats, created once per combination of number format, fill and emphasis."""

    def __init__(self, workbook: Any) -> None:
        self._workbook = workbook
        self._cache: dict[tuple[str, str, str], Any] = {}

    def get(self, kind: str = "", level: str = "", style: str = "") -> Any:
        cache_key = (kind, level, style)
        if cache_key not in self._cache:
            properties: dict[str, Any] = {}
            if kind in _NUMBER_FORMATS:
                properties["num_format"] = _NUMBER_FORMATS[kind]
            elif kind.startswith("0"):
                properties["num_format"] = kind
            if level:
                properties.update(_FILLS[level])
            if style == "header":
                properties.update(bold=True, text_wrap=True, valign="vcenter", align="center", border=1)
            elif style == "title":
                properties.update(bold=True)
            elif style == "wrap":
                properties.update(text_wrap=True, valign="top")
            self._cache[cache_key] = self._workbook.add_format(properties) if properties else None
        return self._cache[cache_key]


def _write_value(
    worksheet: Any,
    row: int,
    col: int,
    value: Any,
    formats: _Formats,
    level: str = "",
    style: str = "",
    *,
    text: bool = False,
) -> None:
    """Write one cell with the method of its type; strings always as strings (never formulas or numbers).

    ``text`` gives strings and numbers the text format, so that what is typed into the cell later stays text
    (an ID number, a phone); a number keeps its value.
    """
    if text and isinstance(value, str | int | float | Decimal) and not isinstance(value, bool):
        if isinstance(value, str):
            worksheet.write_string(row, col, value, formats.get("text", level, style))
        else:
            worksheet.write_number(row, col, float(value), formats.get("text", level, style))
    elif isinstance(value, str):
        worksheet.write_string(row, col, value, formats.get("", level, style))
    elif isinstance(value, bool):
        worksheet.write_boolean(row, col, value, formats.get("", level, style))
    elif isinstance(value, int | float | Decimal):
        if isinstance(value, int) and abs(value) >= MAX_EXACT_FLOAT_INTEGER:
            worksheet.write_string(row, col, str(value), formats.get("", level, style))
            return
        number = float(value)
        if not math.isfinite(number):
            worksheet.write_string(row, col, str(value), formats.get("", level, style))
            return
        kind = "digits" if number.is_integer() and abs(number) >= 1e11 else ""
        exponent = value.as_tuple().exponent if isinstance(value, Decimal) else 0
        if isinstance(exponent, int) and exponent < 0:
            kind = "0." + "0" * -exponent
        worksheet.write_number(row, col, number, formats.get(kind, level, style))
    elif isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        kind = "date" if value.time() == dt.time(0, 0) else "datetime"
        worksheet.write_datetime(row, col, value, formats.get(kind, level, style))
    elif isinstance(value, dt.date):
        worksheet.write_datetime(row, col, value, formats.get("date", level, style))
    elif isinstance(value, dt.time):
        worksheet.write_datetime(row, col, value, formats.get("time", level, style))
    elif isinstance(value, dt.timedelta):
        worksheet.write_datetime(row, col, value, formats.get("duration", level, style))
    else:
        worksheet.write_string(row, col, str(value), formats.get("", level, style))


def _register_merge(worksheet: Any, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
    # merge_range() writes blanks into the rows below, which in constant_memory mode flushes the current row
    # and loses the cells still to be written in it; the merge is therefore recorded directly, after the
    # top-left value was written like any other cell.
    worksheet.merge.append([first_row, first_col, last_row, last_col])


def _display_width(text: str) -> int:
    # CJK characters take two columns' width in Excel's default font.
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _sheet_title(name: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "Sheet1"
    return cleaned[:EXCEL_MAX_SHEET_NAME]


def write_annotated_copy(
    source: str | Path,
    out_path: str | Path,
    *,
    problems: Iterable[LocatedProblem],
    table: Table,
    text_columns: Iterable[str] = (),
) -> None:
    """Write the table's sheet again with its problems marked, for the uploader to fix and upload again.

    Every cell keeps the value read from ``source`` (title and header rows too, with their merges); a cell
    with a problem is filled red (error) or yellow (warning) and carries the message as a comment; a final
    "错误说明" column lists each row's messages (an old one from an earlier copy is replaced). A second sheet
    "问题清单" lists every problem, also those not tied to a cell. ``text_columns`` are keys whose columns get
    the text format, so that an ID number typed again there is not turned into a number.
    """
    out_path = Path(out_path)
    problems = list(problems)
    by_row: dict[int, list[LocatedProblem]] = defaultdict(list)
    for problem in problems:
        if problem.sheet == table.sheet_name and problem.row >= 1:
            by_row[problem.row - 1].append(problem)
    workbook_in = _open_workbook(Path(source))
    sheet = workbook_in.get_sheet_by_name(table.sheet_name)
    first_col = (sheet.start or (0, 0))[1]
    end_col = (sheet.end or (0, 0))[1]
    header_index = {row - 1 for row in table.header_rows}
    top_header, last_header = min(header_index), max(header_index)
    # An explanation column left from an earlier annotated copy is rewritten, not kept beside the new one.
    ignored = {normalize_header("错误说明"), normalize_header(errors_header())}
    old_column = next(
        (
            first_col + i
            for row_index, row in enumerate(sheet.iter_rows())
            if row_index in header_index
            for i, value in enumerate(row)
            if normalize_header(cell_text(value)) in ignored
        ),
        None,
    )
    note_col = old_column if old_column is not None else end_col + 1
    merges = [
        (r0, c0, r1, c1)
        for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])
        if not c0 <= note_col <= c1
    ]
    merges_by_row: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for merge in merges:
        merges_by_row[merge[0]].append(merge)
    levels, comments = _cell_marks(by_row, merges)

    workbook = xlsxwriter.Workbook(str(out_path), {"constant_memory": True})
    try:
        formats = _Formats(workbook)
        worksheet = workbook.add_worksheet(_sheet_title(table.sheet_name))
        text_cols = _set_widths(worksheet, table, formats, text_columns)
        worksheet.set_column(note_col, note_col, 60)
        for row_index, row in enumerate(sheet.iter_rows()):
            style = "header" if row_index in header_index else "title" if row_index < top_header else ""
            for i, value in enumerate(row):
                col = first_col + i
                if col == note_col:
                    continue
                level = levels.get((row_index, col), "")
                if value == "" and not level and style != "header":
                    continue
                # In a text column even a number (an ID Excel already rounded) gets the text format, so that
                # the clerk's correction typed into it stays text.
                in_text_column = col in text_cols and row_index > last_header
                _write_value(worksheet, row_index, col, value, formats, level, style, text=in_text_column)
            for r0, c0, r1, c1 in merges_by_row.get(row_index, ()):
                _register_merge(worksheet, r0, c0, r1, c1)
            if row_index == top_header:
                worksheet.write_string(row_index, note_col, errors_header(), formats.get("", "", "header"))
                if last_header > top_header:
                    _register_merge(worksheet, row_index, note_col, last_header, note_col)
            row_problems = by_row.get(row_index)
            if row_problems and row_index > last_header:
                level = "error" if any(p.level == "error" for p in row_problems) else "warning"
                worksheet.write_string(
                    row_index, note_col, _explain(row_problems), formats.get("", level, "wrap")
                )
            # Comments go on the cell Excel shows, so they are written when its row is.
            for col, text in comments.get(row_index, ()):
                worksheet.write_comment(row_index, col, text, {"x_scale": 2})
        worksheet.freeze_panes(last_header + 1, 0)
        _write_problem_list(workbook, formats, problems)
    except BaseException:
        workbook.close()
        out_path.unlink(missing_ok=True)
        raise
    workbook.close()


def _cell_marks(
    by_row: Mapping[int, list[LocatedProblem]], merges: list[tuple[int, int, int, int]]
) -> tuple[dict[tuple[int, int], str], dict[int, list[tuple[int, str]]]]:
    """The fill level and the comment text of each cell with problems, keyed by 0-based (row, column).

    A problem inside a merged range is put on the range's top-left cell, the only one Excel shows.
    """
    columns_by_row = {
        row: {column_index(p.column) for p in row_problems if p.column}
        for row, row_problems in by_row.items()
    }
    anchors: dict[tuple[int, int], tuple[int, int]] = {}
    for r0, c0, r1, c1 in merges:
        for row in range(r0, r1 + 1):
            for col in columns_by_row.get(row, ()):
                if c0 <= col <= c1:
                    anchors[(row, col)] = (r0, c0)
    levels: dict[tuple[int, int], str] = {}
    notes: dict[tuple[int, int], list[str]] = defaultdict(list)
    for row, row_problems in by_row.items():
        for problem in row_problems:
            if not problem.column:
                continue
            cell = (row, column_index(problem.column))
            cell = anchors.get(cell, cell)
            if levels.get(cell) != "error":
                levels[cell] = problem.level
            notes[cell].append(problem.message)
    comments: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for (row, col), messages in sorted(notes.items())[:MAX_COMMENTS]:
        comments[row].append((col, "\n".join(messages)))
    return levels, comments


def _set_widths(worksheet: Any, table: Table, formats: _Formats, text_columns: Iterable[str]) -> set[int]:
    """Column widths from the header texts; the text format on ``text_columns`` (their indexes returned)."""
    text_keys = set(text_columns)
    text_indexes: set[int] = set()
    for column in [*table.columns.values(), *table.unknown_columns, *table.duplicates]:
        width = min(max(_display_width(column.header) + 2, 8), 40)
        if column.key and column.key in text_keys:
            worksheet.set_column(column.index, column.index, max(width, 20), formats.get("text"))
            text_indexes.add(column.index)
        else:
            worksheet.set_column(column.index, column.index, width)
    return text_indexes


def _explain(problems: list[LocatedProblem]) -> str:
    lines = []
    # Errors first: they block the import; warnings only ask for a check.
    for problem in sorted(problems, key=lambda p: (p.level != "error", column_index(p.column or "A"))):
        text = (
            _("%(column)s列：%(message)s") % {"column": problem.column, "message": problem.message}
            if problem.column
            else problem.message
        )
        lines.append(text if problem.level == "error" else _("（提醒）%(text)s") % {"text": text})
    return "\n".join(lines)


def _write_problem_list(workbook: Any, formats: _Formats, problems: list[LocatedProblem]) -> None:
    worksheet = workbook.add_worksheet(_("问题清单"))
    # Short words get a context, so their translation here cannot clash with the same word elsewhere.
    headers = [
        pgettext("problem list", "工作表"),
        pgettext("problem list", "行号"),
        pgettext("problem list", "列"),
        pgettext("problem list", "级别"),
        pgettext("problem list", "说明"),
    ]
    for col, header in enumerate(headers):
        worksheet.write_string(0, col, header, formats.get("", "", "header"))
    worksheet.set_column(0, 0, 16)
    worksheet.set_column(1, 3, 8)
    worksheet.set_column(4, 4, 80)
    levels = {"error": pgettext("problem level", "错误"), "warning": pgettext("problem level", "提醒")}
    ordered = sorted(problems, key=lambda p: (p.sheet, p.row, column_index(p.column or "A"), p.level))
    for row_index, problem in enumerate(ordered[: EXCEL_MAX_ROWS - 1], start=1):
        worksheet.write_string(row_index, 0, problem.sheet)
        if problem.row > 0:
            worksheet.write_number(row_index, 1, problem.row)
        if problem.column:
            worksheet.write_string(row_index, 2, problem.column)
        worksheet.write_string(row_index, 3, levels[problem.level], formats.get("", problem.level, ""))
        worksheet.write_string(row_index, 4, problem.message)
    worksheet.freeze_panes(1, 0)


class StreamingWriter:
    """Write a large table row by row to an .xlsx file with constant memory.

    ``with StreamingWriter(path, sheet_name="农户信息", headers=[...], text_columns={"身份证号码"}) as out:
    out.write_row([...])``. Dates are written as dates shown ``yyyy-mm-dd``; values in ``text_columns``
    (header names or 0-based indexes) as text, whatever their type, and integers too large for Excel's floats
    always as text, so ID numbers keep every digit. Past Excel's row limit the rows continue on a new sheet
    with the same header (``max_rows`` lowers that limit). On an exception the partial file is removed.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        sheet_name: str,
        headers: Sequence[str],
        text_columns: Iterable[str | int] = (),
        title: str = "",
        max_rows: int = EXCEL_MAX_ROWS,
    ) -> None:
        self.path = Path(path)
        self.sheet_name = sheet_name
        self.headers = list(headers)
        self.title = title
        self.max_rows = max_rows
        wanted = set(text_columns)
        self._text = {i for i, header in enumerate(self.headers) if i in wanted or header in wanted}
        self._workbook = xlsxwriter.Workbook(str(self.path), {"constant_memory": True})
        self._formats = _Formats(self._workbook)
        self._worksheet: Any = None
        self._row = 0
        self._sheets = 0
        self.rows_written = 0
        self._closed = False
        self._new_sheet()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
        if exc_type is not None:
            self.path.unlink(missing_ok=True)

    def write_row(self, values: Sequence[Any]) -> None:
        """Append one row; ``None`` and ``""`` leave the cell empty."""
        if len(values) > len(self.headers):
            raise ValueError(f"row has {len(values)} values for {len(self.headers)} columns")
        if self._row >= self.max_rows:
            self._new_sheet()
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if col in self._text:
                _write_value(self._worksheet, self._row, col, cell_text(value), self._formats, text=True)
            else:
                _write_value(self._worksheet, self._row, col, value, self._formats)
        self._row += 1
        self.rows_written += 1

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> int:
        """Append many rows; returns how many."""
        count = 0
        for values in rows:
            self.write_row(values)
            count += 1
        return count

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._workbook.close()

    def _new_sheet(self) -> None:
        self._sheets += 1
        name = self.sheet_name if self._sheets == 1 else f"{self.sheet_name}（{self._sheets}）"
        worksheet = self._workbook.add_worksheet(_sheet_title(name))
        self._worksheet = worksheet
        self._row = 0
        if self.title:
            title_format = self._formats.get("", "", "title")
            if len(self.headers) > 1:
                worksheet.merge_range(0, 0, 0, len(self.headers) - 1, self.title, title_format)
            else:
                worksheet.write_string(0, 0, self.title, title_format)
            self._row = 1
        header_format = self._formats.get("", "", "header")
        for col, header in enumerate(self.headers):
            worksheet.write_string(self._row, col, header, header_format)
            width = min(max(_display_width(header) + 2, 8), 40)
            if col in self._text:
                worksheet.set_column(col, col, max(width, 20), self._formats.get("text"))
            else:
                worksheet.set_column(col, col, width)
        worksheet.freeze_panes(self._row + 1, 0)
        self._row += 1

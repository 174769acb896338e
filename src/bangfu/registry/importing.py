"""Excel import of households in the national layout (``bangfu import-households``, the upload page).

A run is tracked as an ``ImportRun`` (CONVENTIONS §25) and goes: pending → running → rejected (any error:
nothing written) / checked (a dry run without errors) / succeeded / failed (an unexpected exception:
nothing written, the message kept). ``processed_rows`` advances while the rows are validated and is
committed outside the write transaction, so the upload page's progress bar can read it.

What happens, in order (DESIGN.md §4.8: validate everything first, then write all or nothing):

1. read the first sheet with ``core.spreadsheets.read_table`` (title rows, two-row headers, header
   synonyms from ``registry.layout``); unknown columns are reported as warnings;
2. parse every cell (``core.cellvalues`` through the layout's parsers, memoised per distinct value since
   a column of 100,000 rows holds a few hundred distinct dates and a handful of spellings), group rows into
   households by 户编号 (rows without one: a 户主 row starts a household, the rows after it join it);
3. check each household with the rules every form uses (``registry.validation``): members, composition,
   household; then what only a file can get wrong: household fields that differ between a household's
   rows, 家庭人口数 against the rows, typed 家庭纯收入/人均纯收入 against the components (a warning naming
   both figures; never stored), indicator flags against the detailed values, the village resolved inside
   the importing user's scope, and the same person twice — in the file, or already a current member of
   another household that this file does not list (the message names both households);
4. compare with the database: a household is found by 户编号 (or, without one, by its members' blind
   indexes), a member by the blind index of the ID number; only what differs is written, so importing the
   same file twice changes nothing the second time;
5. write with bulk operations in one transaction: households, members (joining, changed, leaving —
   a member the file no longer lists leaves the household), the income statement of the year (one line
   per component typed, totals as the services keep them), indicator observations that change the
   household's state, programme enrolments (低保, 特困供养), employment, the household's year snapshot;
   and one audit event per created or changed household, plus one event for the run with the file's SHA-256.

Every problem is located: sheet, Excel row, column letter, a Chinese message (``ImportRun.problems``), and
an annotated copy of the workbook marks them (``errors_path``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import logging
import operator
import re
import secrets
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.core import cellvalues, crypto, idnumbers, spreadsheets
from bangfu.core.bulkwrite import BulkRows, chunks, write_cache
from bangfu.core.masking import mask_id_number
from bangfu.regions.codes import Level, is_valid_code, level_of
from bangfu.regions.models import Region
from bangfu.regions.scoping import code_visible_to
from bangfu.registry import access, income, layout, validation
from bangfu.registry.models import (
    PROBLEM_VALUES,
    ZERO,
    Employment,
    Household,
    HouseholdStatus,
    HouseholdYear,
    ImportRun,
    ImportStatus,
    IncomeLine,
    IncomeStatement,
    IndicatorObservation,
    IndicatorValue,
    LeftReason,
    Member,
    PeriodKind,
    ProgrammeEnrolment,
    ProgrammeKind,
    Relation,
    Source,
    WorkChannel,
)

if TYPE_CHECKING:
    from bangfu.accounts.models import User

logger = logging.getLogger(__name__)

KIND: Final = "registry.households"
IMPORT_DIR: Final = "imports"
# How often (in rows) validation commits its progress for the progress bar.
PROGRESS_EVERY: Final = 2000
# Rows per bulk statement and ids per IN list (SQLite allows 32,766 variables per statement).
BATCH: Final = 1000
# A typed per-capita income rounded to whole yuan is not a mismatch.
PER_CAPITA_TOLERANCE: Final = Decimal("0.5")
CENT: Final = Decimal("0.01")
MAX_FILE_NAME: Final = 150
_UNSAFE_FILE_CHARACTERS: Final = re.compile(r'[\\/:*?"<>|\x00-\x1f]')

# Members' programme flags -> the programme kind recorded for them.
PROGRAMME_FLAGS: Final = {
    "dibao": ProgrammeKind.DIBAO,
    "extreme_poverty_support": ProgrammeKind.EXTREME_POVERTY_SUPPORT,
}
PROGRAMME_LABELS: Final = {kind: ProgrammeKind(kind).label for kind in PROGRAMME_FLAGS.values()}


def _defaults(model: type[models.Model], names: Iterable[str]) -> dict[str, Any]:
    """The model's default value of each field: what a blank cell of a present column stands for."""
    fields = {f.name: f for f in model._meta.concrete_fields}
    return {name: fields[name].get_default() for name in names}


MEMBER_DEFAULTS: Final = _defaults(Member, layout.MEMBER_FIELDS)
HOUSEHOLD_DEFAULTS: Final = _defaults(Household, layout.HOUSEHOLD_FIELDS)
EMPLOYMENT_DEFAULTS: Final = _defaults(Employment, layout.EMPLOYMENT_FIELDS.values())


# --- the run: starting it, where its files live ------------------------------------------------------------


def prepare_import(
    *, by: User, path: Path, file_name: str, dry_run: bool, year: int | None = None
) -> ImportRun:
    """Store the uploaded file under ``MEDIA_ROOT/imports`` and create a pending run (no work done yet).

    The run's region is the importing user's own region: it is their scope that the rows must lie in.
    Raises ``PermissionDenied`` for a user who may not import. ``year`` (``--year``) is the default year of
    the income statements, kept in ``summary`` until the run starts.
    """
    if not access.can_import(by) or by.region_id is None:
        raise PermissionDenied(_("您没有导入农户信息的权限。"))
    return store_upload(
        by=by,
        path=path,
        file_name=file_name,
        kind=KIND,
        dry_run=dry_run,
        summary={"year": year} if year is not None else {},
    )


def store_upload(
    *, by: User, path: Path, file_name: str, kind: str, dry_run: bool, summary: dict[str, Any] | None = None
) -> ImportRun:
    """Copy an uploaded file under ``MEDIA_ROOT/imports`` (with its SHA-256) and create its pending
    ``ImportRun`` of ``kind`` in the uploader's region — for every importer (households, department data …);
    the caller has checked the permission."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    # The uploader's file name is kept (in a directory of its own), so messages and downloads name it.
    name = (
        _UNSAFE_FILE_CHARACTERS.sub("_", Path(file_name).name).strip(". ")[-MAX_FILE_NAME:] or "upload.xlsx"
    )
    relative = f"{IMPORT_DIR}/{secrets.token_hex(12)}/{name}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    return ImportRun.objects.create(
        kind=kind,
        region_code=str(by.region_id or ""),
        file_name=Path(file_name).name[:255],
        file_sha256=digest.hexdigest(),
        stored_file=relative,
        dry_run=dry_run,
        created_by=by,
        summary=summary or {},
    )


def write_upload(upload: Any, directory: Path) -> Path:
    """An uploaded file (Django's ``UploadedFile``) written to a file of our own in ``directory`` (small
    uploads live only in memory), for the importers to read."""
    path = directory / f"upload{Path(upload.name or '').suffix.lower()}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


def start_import(
    *, by: User, path: Path, file_name: str, dry_run: bool, year: int | None = None
) -> ImportRun:
    """Store the file, create the run and enqueue ``tasks.run_import`` once the transaction commits.

    Side effects: the stored file, one ``ImportRun`` (pending), one queued task.
    """
    from bangfu.registry import tasks

    run = prepare_import(by=by, path=path, file_name=file_name, dry_run=dry_run, year=year)
    transaction.on_commit(lambda: tasks.run_import.enqueue(run.pk))
    return run


def stored_path(run: ImportRun) -> Path:
    return Path(settings.MEDIA_ROOT) / run.stored_file


def errors_path(run: ImportRun) -> Path | None:
    """The annotated copy of the workbook (an error column, bad cells red, warnings yellow), if written."""
    if not run.errors_file:
        return None
    path = Path(settings.MEDIA_ROOT) / run.errors_file
    return path if path.is_file() else None


def location_text(problem: Mapping[str, Any]) -> str:
    """“工作表 Sheet1 第12行 F列”: where a problem is, as the CLI prints it and the pages show it."""
    parts = []
    if problem.get("sheet"):
        parts.append(_("工作表 %(sheet)s") % {"sheet": problem["sheet"]})
    if problem.get("row"):
        parts.append(_("第%(row)d行") % {"row": problem["row"]})
    if problem.get("column"):
        parts.append(_("%(column)s列") % {"column": problem["column"]})
    return " ".join(parts)


def problem_lines(run: ImportRun) -> list[str]:
    """The run's problems as the import commands print them: “[错误] 工作表 Sheet1 第12行 F列：…”."""
    lines = []
    for problem in run.problems:
        level = _("错误") if problem["level"] == "error" else _("警告")
        where = location_text(problem)
        lines.append(
            f"[{level}] {where}：{problem['message']}" if where else f"[{level}] {problem['message']}"
        )
    return lines


def rejection_text(run: ImportRun) -> str:
    return _("导入未通过：%(errors)d个错误，%(warnings)d个警告；未写入任何数据") % {
        "errors": run.error_count,
        "warnings": run.warning_count,
    }


# --- the work -----------------------------------------------------------------------------------------------


def import_households(*, run: ImportRun, on: dt.date | None = None, year: int | None = None) -> ImportRun:
    """Validate the run's file and, when nothing is wrong and it is no dry run, write it (module docstring).

    ``on`` is the import date (default: today in Asia/Shanghai): members joining or leaving, programmes
    starting and indicators without a 核查日期 are dated with it. ``year`` overrides the run's stored
    default year of the income statements.

    Side effects: the run's status, progress, problems, summary and annotated workbook; when it succeeds,
    the registry rows and their audit events; always one audit event for the run itself.
    """
    on = on or timezone.localdate()
    if year is None and isinstance(run.summary, dict):
        year = run.summary.get("year")
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), processed_rows=0
    )
    run.refresh_from_db()
    try:
        with _cyclic_gc_paused():
            _Importer(run=run, on=on, year=year).execute()
    except Exception as exc:
        # Nothing was written (the write is one transaction); the run says why for the page and the CLI.
        logger.exception("import run %s failed", run.pk)
        message = _("系统错误，导入未完成，未写入任何数据：%(error)s") % {
            "error": f"{type(exc).__name__}: {exc}"
        }
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.FAILED,
            problems=[{"sheet": "", "row": 0, "column": "", "level": "error", "message": message[:1000]}],
            error_count=1,
            finished_at=timezone.now(),
        )
        run.refresh_from_db()
        audit_run(run)
    return run


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during a run. A large file makes millions of short-lived
    dicts and tuples without reference cycles (reference counting frees them); the collector would still
    walk every live object again and again as they pile up — a quarter of the import's CPU time at 100,000
    members (bench/registry_import.py). It is switched back on however the run ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def audit_run(run: ImportRun) -> None:
    """The run's own audit event: who imported which file (its SHA-256) with what outcome."""
    events.created(
        actor=run.created_by,
        obj=run,
        after={
            "kind": run.kind,
            "file_name": run.file_name,
            "file_sha256": run.file_sha256,
            "dry_run": run.dry_run,
            "status": run.status,
            "total_rows": run.total_rows,
            "error_count": run.error_count,
            "warning_count": run.warning_count,
            "summary": run.summary,
        },
    )


# --- what the file says ------------------------------------------------------------------------------------


@dataclass(slots=True)
class FileMember:
    """One member row: typed values by layout key (blank cells absent)."""

    row: int
    values: dict[str, Any]
    id_number: str = ""
    index: str = ""
    # The registry row this person is (or becomes): set when planning and writing.
    member_id: int | None = None
    # Keys whose cell could not be read (already reported): not reported again as empty.
    unreadable: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return str(self.values.get("name") or "")


@dataclass(slots=True)
class FileHousehold:
    """The rows of one household and the household-level values merged from them."""

    key: str
    first_row: int
    values: dict[str, Any] = field(default_factory=dict)
    # key -> (row, raw cell) the value was taken from, to name both cells when another row disagrees.
    origin: dict[str, tuple[int, Any]] = field(default_factory=dict)
    members: list[FileMember] = field(default_factory=list)
    # key -> the raw cell that could not be read, so that a bad value repeated on every row is reported once
    bad: dict[str, Any] = field(default_factory=dict)
    # The household cells of its first row and their types: an identical later row needs no work.
    first_cells: tuple[tuple[Any, ...], tuple[type, ...]] | None = None
    village: str = ""
    existing_id: int | None = None

    @property
    def number(self) -> str:
        return str(self.values.get("household_number") or "")

    @property
    def head_name(self) -> str:
        heads = [m.name for m in self.members if m.values.get("relation") == Relation.HEAD]
        return heads[0] if heads else "—"

    def label(self) -> str:
        """户编号 X（户主 Y） or, without a number, the row the household starts on."""
        if self.number:
            return _("户编号 %(number)s（户主%(head)s）") % {"number": self.number, "head": self.head_name}
        return _("第%(row)d行起的农户（户主%(head)s）") % {"row": self.first_row, "head": self.head_name}


@dataclass
class _Spec:
    """How one present column is parsed (precomputed for the hot loop)."""

    key: str
    household: bool
    parse: Callable[[Any], Any]
    cache: dict[Any, Any] | None


# --- what changes -------------------------------------------------------------------------------------------


Row = dict[str, Any]


@dataclass
class _Plan:
    """Every row to write, computed before the write transaction starts. New rows are dicts of field
    attnames; their foreign keys to rows that do not exist yet are set by ``_Writer`` once those exist."""

    new_households: list[tuple[FileHousehold, Row]] = field(default_factory=list)
    household_updates: list[tuple[int, Row]] = field(default_factory=list)  # (id, changed fields)
    leaves: list[tuple[int, str]] = field(default_factory=list)  # (member id, reason)
    member_updates: list[tuple[int, Row, bool]] = field(default_factory=list)  # (id, changes, demoted head)
    new_members: list[tuple[FileHousehold, Row, FileMember]] = field(default_factory=list)
    # (household, statement values, lines (component, item, amount, note), id of the statement replaced)
    statements: list[tuple[FileHousehold, Row, list[tuple[str, str, Decimal, str]], int | None]] = field(
        default_factory=list
    )
    # (household, (indicator, value, is_problem, observed_on))
    indicators: list[tuple[FileHousehold, tuple[str, str, bool, dt.date]]] = field(default_factory=list)
    programme_starts: list[tuple[FileHousehold, FileMember, Row]] = field(default_factory=list)
    programme_ends: list[tuple[int, Row]] = field(default_factory=list)
    programme_grades: list[tuple[int, Row]] = field(default_factory=list)
    employment_new: list[tuple[FileHousehold, FileMember, Row]] = field(default_factory=list)
    employment_updates: list[tuple[int, Row]] = field(default_factory=list)
    employment_ends: list[tuple[int, Row]] = field(default_factory=list)
    years: list[tuple[FileHousehold, Row, int | None]] = field(default_factory=list)  # (…, id if updated)
    # household key -> audit (before, after) of a changed household, and its row for the event
    changes: dict[str, tuple[Row, Row]] = field(default_factory=dict)
    changed_rows: dict[str, Row] = field(default_factory=dict)
    created_after: dict[str, Row] = field(default_factory=dict)

    def summary(self, unchanged: int) -> dict[str, int]:
        return {
            "households_created": len(self.new_households),
            "households_updated": len(self.changes),
            "households_unchanged": unchanged,
            "members_created": len(self.new_members),
            "members_updated": len(self.member_updates),
            "members_left": len(self.leaves),
            "statements": len(self.statements),
            "indicators": len(self.indicators),
            "programmes_started": len(self.programme_starts),
            "programmes_ended": len(self.programme_ends),
            "programmes_changed": len(self.programme_grades),
            "employments_created": len(self.employment_new),
            "employments_updated": len(self.employment_updates),
            "employments_ended": len(self.employment_ends),
            "household_years": len(self.years),
        }


@dataclass
class _Existing:
    """What the database holds for the households the file matches, as plain values (no model instances:
    a re-import compares 100,000 members)."""

    households: dict[int, Row] = field(default_factory=dict)
    members: dict[int, list[Row]] = field(default_factory=lambda: defaultdict(list))
    programmes: dict[tuple[int, str], Row] = field(default_factory=dict)  # (member id, kind)
    employments: dict[int, Row] = field(default_factory=dict)  # member id -> open employment
    statements: dict[tuple[int, int], Row] = field(default_factory=dict)  # (household id, year)
    lines: dict[int, list[tuple[str, str, Decimal, str]]] = field(default_factory=lambda: defaultdict(list))
    indicators: dict[tuple[int, str], list[tuple[dt.date, int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    years: dict[tuple[int, int], Row] = field(default_factory=dict)  # (household id, year)


class _Importer:
    """One run's work; see the module docstring. Holds the parsed file between the steps."""

    def __init__(self, *, run: ImportRun, on: dt.date, year: int | None) -> None:
        self.run = run
        self.on = on
        self.default_year = year
        self.user: User | None = run.created_by
        self.problems: list[spreadsheets.LocatedProblem] = []
        self.households: dict[str, FileHousehold] = {}
        self.table: spreadsheets.Table | None = None
        self.sheet = ""
        self.present: set[str] = set()
        # blind index -> the id of the household of this file it is a current member of (check_database)
        self.current_homes: dict[str, int] = {}
        # Cells holding a masked ID number or phone (a masked export imported again): summed up once.
        self.masked = 0

    # --- problems -------------------------------------------------------------------------------------

    def problem(self, row: int, key: str, message: str, level: validation.Level = "error") -> None:
        column = self.table.columns.get(key) if self.table is not None and key else None
        self.problems.append(
            spreadsheets.LocatedProblem(
                sheet=self.sheet,
                row=row,
                column=column.letter if column else "",
                level=level,
                message=message,
            )
        )

    @property
    def error_count(self) -> int:
        return sum(1 for p in self.problems if p.level == "error")

    # --- the steps ------------------------------------------------------------------------------------

    def execute(self) -> None:
        if self.user is None or not access.can_import(self.user):
            self.problems.append(
                spreadsheets.LocatedProblem(
                    sheet="", row=0, column="", level="error", message=_("您没有导入农户信息的权限。")
                )
            )
            self.finish(None)
            return
        if not self.read():
            if self.table is not None:
                # Refused on its header: the run still records how many data rows the sheet has.
                self.set_total_rows(self.table.row_count)
        else:
            self.parse_rows()
            # Every cell is read: the parsed sheet (hundreds of MiB for a large file) is released now.
            if self.table is not None:
                self.table.close()
            self.check_households()
            self.check_database()
        self.commit_progress(self.run.total_rows)
        plan: _Plan | None = None
        if self.error_count == 0:
            plan = self.plan()
        self.finish(plan)

    def read(self) -> bool:
        """Open the workbook and find the columns; False when nothing more can be checked."""
        try:
            self.table = spreadsheets.read_table(
                stored_path(self.run), columns=layout.column_synonyms(), required=layout.REQUIRED
            )
        except spreadsheets.SpreadsheetError as exc:
            self.problems.append(
                spreadsheets.LocatedProblem(sheet="", row=0, column="", level="error", message=str(exc))
            )
            return False
        table = self.table
        self.sheet = table.sheet_name
        self.present = set(table.columns)
        header_row = table.name_row or table.header_rows[-1]
        # For the progress bar until the rows are read (a pass to count them exactly would read the sheet
        # twice); parse_rows sets the exact count.
        self.set_total_rows(table.row_estimate)
        # Missing required and duplicated columns (errors), unknown columns (warnings: not imported).
        self.problems.extend(table.header_problems())
        if not {"region_code", "village_name"} & self.present:
            self.problems.append(
                spreadsheets.LocatedProblem(
                    sheet=self.sheet,
                    row=header_row,
                    column="",
                    level="error",
                    message=_("缺少所在村：须有“行政区划代码”列或“行政村”列"),
                )
            )
        return self.error_count == 0

    def set_total_rows(self, total: int) -> None:
        # A plain UPDATE in autocommit, like the progress: the page polling the run reads it at once.
        ImportRun.objects.filter(pk=self.run.pk).update(total_rows=total)
        self.run.total_rows = total

    def commit_progress(self, processed: int) -> None:
        # A plain UPDATE in autocommit: visible at once to the page polling the run.
        ImportRun.objects.filter(pk=self.run.pk).update(processed_rows=processed)

    def parse_rows(self) -> None:
        """Parse every cell and group the rows into households (module docstring, step 2).

        This loop runs once per cell of the file, so it avoids work per cell: a household's cells repeat on
        each of its rows, and when a row repeats all of them (compared as one tuple) they are skipped; the
        member columns with few distinct values (sex, relation, flags, code tables) are parsed once per
        distinct combination of values; the other cells go through a per-column memo.
        """
        table = self.table
        if table is None:
            return
        specs = {
            key: _Spec(
                key=key,
                household=layout.BY_KEY[key].level == "household",
                parse=layout.BY_KEY[key].parse,
                cache={} if layout.BY_KEY[key].cached else None,
            )
            for key in table.columns
        }
        number_spec = specs.get("household_number")
        relation_spec = specs.get("relation")
        household_specs = [s for s in specs.values() if s.household and s.key != "household_number"]
        coded = [
            s for s in specs.values() if not s.household and s.cache is not None and s.key not in VARIED_KEYS
        ]
        other_specs = [s for s in specs.values() if not s.household and s not in coded]
        pick_household = _picker([s.key for s in household_specs])
        pick_coded = _picker([s.key for s in coded])
        signatures: dict[tuple[Any, ...], tuple[tuple[type, ...], dict[str, Any], list[tuple[str, Any]]]] = {}
        unnumbered: FileHousehold | None = None
        processed = 0
        for sheet_row in table.rows():
            row, cells = sheet_row.number, sheet_row.values
            household = self.household_of(row, cells, number_spec, relation_spec, unnumbered)
            if not household.number:
                unnumbered = household
            # Household fields: nothing to do when the row repeats the household's first row (all merged
            # there already); any other row is compared cell by cell, so every row that disagrees is reported.
            repeated = pick_household(cells)
            first = (repeated, tuple(map(type, repeated)))
            if household.first_cells is None:
                household.first_cells = first
                self.household_cells(household, row, cells, household_specs)
            elif household.first_cells != first:
                self.household_cells(household, row, cells, household_specs)
            # member fields
            member = FileMember(row=row, values={})
            signature = pick_coded(cells)
            known = signatures.get(signature)
            signature_types = tuple(map(type, signature))
            if known is None or known[0] != signature_types:
                known = (signature_types, *self.member_cells(coded, cells))
                signatures.setdefault(signature, known)
            values, unreadable = known[1], known[2]
            member.values.update(values)
            for key, error in unreadable:
                member.unreadable.add(key)
                self.problem(row, key, f"{_header(key)}：{error}")
            for spec in other_specs:
                raw = cells[spec.key]
                if raw is None:
                    continue
                value = self.cell(spec, row, raw)
                if isinstance(value, cellvalues.CellError):
                    member.unreadable.add(spec.key)
                elif value is not None and value != "":
                    member.values[spec.key] = value
            household.members.append(member)
            processed += 1
            if processed % PROGRESS_EVERY == 0:
                self.commit_progress(processed)
        # The exact count of data rows (the estimate counted blank rows and notes too).
        self.set_total_rows(processed)
        if self.masked:
            # Each such cell is located below; this says once what they have in common and what to do.
            self.problems.append(
                spreadsheets.LocatedProblem(
                    sheet=self.sheet,
                    row=table.name_row or table.header_rows[-1],
                    column="",
                    level="error",
                    message=_(
                        "表中有%(count)d处身份证号码或电话号码已脱敏（含“*”），无法导入：这是未选“完整证件号码”"
                        "导出的文件，请导出完整号码后再导入"
                    )
                    % {"count": self.masked},
                )
            )

    def household_of(
        self,
        row: int,
        cells: Mapping[str, Any],
        number_spec: _Spec | None,
        relation_spec: _Spec | None,
        unnumbered: FileHousehold | None,
    ) -> FileHousehold:
        """The household a row belongs to: by its 户编号; without one, a 户主 row starts a household and the
        rows below it join it."""
        household_number = ""
        if number_spec is not None and cells["household_number"] is not None:
            parsed = self.cell(number_spec, row, cells["household_number"])
            household_number = parsed if isinstance(parsed, str) else ""
        if household_number:
            household = self.households.get(household_number)
            if household is None:
                household = self.households[household_number] = FileHousehold(household_number, row)
                household.values["household_number"] = household_number
                household.origin["household_number"] = (row, cells["household_number"])
            return household
        raw_relation = cells["relation"] if relation_spec is not None else None
        is_head = raw_relation is not None and self.parse_cell(relation_spec, raw_relation) == Relation.HEAD  # type: ignore[arg-type]
        if unnumbered is None or is_head:
            unnumbered = FileHousehold(f"#{row}", row)
            self.households[unnumbered.key] = unnumbered
        return unnumbered

    def household_cells(
        self, household: FileHousehold, row: int, cells: Mapping[str, Any], household_specs: Sequence[_Spec]
    ) -> None:
        origin = household.origin
        for spec in household_specs:
            raw = cells[spec.key]
            if raw is None:
                continue
            # The same cell as on an earlier row of the household was parsed and merged there already.
            seen = origin.get(spec.key)
            if seen is not None and seen[1].__class__ is raw.__class__ and seen[1] == raw:
                continue
            value = self.cell(spec, row, raw, household=household)
            if value is not None and value != "" and not isinstance(value, cellvalues.CellError):
                self.merge(household, row, spec.key, value, raw)

    def member_cells(
        self, specs: Sequence[_Spec], cells: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
        """Typed values of ``specs``' cells and the cells that could not be read (reported by the caller)."""
        values: dict[str, Any] = {}
        unreadable: list[tuple[str, Any]] = []
        for spec in specs:
            raw = cells[spec.key]
            if raw is None:
                continue
            value = self.parse_cell(spec, raw)
            if isinstance(value, cellvalues.CellError):
                unreadable.append((spec.key, value))
            elif value is not None and value != "":
                values[spec.key] = value
        return values, unreadable

    def cell(self, spec: _Spec, row: int, raw: Any, *, household: FileHousehold | None = None) -> Any:
        """The typed value of a cell; a cell that cannot be read is reported (once per household for a
        household field repeated on its rows) and its ``CellError`` returned."""
        value = self.parse_cell(spec, raw)
        if isinstance(value, cellvalues.CellError):
            if household is not None:
                if household.bad.get(spec.key) == raw:
                    return value
                household.bad[spec.key] = raw
            self.masked += isinstance(value, cellvalues.MaskedValue)
            self.problem(row, spec.key, f"{_header(spec.key)}：{value}")
        return value

    @staticmethod
    def parse_cell(spec: _Spec, raw: Any) -> Any:
        """The typed value of one cell, or the ``CellError``; memoised per distinct raw value."""
        cache = spec.cache
        if cache is None:
            try:
                return spec.parse(raw)
            except cellvalues.CellError as exc:
                return exc
        # Numbers carry their type in the key: True, 1 and 1.0 are equal dict keys but not the same cell.
        key = raw if raw.__class__ is str else (raw.__class__, raw)
        try:
            return cache[key]
        except KeyError:
            pass
        try:
            value = spec.parse(raw)
        except cellvalues.CellError as exc:
            value = exc
        cache[key] = value
        return value

    def merge(self, household: FileHousehold, row: int, key: str, value: Any, raw: Any) -> None:
        """Household fields repeat on each row (or stand in the first row of a merged cell); a row that
        says something else than an earlier row of the same household is an error at that cell."""
        if key not in household.values:
            household.values[key] = value
            household.origin[key] = (row, raw)
        elif household.values[key] != value:
            first_row, first_raw = household.origin[key]
            self.problem(
                row,
                key,
                _("同一户各行的“%(header)s”不一致：第%(first_row)d行为“%(first)s”，本行为“%(this)s”")
                % {
                    "header": _header(key),
                    "first_row": first_row,
                    "first": cellvalues.cell_text(first_raw),
                    "this": cellvalues.cell_text(raw),
                },
            )

    # --- per household: the shared rules -------------------------------------------------------------

    def check_households(self) -> None:
        villages = _VillageResolver(self.user, self.households.values())
        seen: dict[str, tuple[FileHousehold, FileMember]] = {}
        for household in self.households.values():
            village, message = villages.resolve(household.values)
            if message:
                key = "region_code" if "region_code" in household.values else "village_name"
                self.problem(household.origin.get(key, (household.first_row, None))[0], key, message)
            household.village = village
            self.check_members(household, seen)
            self.check_household_values(household)
            self.check_income(household)
            self.check_indicators(household)

    def check_members(
        self, household: FileHousehold, seen: dict[str, tuple[FileHousehold, FileMember]]
    ) -> None:
        on = self.on
        for member in household.members:
            values = member.values
            number = values.get("id_number", "")
            parsed: idnumbers.IdNumber | None = None
            if number and not ("sex" in values and "birth_date" in values):
                try:
                    parsed = idnumbers.parse(number, on=on)
                except idnumbers.InvalidIdNumber:
                    parsed = None  # reported by check_member below
                if parsed is not None:
                    # Sex and birth date are printed in the number; an empty cell takes them from there.
                    values.setdefault("sex", parsed.sex)
                    values.setdefault("birth_date", parsed.birth_date)
            for key in ("name", "relation"):
                if not values.get(key) and key not in member.unreadable:
                    self.problem(member.row, key, _("%(label)s不能为空") % {"label": _header(key)})
            if not number:
                for key in ("sex", "birth_date"):
                    if not values.get(key) and key not in member.unreadable:
                        self.problem(
                            member.row,
                            key,
                            _("%(label)s不能为空（也可填写身份证号码）") % {"label": _header(key)},
                        )
            valid_number = bool(number)
            for problem in validation.check_member(values, village_code=household.village, on=on):
                self.problem(member.row, problem.field, problem.message, problem.level)
                if problem.field == "id_number" and problem.level == "error":
                    valid_number = False
            if valid_number:
                # The layout stored the number normalised; check_member found it valid.
                member.id_number = number
                member.index = crypto.blind_index(number, kind="id_number")
                self.check_same_person(household, member, seen)
            if self.has_employment(values) and not values.get("work_place"):
                self.problem(member.row, "work_place", _("填写了务工信息时须填写务工所在地"))
            if values.get("dibao_grade") and not values.get("dibao"):
                self.problem(
                    member.row, "dibao_grade", _("填写了低保类别，但“享受低保政策情况”不是“是”"), "warning"
                )
        # Who is the head cannot be judged while a relation is unreadable (that cell is reported already).
        relations_known = not any("relation" in m.unreadable for m in household.members)
        for problem in validation.check_composition([m.values for m in household.members]):
            # A number twice in the household is located at its second row by check_same_person.
            if problem.field != "id_number" and relations_known:
                self.problem(household.first_row, problem.field, problem.message, problem.level)
        size = household.values.get("household_size")
        if size is not None and size != len(household.members):
            row = household.origin["household_size"][0]
            self.problem(
                row,
                "household_size",
                _("家庭人口数填写为%(size)d人，但本户在表中有%(rows)d行成员")
                % {"size": size, "rows": len(household.members)},
            )

    def check_same_person(
        self, household: FileHousehold, member: FileMember, seen: dict[str, tuple[FileHousehold, FileMember]]
    ) -> None:
        earlier = seen.get(member.index)
        if earlier is None:
            seen[member.index] = (household, member)
            return
        other, other_member = earlier
        masked = mask_id_number(member.id_number)
        if other is household:
            message = _("同一身份证号码 %(id)s 在本户出现两次：第%(first)d行%(a)s、本行%(b)s") % {
                "id": masked,
                "first": other_member.row,
                "a": other_member.name,
                "b": member.name,
            }
        else:
            message = _(
                "同一人不能同时是两户的成员：身份证号码 %(id)s 在第%(first)d行属于%(one)s，本行又属于%(two)s"
            ) % {"id": masked, "first": other_member.row, "one": other.label(), "two": household.label()}
        self.problem(member.row, "id_number", message)

    @staticmethod
    def has_employment(values: Mapping[str, Any]) -> bool:
        return any(key in values for key in layout.EMPLOYMENT_KEYS)

    def check_household_values(self, household: FileHousehold) -> None:
        values = {
            **HOUSEHOLD_DEFAULTS,
            **{k: v for k, v in household.values.items() if k in HOUSEHOLD_DEFAULTS},
        }
        for problem in validation.check_household(values):
            row = household.origin.get(problem.field, (household.first_row, None))[0]
            self.problem(row, problem.field, problem.message, problem.level)
        checked_on = household.values.get("checked_on")
        if checked_on is not None and checked_on > self.on:
            row = household.origin["checked_on"][0]
            self.problem(row, "checked_on", _("核查日期 %(day)s 晚于今天") % {"day": checked_on.isoformat()})

    def check_income(self, household: FileHousehold) -> None:
        """Typed 家庭纯收入 and 人均纯收入 are compared with what the components give (RULES §3.1)."""
        values = household.values
        if not any(key in values for key in layout.INCOME_COMPONENTS):
            for key in layout.COMPUTED_KEYS:
                if key in values:
                    self.problem(
                        household.origin[key][0],
                        key,
                        _("填写了“%(header)s”，但未填写任何收入构成，该值不保存")
                        % {"header": layout.BY_KEY[key].header},
                        "warning",
                    )
            return
        net = _net(values)
        typed_net = values.get("net_income")
        if typed_net is not None and typed_net != net:
            self.problem(
                household.origin["net_income"][0],
                "net_income",
                _("家庭纯收入填写为%(typed)s元，按各项收入计算应为%(computed)s元；以计算值为准")
                % {"typed": _money(typed_net), "computed": _money(net)},
                "warning",
            )
        typed_per_capita = values.get("net_income_per_capita")
        if typed_per_capita is not None and household.members:
            per_capita = _per_capita(net, len(household.members))
            if abs(typed_per_capita - per_capita) >= PER_CAPITA_TOLERANCE:
                self.problem(
                    household.origin["net_income_per_capita"][0],
                    "net_income_per_capita",
                    _(
                        "人均纯收入填写为%(typed)s元，按家庭纯收入%(net)s元、%(size)d人计算应为%(computed)s元；以计算值为准"
                    )
                    % {
                        "typed": _money(typed_per_capita),
                        "net": _money(net),
                        "size": len(household.members),
                        "computed": _money(per_capita),
                    },
                    "warning",
                )

    def check_indicators(self, household: FileHousehold) -> None:
        values = household.values
        for key, indicator in layout.INDICATOR_KEYS.items():
            if key in values:
                for problem in validation.check_indicator(indicator, values[key]):
                    self.problem(household.origin[key][0], key, problem.message, problem.level)
        grade = values.get("housing_grade")
        housing_problem = values.get("housing_problem")
        if grade and housing_problem is not None and (grade in PROBLEM_VALUES) != housing_problem:
            self.problem(
                household.origin["housing_problem"][0],
                "housing_problem",
                _("“住房出现安全问题”填写为“%(flag)s”，与住房安全鉴定等级%(grade)s级不符")
                % {"flag": layout.YES if housing_problem else layout.NO, "grade": grade},
            )
        elif housing_problem and not grade:
            self.problem(
                household.origin["housing_problem"][0],
                "housing_problem",
                _("住房出现安全问题，但未填写住房安全鉴定等级：请补充等级，否则住房指标不会记录"),
                "warning",
            )
        water = [values[key] for key in layout.WATER_KEYS if key in values]
        water_problem = values.get("water_problem")
        if water and water_problem is not None and (IndicatorValue.UNMET in water) != water_problem:
            self.problem(
                household.origin["water_problem"][0],
                "water_problem",
                _("“饮水出现安全问题”填写为“%(flag)s”，与水量、水质、用水方便程度、供水保证率的达标情况不符")
                % {"flag": layout.YES if water_problem else layout.NO},
            )
        elif water_problem and not water:
            self.problem(
                household.origin["water_problem"][0],
                "water_problem",
                _(
                    "饮水出现安全问题，但未填写水量、水质、用水方便程度、供水保证率中哪一项不达标，饮水指标不会记录"
                ),
                "warning",
            )

    # --- against the database -------------------------------------------------------------------------

    def check_database(self) -> None:
        """Households found by number, people already in other households (module docstring, step 3–4)."""
        user = self.user
        if user is None:
            return
        numbered = {h.number: h for h in self.households.values() if h.number}
        region_names: dict[str, str] = {}
        found: list[dict[str, Any]] = []
        for chunk in chunks(list(numbered), BATCH):
            rows = Household.objects.filter(household_number__in=chunk).values(
                "id", "household_number", "region_code", "status"
            )
            found += map(dict, rows)
        region_names.update(_names({row["region_code"] for row in found}))
        for row in found:
            household = numbered[row["household_number"]]
            if not code_visible_to(user, row["region_code"]):
                self.problem(
                    household.first_row,
                    "household_number",
                    _("户编号 %(number)s 已登记在%(village)s，不在您的管辖范围内")
                    % {"number": household.number, "village": region_names.get(row["region_code"], "")},
                )
            elif household.village and row["region_code"] != household.village:
                self.problem(
                    household.first_row,
                    "household_number",
                    _("户编号 %(number)s 已登记在%(village)s，与本表所填的村不一致；迁往他村请在系统中办理")
                    % {"number": household.number, "village": region_names.get(row["region_code"], "")},
                )
            elif row["status"] != HouseholdStatus.ACTIVE:
                self.problem(
                    household.first_row,
                    "household_number",
                    _("户编号 %(number)s 的农户已注销，不能导入") % {"number": household.number},
                )
            else:
                household.existing_id = row["id"]
        self.check_people_elsewhere()

    def check_people_elsewhere(self) -> None:
        """A person who is a current member of a household this file does not list is an error naming both;
        a household without a 户编号 is the existing household its members belong to."""
        user = self.user
        if user is None:
            return
        by_index: dict[str, tuple[FileHousehold, FileMember]] = {}
        for household in self.households.values():
            for member in household.members:
                if member.index:
                    by_index.setdefault(member.index, (household, member))
        current: list[dict[str, Any]] = []
        for chunk in chunks(list(by_index), BATCH):
            current += map(
                dict,
                Member.objects.current()
                .filter(id_number_index__in=chunk)
                .values("id_number_index", "household_id", "household__household_number", "region_code"),
            )
        # Households without a number: the existing household holding their members, when exactly one.
        for household in self.households.values():
            if household.number:
                continue
            homes = {
                row["household_id"]
                for row in current
                if by_index[row["id_number_index"]][0] is household
                and code_visible_to(user, row["region_code"])
            }
            if len(homes) == 1:
                household.existing_id = homes.pop()
            elif len(homes) > 1:
                self.problem(
                    household.first_row,
                    "id_number",
                    _("本户成员在系统中分属%(count)d户，无法确定对应哪一户；请填写户编号")
                    % {"count": len(homes)},
                )
        in_file = {h.existing_id for h in self.households.values() if h.existing_id is not None}
        # Where each person of the file lives now, when in a household of this file (a move, when it is
        # another one than the file says).
        self.current_homes = {
            row["id_number_index"]: row["household_id"] for row in current if row["household_id"] in in_file
        }
        elsewhere = [row for row in current if row["household_id"] not in in_file]
        if not elsewhere:
            return
        heads = dict(
            Member.objects.current()
            .filter(household_id__in={row["household_id"] for row in elsewhere}, relation=Relation.HEAD)
            .values_list("household_id", "name")
        )
        names = _names(
            {row["region_code"] for row in elsewhere}
            | {row["region_code"][:6] + "000000" for row in elsewhere}
        )
        for row in elsewhere:
            household, member = by_index[row["id_number_index"]]
            masked = mask_id_number(member.id_number)
            if code_visible_to(user, row["region_code"]):
                other = _("户编号 %(number)s（%(village)s，户主%(head)s）") % {
                    "number": row["household__household_number"] or f"#{row['household_id']}",
                    "village": names.get(row["region_code"], row["region_code"]),
                    "head": heads.get(row["household_id"], "—"),
                }
            else:
                # Outside the user's scope only the county is named: nothing about the other family leaks.
                county = row["region_code"][:6] + "000000"
                other = _("%(county)s的其他村（不在您的管辖范围内）") % {"county": names.get(county, county)}
            self.problem(
                member.row,
                "id_number",
                _(
                    "同一人不能同时是两户的成员：身份证号码 %(id)s 已是%(other)s的在户成员，"
                    "本表又将其列入%(this)s"
                )
                % {"id": masked, "other": other, "this": household.label()},
            )

    # --- the plan: what to write ----------------------------------------------------------------------

    def plan(self) -> _Plan:
        """Compare with the database a chunk of households at a time: only one chunk's existing rows are in
        memory, which keeps a re-import of a large file as small as its first import."""
        planner = _Planner(importer=self)
        for chunk in chunks(list(self.households.values()), BATCH):
            planner.existing = _load_existing([h.existing_id for h in chunk if h.existing_id is not None])
            for household in chunk:
                planner.household(household)
        return planner.result

    # --- finishing: write, record ---------------------------------------------------------------------

    def finish(self, plan: _Plan | None) -> None:
        run = self.run
        problems = sorted(self.problems, key=_problem_order)
        run.problems = [dataclasses.asdict(p) for p in problems]
        run.error_count = sum(1 for p in problems if p.level == "error")
        run.warning_count = len(problems) - run.error_count
        run.processed_rows = run.total_rows
        run.finished_at = timezone.now()
        summary: dict[str, Any] = {}
        if plan is not None:
            unchanged = sum(
                1 for h in self.households.values() if h.existing_id is not None and h.key not in plan.changes
            )
            summary = {**plan.summary(unchanged), "year": self.statement_year(None)}
        run.summary = summary
        if problems and self.table is not None:
            self.write_errors_file(problems)
        fields = [
            "problems",
            "error_count",
            "warning_count",
            "processed_rows",
            "finished_at",
            "summary",
            "errors_file",
            "status",
        ]
        if plan is None:
            run.status = ImportStatus.REJECTED
        elif run.dry_run:
            run.status = ImportStatus.CHECKED
        else:
            run.status = ImportStatus.SUCCEEDED
            with transaction.atomic():
                _Writer(importer=self, plan=plan).write()
                run.save(update_fields=fields)
                audit_run(run)
            return
        with transaction.atomic():
            run.save(update_fields=fields)
            audit_run(run)

    def write_errors_file(self, problems: Sequence[spreadsheets.LocatedProblem]) -> None:
        if self.table is None:
            return
        stored = Path(self.run.stored_file)
        relative = str(stored.with_name(f"{stored.stem}-errors.xlsx"))
        spreadsheets.write_annotated_copy(
            stored_path(self.run),
            Path(settings.MEDIA_ROOT) / relative,
            problems=problems,
            table=self.table,
            text_columns=layout.TEXT_KEYS,
        )
        self.run.errors_file = relative

    # --- dates of what is recorded --------------------------------------------------------------------

    def statement_year(self, household: FileHousehold | None) -> int:
        """年度 of the row, else ``--year``, else the last complete calendar year (RULES §3.2)."""
        if household is not None and household.values.get("year"):
            return int(household.values["year"])
        if self.default_year:
            return int(self.default_year)
        return income.income_window(on=self.on, kind=PeriodKind.CALENDAR_YEAR)[0].year

    def explicit_year(self, household: FileHousehold) -> int | None:
        """The year the file states (年度 column or ``--year``): only then is a year snapshot written."""
        if household.values.get("year"):
            return int(household.values["year"])
        return int(self.default_year) if self.default_year else None

    def observed_on(self, household: FileHousehold) -> dt.date:
        checked_on = household.values.get("checked_on")
        return checked_on if isinstance(checked_on, dt.date) else self.on


# Member columns with many distinct values: parsed each on its own, not as part of a row's signature.
VARIED_KEYS: Final = frozenset(
    {"birth_date", "work_started_on", "employer", "work_place_detail", "transport_subsidy", "work_months"}
)


def _picker(keys: Sequence[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function returning the values of ``keys`` as a tuple (``operator.itemgetter`` for any count)."""
    if not keys:
        return lambda cells: ()
    if len(keys) == 1:
        key = keys[0]
        return lambda cells: (cells[key],)
    return operator.itemgetter(*keys)


def _header(key: str) -> str:
    """A column's name as the layout writes it, for messages."""
    return layout.BY_KEY[key].header


def _net(values: Mapping[str, Any]) -> Decimal:
    return (
        values.get("wages", ZERO)
        + values.get("business", ZERO)
        + values.get("property", ZERO)
        + values.get("transfers", ZERO)
        - values.get("business_expenditure", ZERO)
    )


def _per_capita(net: Decimal, size: int) -> Decimal:
    # As the generated column computes it: ROUND(net / size, 2), half away from zero on both databases.
    return (net / size).quantize(CENT, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _problem_order(problem: spreadsheets.LocatedProblem) -> tuple[int, int, str]:
    return (problem.row, len(problem.column), problem.column)


def _names(codes: Iterable[str]) -> dict[str, str]:
    wanted = [c for c in set(codes) if c]
    names: dict[str, str] = {}
    for chunk in chunks(wanted, BATCH):
        names.update(Region.objects.filter(code__in=chunk).values_list("code", "name"))
    return names


# --- villages: by code or by names, inside the user's scope ------------------------------------------------


class _VillageResolver:
    """Resolves a household's 行政区划代码 or its 县/乡/村 names to a village, once per distinct value."""

    def __init__(self, user: User | None, households: Iterable[FileHousehold]) -> None:
        self.user = user
        self.cache: dict[tuple[str, str, str, str], tuple[str, str]] = {}
        codes: set[str] = set()
        village_names: set[str] = set()
        for household in households:
            if household.values.get("region_code"):
                codes.add(household.values["region_code"])
            if household.values.get("village_name"):
                village_names.add(household.values["village_name"])
        self.by_code = {
            r.code: r for chunk in chunks(list(codes), BATCH) for r in Region.objects.filter(code__in=chunk)
        }
        self.by_name: dict[str, list[Region]] = defaultdict(list)
        for chunk in chunks(list(village_names), BATCH):
            for region in Region.objects.filter(name__in=chunk, level=Level.VILLAGE):
                self.by_name[region.name].append(region)
        parents = {r.code[:9] + "000" for rs in self.by_name.values() for r in rs}
        parents |= {r.code[:6] + "000000" for rs in self.by_name.values() for r in rs}
        parents |= {c[:9] + "000" for c in self.by_code} | {c[:6] + "000000" for c in self.by_code}
        self.names = _names(parents)

    def resolve(self, values: Mapping[str, Any]) -> tuple[str, str]:
        """(village code, "") or ("", a Chinese message)."""
        county, town, village, code = (str(values.get(k) or "") for k in layout.REGION_KEYS)
        key = (county, town, village, code)
        if key not in self.cache:
            self.cache[key] = self._resolve(county, town, village, code)
        return self.cache[key]

    def in_scope(self, code: str) -> bool:
        return code_visible_to(self.user, code)

    def describe(self, region: Region) -> str:
        town = self.names.get(region.code[:9] + "000", "")
        return f"{town}{region.name}（{region.code}）"

    def _resolve(self, county: str, town: str, village: str, code: str) -> tuple[str, str]:
        if code:
            region = self.by_code.get(code)
            if region is None or not is_valid_code(code):
                return "", _("行政区划代码 %(code)s 不存在") % {"code": code}
            if level_of(code) != Level.VILLAGE:
                return "", _("行政区划代码 %(code)s 不是村级代码") % {"code": code}
            if not self.in_scope(code):
                return "", _("%(village)s不在您的管辖范围内，不能导入") % {"village": self.describe(region)}
            if village and village != region.name:
                return "", _("行政村“%(name)s”与行政区划代码 %(code)s（%(village)s）不一致") % {
                    "name": village,
                    "code": code,
                    "village": region.name,
                }
            return code, ""
        if not village:
            return "", _("未填写所在村（行政村或行政区划代码）")
        candidates = [
            r
            for r in self.by_name.get(village, [])
            if (not town or self.names.get(r.code[:9] + "000") == town)
            and (not county or self.names.get(r.code[:6] + "000000") == county)
        ]
        if not candidates:
            place = "".join(part for part in (county, town, village) if part)
            return "", _("找不到行政村“%(place)s”") % {"place": place}
        mine = [r for r in candidates if self.in_scope(r.code)]
        if len(mine) == 1:
            return mine[0].code, ""
        if len(mine) > 1:
            return "", _("有多个名为“%(name)s”的村：%(villages)s；请填写乡镇或行政区划代码") % {
                "name": village,
                "villages": "、".join(self.describe(r) for r in mine),
            }
        return "", _("%(village)s不在您的管辖范围内，不能导入") % {"village": self.describe(candidates[0])}


# --- loading what exists ------------------------------------------------------------------------------------

HOUSEHOLD_READ: Final = (
    "id",
    "region_code",
    "phone_index",
    *(f for f in layout.HOUSEHOLD_FIELDS if f != "phone"),
)
MEMBER_READ: Final = ("id", "household_id", "id_number_index", "joined_on", *layout.MEMBER_FIELDS)
EMPLOYMENT_READ: Final = ("id", "member_id", *layout.EMPLOYMENT_FIELDS.values())
STATEMENT_READ: Final = ("id", "household_id", "period_start", "household_size", *layout.INCOME_COMPONENTS)
YEAR_READ: Final = ("id", "household_id", "year", "household_type", "is_exited_poor", "relocated", "size")


def _load_existing(household_ids: Sequence[int]) -> _Existing:
    """The matched households with their current members, open programmes and employment, calendar-year
    statements and lines, indicator history and year snapshots: a fixed number of queries per batch. The
    encrypted columns are not read: their blind indexes compare them without decrypting."""
    existing = _Existing()
    for chunk in chunks(list(household_ids), BATCH):
        for row in Household.objects.filter(pk__in=chunk).values(*HOUSEHOLD_READ):
            existing.households[row["id"]] = row
        for row in (
            Member.objects.current().filter(household_id__in=chunk).order_by("id").values(*MEMBER_READ)
        ):
            existing.members[row["household_id"]].append(row)
        for row in ProgrammeEnrolment.objects.filter(
            household_id__in=chunk,
            end_date__isnull=True,
            member__isnull=False,
            kind__in=list(PROGRAMME_FLAGS.values()),
        ).values("id", "member_id", "kind", "grade", "start_date"):
            existing.programmes[(row["member_id"], row["kind"])] = dict(row)
        for row in (
            Employment.objects.filter(household_id__in=chunk, end_date__isnull=True)
            .order_by("start_date", "id")
            .values(*EMPLOYMENT_READ)
        ):
            existing.employments[row["member_id"]] = row
        statement_ids = []
        for row in (
            IncomeStatement.objects.filter(household_id__in=chunk, period_kind=PeriodKind.CALENDAR_YEAR)
            .order_by("period_start", "id")
            .values(*STATEMENT_READ)
        ):
            existing.statements.setdefault((row["household_id"], row["period_start"].year), row)
            statement_ids.append(row["id"])
        for line in (
            IncomeLine.objects.filter(statement_id__in=statement_ids)
            .order_by("id")
            .values_list("statement_id", "component", "item", "amount", "note")
        ):
            existing.lines[line[0]].append(line[1:])
        for household_id, indicator, observed_on, pk, value in IndicatorObservation.objects.filter(
            household_id__in=chunk
        ).values_list("household_id", "indicator", "observed_on", "id", "value"):
            existing.indicators[(household_id, indicator)].append((observed_on, pk, value))
        for row in HouseholdYear.objects.filter(household_id__in=chunk).values(*YEAR_READ):
            existing.years[(row["household_id"], row["year"])] = row
    return existing


# --- planning: compare the file with the database -----------------------------------------------------------


class _Planner:
    """Turns each file household into the rows to create or change (``_Plan``) and their audit values."""

    def __init__(self, *, importer: _Importer) -> None:
        self.importer = importer
        self.existing = _Existing()
        self.present = importer.present
        self.on = importer.on
        self.user_id = importer.user.pk if importer.user is not None else None
        self.result = _Plan()
        self.member_columns = [name for name in layout.MEMBER_FIELDS if name in self.present]
        # sex and birth date are filled from the ID number when their columns are absent
        for name in ("sex", "birth_date"):
            if name not in self.member_columns and "id_number" in self.present:
                self.member_columns.append(name)
        self.household_columns = [name for name in layout.HOUSEHOLD_FIELDS if name in self.present]
        self.employment_columns = [key for key in layout.EMPLOYMENT_KEYS if key in self.present]
        # A current member listed under another household of this file moves: leaves one, joins the other.
        self.moving = {
            member.index
            for household in importer.households.values()
            for member in household.members
            if member.index in importer.current_homes
            and importer.current_homes[member.index] != household.existing_id
        }

    # household level -------------------------------------------------------------------------------

    def household(self, household: FileHousehold) -> None:
        if household.existing_id is None:
            self.new_household(household)
        else:
            self.existing_household(household, self.existing.households[household.existing_id])

    def household_values(self, household: FileHousehold) -> Row:
        """The household's fields as the file sets them: present columns, blank = the model's default."""
        values = {
            name: household.values.get(name, HOUSEHOLD_DEFAULTS[name]) for name in self.household_columns
        }
        values["region_code"] = household.village
        return values

    def new_household(self, household: FileHousehold) -> None:
        values = self.household_values(household)
        row = {
            **values,
            "source": Source.IMPORT,
            "phone_index": crypto.blind_index(values.get("phone"), kind="phone"),
        }
        self.result.new_households.append((household, row))
        for member in household.members:
            self.new_member(household, member, joined_on=None)
        self.household_children(household, None, {}, {})
        # A created household's values are its rows, all written by this run (``source`` = import): the
        # event names the run (whose own event carries the file's SHA-256) instead of repeating them. That
        # keeps one event per household affordable for files of tens of thousands of households.
        self.result.created_after[household.key] = {
            "import_run": self.importer.run.pk,
            "members": len(household.members),
        }

    def existing_household(self, household: FileHousehold, row: Row) -> None:
        before: Row = {}
        after: Row = {}
        changes: Row = {}
        for name, value in self.household_values(household).items():
            if name == "phone":
                index = crypto.blind_index(value, kind="phone")
                if index != row["phone_index"]:
                    changes.update(phone=value, phone_index=index)
                    # Decrypted only for a changed number (rare), for the audit event, which masks it.
                    old = Household.objects.filter(pk=row["id"]).values_list("phone", flat=True).first()
                    before[name], after[name] = old or "", value
            elif row[name] != value:
                changes[name] = value
                before[name], after[name] = row[name], value
        if changes:
            self.result.household_updates.append((row["id"], changes))
        self.members_of_existing(household, row, before, after)
        self.household_children(household, row, before, after)
        if after or before:
            after["import_run"] = self.importer.run.pk
            self.result.changes[household.key] = (before, after)
            self.result.changed_rows[household.key] = row

    # members -----------------------------------------------------------------------------------------

    def new_member(self, household: FileHousehold, member: FileMember, *, joined_on: dt.date | None) -> Row:
        # The member's parsed values are the row (keys that are no Member field are ignored on insert, missing
        # fields take the model's defaults): no copy per member of a large file.
        row = member.values
        row["id_number"] = member.id_number or row.get("id_number", "")
        row["id_number_index"] = member.index
        row["joined_on"] = joined_on
        row["source"] = Source.IMPORT
        self.result.new_members.append((household, row, member))
        return row

    def members_of_existing(self, household: FileHousehold, row: Row, before: Row, after: Row) -> None:
        current = self.existing.members.get(row["id"], [])
        by_index = {m["id_number_index"]: m for m in current if m["id_number_index"]}
        without_number = [m for m in current if not m["id_number_index"]]
        matched: set[int] = set()
        joined: list[str] = []
        updated: list[Row] = []
        for member in household.members:
            db = by_index.get(member.index) if member.index else None
            if db is None:
                # A member registered without an ID number is the same person by name and birth date.
                db = next(
                    (
                        m
                        for m in without_number
                        if m["id"] not in matched
                        and m["name"] == member.name
                        and m["birth_date"] == member.values.get("birth_date")
                    ),
                    None,
                )
            if db is None or db["id"] in matched:
                self.new_member(household, member, joined_on=self.on)
                joined.append(member.name)
                continue
            matched.add(db["id"])
            member.member_id = db["id"]
            changes = {
                name: value
                for name in self.member_columns
                if db[name] != (value := member.values.get(name, MEMBER_DEFAULTS[name]))
            }
            audit = {name: [_plain(db[name]), _plain(value)] for name, value in sorted(changes.items())}
            if not db["id_number_index"] and member.index:
                changes.update(id_number=member.id_number, id_number_index=member.index)
                audit["id_number"] = ["", member.id_number]
            if changes:
                demoted = (
                    db["relation"] == Relation.HEAD
                    and changes.get("relation", Relation.HEAD) != Relation.HEAD
                )
                self.result.member_updates.append((db["id"], changes, demoted))
                updated.append({"name": member.name, "changes": audit})
        left = []
        for db in current:
            if db["id"] not in matched:
                reason = LeftReason.MOVED_OUT if db["id_number_index"] in self.moving else LeftReason.OTHER
                self.result.leaves.append((db["id"], reason))
                left.append(db["name"])
        if joined or left:
            before["members"] = [_member_label(m["name"], m["relation"]) for m in current]
            after["members"] = [
                _member_label(m.name, m.values.get("relation", MEMBER_DEFAULTS["relation"]))
                for m in household.members
            ]
        if joined:
            after["members_joined"] = joined
        if left:
            after["members_left"] = left
        if updated:
            after["members_updated"] = updated

    # what hangs off the household ---------------------------------------------------------------------

    def household_children(self, household: FileHousehold, row: Row | None, before: Row, after: Row) -> None:
        """Income, indicators, programmes, employment and the year snapshot, with their audit values."""
        household_id = row["id"] if row is not None else None
        self.statement(household, household_id, before, after)
        self.indicators(household, household_id, before, after)
        self.programmes(household, before, after)
        self.employments(household, after)
        self.year(household, household_id, after)

    def statement(self, household: FileHousehold, household_id: int | None, before: Row, after: Row) -> None:
        values = household.values
        typed = [key for key in layout.INCOME_COMPONENTS if key in values]
        if not typed:
            return
        year = self.importer.statement_year(household)
        note = str(values.get("income_note") or "")
        lines = [(layout.INCOME_COMPONENTS[key], "", values[key], note) for key in typed]
        size = len(household.members)
        totals = {name: values.get(name, ZERO) for name in layout.INCOME_COMPONENTS}
        existing = self.existing.statements.get((household_id, year)) if household_id is not None else None
        if existing is not None:
            old_lines = self.existing.lines.get(existing["id"], [])
            if (
                existing["household_size"] == size
                and all(existing[name] == total for name, total in totals.items())
                and sorted(old_lines) == sorted(lines)
            ):
                return
            before["income"] = _income_audit(year, existing["household_size"], old_lines)
        statement = {
            "period_kind": PeriodKind.CALENDAR_YEAR,
            "period_start": dt.date(year, 1, 1),
            "period_end": dt.date(year, 12, 31),
            "household_size": size,
            "source": Source.IMPORT,
            **totals,
        }
        line_rows = lines
        self.result.statements.append((household, statement, line_rows, existing["id"] if existing else None))
        after["income"] = _income_audit(year, size, lines)

    def indicators(self, household: FileHousehold, household_id: int | None, before: Row, after: Row) -> None:
        observed_on = self.importer.observed_on(household)
        recorded: dict[str, str] = {}
        previous: dict[str, str] = {}
        for key, indicator in layout.INDICATOR_KEYS.items():
            value = household.values.get(key)
            if not value:
                continue
            if household_id is not None:
                # The household's state on that day: the latest observation on or before it.
                history = [
                    h
                    for h in self.existing.indicators.get((household_id, indicator), [])
                    if h[0] <= observed_on
                ]
                state = max(history)[2] if history else None
                if state == value:
                    continue
                if state is not None:
                    previous[indicator] = state
            self.result.indicators.append(
                (household, (indicator, value, value in PROBLEM_VALUES, observed_on))
            )
            recorded[indicator] = value
        if recorded:
            after["indicators"] = {"observed_on": observed_on.isoformat(), **recorded}
            if previous:
                before["indicators"] = previous

    def programmes(self, household: FileHousehold, before: Row, after: Row) -> None:
        started: list[str] = []
        ended: list[str] = []
        start_date = self.importer.observed_on(household)
        for member in household.members:
            for key, kind in PROGRAMME_FLAGS.items():
                if key not in self.present:
                    continue
                wanted = bool(member.values.get(key))
                grade = str(member.values.get("dibao_grade") or "") if kind == ProgrammeKind.DIBAO else ""
                enrolment = (
                    self.existing.programmes.get((member.member_id, kind)) if member.member_id else None
                )
                if not wanted and enrolment is None:
                    continue  # nothing recorded, nothing to record: the common case needs no label
                label = f"{member.name}：{PROGRAMME_LABELS[kind]}"
                if wanted and enrolment is None:
                    row = {"kind": kind, "grade": grade, "start_date": start_date, "source": Source.IMPORT}
                    self.result.programme_starts.append((household, member, row))
                    started.append(label + (f"（{grade}）" if grade else ""))
                elif (
                    wanted
                    and enrolment is not None
                    and "dibao_grade" in self.present
                    and enrolment["grade"] != grade
                ):
                    self.result.programme_grades.append((enrolment["id"], {"grade": grade}))
                    before.setdefault("programme_grades", {})[label] = enrolment["grade"]
                    after.setdefault("programme_grades", {})[label] = grade
                elif not wanted and enrolment is not None:
                    self.result.programme_ends.append(
                        (enrolment["id"], {"end_date": max(self.on, enrolment["start_date"])})
                    )
                    ended.append(label)
        if started:
            after["programmes_started"] = started
        if ended:
            after["programmes_ended"] = ended

    def employments(self, household: FileHousehold, after: Row) -> None:
        if not self.employment_columns:
            return
        year_start = dt.date(self.importer.statement_year(household), 1, 1)
        added: list[str] = []
        updated: list[Row] = []
        ended: list[str] = []
        for member in household.members:
            open_row = self.existing.employments.get(member.member_id) if member.member_id else None
            if not _Importer.has_employment(member.values):
                if open_row is not None:
                    self.result.employment_ends.append(
                        (open_row["id"], {"end_date": max(self.on, open_row["start_date"])})
                    )
                    ended.append(member.name)
                continue
            values = {
                layout.EMPLOYMENT_FIELDS[key]: member.values.get(
                    key, EMPLOYMENT_DEFAULTS[layout.EMPLOYMENT_FIELDS[key]]
                )
                for key in self.employment_columns
            }
            values["channel"] = values.get("channel") or WorkChannel.OTHER
            if open_row is None:
                values["start_date"] = values.get("start_date") or year_start
                self.result.employment_new.append((household, member, {**values, "source": Source.IMPORT}))
                added.append(member.name)
                continue
            if values.get("start_date") is None:
                values.pop("start_date", None)
            changes = {name: value for name, value in values.items() if open_row[name] != value}
            if changes:
                self.result.employment_updates.append((open_row["id"], changes))
                updated.append(
                    {
                        "name": member.name,
                        "changes": {n: [_plain(open_row[n]), _plain(v)] for n, v in sorted(changes.items())},
                    }
                )
        if added:
            after["employment_added"] = added
        if updated:
            after["employment_updated"] = updated
        if ended:
            after["employment_ended"] = ended

    def year(self, household: FileHousehold, household_id: int | None, after: Row) -> None:
        year = self.importer.explicit_year(household)
        if year is None:
            return
        values = {
            **HOUSEHOLD_DEFAULTS,
            **{k: v for k, v in household.values.items() if k in HOUSEHOLD_DEFAULTS},
        }
        snapshot = {
            "household_type": values["household_type"],
            "is_exited_poor": values["is_exited_poor"],
            "relocated": values["relocated"],
            "size": len(household.members),
        }
        existing = self.existing.years.get((household_id, year)) if household_id is not None else None
        if existing is not None:
            if all(existing[name] == value for name, value in snapshot.items()):
                return
            self.result.years.append((household, snapshot, existing["id"]))
        else:
            self.result.years.append((household, {"year": year, **snapshot}, None))
        after["year"] = {"year": year, **snapshot}


def _plain(value: Any) -> Any:
    return events.json_safe(value)


def _member_label(name: str, relation: str) -> str:
    """张三（户主）: a member as the audit trail lists them (the ID number stays in the member row)."""
    label = Relation(relation).label if relation in Relation.values else relation
    return f"{name}（{label}）"


def _income_audit(year: int, size: int, lines: Iterable[tuple[str, str, Decimal, str]]) -> Row:
    """The statement as one flat dict: year, size, each component's amount, the note."""
    audit: Row = {"year": year, "household_size": size}
    for component, _item, amount, note in lines:
        audit[component] = str(amount)
        if note:
            audit["note"] = note
    return audit


# --- writing -----------------------------------------------------------------------------------------------


LINE_COLUMNS: Final = ("statement_id", "region_code", "component", "item", "amount", "note")
INDICATOR_COLUMNS: Final = (
    "household_id",
    "region_code",
    "indicator",
    "value",
    "is_problem",
    "observed_on",
    "source",
    "recorded_by_id",
)


class _Writer:
    """Writes a ``_Plan``; called inside the run's write transaction."""

    def __init__(self, *, importer: _Importer, plan: _Plan) -> None:
        self.importer = importer
        self.plan = plan
        self.now = timezone.now()

    def rows(self, model: type[Any]) -> BulkRows:
        return BulkRows(model, now=self.now)

    def write(self) -> None:
        # The audit events go in under the same page cache: after a shrink back to the default, inserting
        # them spilled the rows just written (bench/registry_import.py: the events 1.1 s instead of 0.2 s).
        with write_cache():
            self.write_rows()
            self.audit()

    def write_rows(self) -> None:
        self.households()
        self.members()
        self.statements()
        user_id = self.importer.user.pk if self.importer.user is not None else None
        self.rows(IndicatorObservation).insert_tuples(
            INDICATOR_COLUMNS,
            (
                (self.household_id(household), household.village, *observation, Source.IMPORT, user_id)
                for household, observation in self.plan.indicators
            ),
        )
        self.programmes()
        self.employments()
        self.years()

    @staticmethod
    def household_id(household: FileHousehold) -> int:
        if household.existing_id is None:
            raise RuntimeError(f"household {household.key} has no id yet")
        return household.existing_id

    def children(self, model: type[Any], items: Sequence[tuple[FileHousehold, Row]]) -> list[int]:
        """Insert rows that belong to a household: its id and village code set on each."""
        rows = []
        for household, row in items:
            row["household_id"] = self.household_id(household)
            row["region_code"] = household.village
            rows.append(row)
        return self.rows(model).insert(rows)

    def households(self) -> None:
        plan = self.plan
        ids = self.rows(Household).insert([row for _h, row in plan.new_households])
        for (household, _row), pk in zip(plan.new_households, ids, strict=True):
            household.existing_id = pk
        self.rows(Household).update(plan.household_updates)

    def members(self) -> None:
        plan = self.plan
        members = self.rows(Member)
        # Order matters for the partial unique indexes: people leave before they join another household, a
        # former head stops being head before the new head is set.
        members.update(
            [(pk, {"left_on": self.importer.on, "left_reason": reason}) for pk, reason in plan.leaves]
        )
        members.update([(pk, changes) for pk, changes, demoted in plan.member_updates if demoted])
        members.update([(pk, changes) for pk, changes, demoted in plan.member_updates if not demoted])
        ids = self.children(Member, [(household, row) for household, row, _m in plan.new_members])
        for (_household, _row, member), pk in zip(plan.new_members, ids, strict=True):
            member.member_id = pk

    def statements(self) -> None:
        plan = self.plan
        replaced = [
            (existing_id, row) for _h, row, _l, existing_id in plan.statements if existing_id is not None
        ]
        for chunk in chunks([pk for pk, _row in replaced], BATCH):
            IncomeLine.objects.filter(statement_id__in=chunk).delete()
        self.rows(IncomeStatement).update(replaced)
        new = [(household, row) for household, row, _l, existing_id in plan.statements if existing_id is None]
        new_ids = iter(self.children(IncomeStatement, new))
        lines = (
            (statement_id, household.village, *line)
            for household, _row, line_rows, existing_id in plan.statements
            for statement_id in [existing_id if existing_id is not None else next(new_ids)]
            for line in line_rows
        )
        self.rows(IncomeLine).insert_tuples(LINE_COLUMNS, lines)

    def programmes(self) -> None:
        plan = self.plan
        for _household, member, row in plan.programme_starts:
            row["member_id"] = member.member_id
        self.children(ProgrammeEnrolment, [(household, row) for household, _m, row in plan.programme_starts])
        self.rows(ProgrammeEnrolment).update([*plan.programme_ends, *plan.programme_grades])

    def employments(self) -> None:
        plan = self.plan
        for _household, member, row in plan.employment_new:
            row["member_id"] = member.member_id
        self.children(Employment, [(household, row) for household, _m, row in plan.employment_new])
        self.rows(Employment).update([*plan.employment_updates, *plan.employment_ends])

    def years(self) -> None:
        plan = self.plan
        self.children(HouseholdYear, [(household, row) for household, row, pk in plan.years if pk is None])
        self.rows(HouseholdYear).update([(pk, row) for _h, row, pk in plan.years if pk is not None])

    def audit(self) -> None:
        """One event per created or changed household, in file order: the household's timeline."""
        importer, plan = self.importer, self.plan
        created = []
        updated = []
        for household in importer.households.values():
            if household.key in plan.created_after:
                row = Household(
                    pk=household.existing_id, household_number=household.number, region_code=household.village
                )
                created.append((row, plan.created_after[household.key]))
            elif household.key in plan.changes:
                values = plan.changed_rows[household.key]
                row = Household(
                    pk=values["id"],
                    household_number=values["household_number"],
                    region_code=values["region_code"],
                )
                before, after = plan.changes[household.key]
                updated.append((row, before, after))
        events.created_many(actor=importer.user, items=created)
        events.updated_many(actor=importer.user, items=updated)

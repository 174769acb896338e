"""Importing a department's file as a new version of a dataset (``bangfu import-dataset``, the upload page).

1. The file is stored and tracked as an ``ImportRun`` (kind ``datasets.<kind>``), like the registry's import.
2. Every row is read with the kind's layout (``layouts``): the ID number must be a valid 18-character number
   (check digit, birth date), required cells filled, codes known, and the day of each fact inside the data
   period the uploader named (a file of the wrong month is caught here). Every problem is located (sheet,
   row, column) with a Chinese message; any error stores nothing.
3. Otherwise, in one transaction: a ``DatasetVersion`` numbered after the kind's earlier ones in the region,
   its rows (ID encrypted, with its blind index), then matching in three set-based UPDATEs — to the current
   member with that ID, else the latest former member; the household and its village follow — and the counts
   of matched, name-differs, former-member and unmatched rows (reported to the uploader, never dropped).
   Uploading the same file for the same kind, region and period again stores nothing new.

No ID number is kept in clear: the uploaded file is deleted when the run ends (the run keeps its name and
SHA-256), and no annotated copy is written — the problems (row, column, message; never the number itself)
are listed on the page and by the command, against the department's own file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.core import cellvalues, crypto, idnumbers, spreadsheets
from bangfu.core.bulkwrite import BulkRows
from bangfu.datasets import access, layouts, signals
from bangfu.datasets.models import SECTORS, DatasetKind, DatasetRecord, DatasetVersion, MatchStatus
from bangfu.registry.importing import audit_run, store_upload, stored_path
from bangfu.registry.models import ImportRun, ImportStatus, Member

if TYPE_CHECKING:
    from bangfu.accounts.models import User

logger = logging.getLogger(__name__)

BATCH: Final = 2000
# Cells that differ on every row: parsed each, not memoised.
PERSONAL_CELLS: Final = frozenset({"id_number", "name", "note", "text"})
RUN_KIND_PREFIX: Final = "datasets."


def run_kind(kind: str) -> str:
    return f"{RUN_KIND_PREFIX}{kind}"


def import_dataset(
    *,
    by: User,
    kind: str,
    path: Path,
    file_name: str,
    period_start: dt.date,
    period_end: dt.date,
    dry_run: bool = False,
    on: dt.date | None = None,
) -> ImportRun:
    """Check ``path`` as a file of ``kind`` for the data period ``period_start``..``period_end`` and, without
    errors and unless ``dry_run``, store it as a new version (module docstring), now: the command and the
    API. The upload page queues the same work (``start_dataset_import``).

    Raises ``PermissionDenied`` for a user who may not upload this kind. Side effects: see
    ``run_dataset_import``.
    """
    run = prepare_dataset_import(
        by=by,
        kind=kind,
        path=path,
        file_name=file_name,
        period_start=period_start,
        period_end=period_end,
        dry_run=dry_run,
    )
    return run_dataset_import(run=run, on=on)


def prepare_dataset_import(
    *,
    by: User,
    kind: str,
    path: Path,
    file_name: str,
    period_start: dt.date,
    period_end: dt.date,
    dry_run: bool = False,
) -> ImportRun:
    """Check the permission, keep the file until its run, create the pending run (kind and period in it)."""
    if kind not in DatasetKind.values:
        raise ValueError(f"unknown dataset kind {kind!r}")
    if not access.can_import(by, kind):
        raise PermissionDenied(_("您没有上传该类部门数据的权限。"))
    return store_upload(
        by=by,
        path=path,
        file_name=file_name,
        kind=run_kind(kind),
        dry_run=dry_run,
        summary={"period_start": period_start.isoformat(), "period_end": period_end.isoformat()},
    )


def start_dataset_import(**arguments: Any) -> ImportRun:
    """``prepare_dataset_import``, then the run queued (``tasks.run_dataset_import``) once the upload commits:
    a large file is imported in the background while the page shows its progress."""
    from bangfu.datasets import tasks

    run = prepare_dataset_import(**arguments)
    transaction.on_commit(lambda: tasks.run_dataset_import_task.enqueue(run.pk))
    return run


def run_dataset_import(*, run: ImportRun, on: dt.date | None = None) -> ImportRun:
    """The work of a prepared run: read and check every row; without errors and unless a dry run, store the
    version, its records and their matches. The kept file is deleted whatever the outcome; an unexpected
    error leaves the run ``failed`` with its reason, nothing stored (the store is one transaction).

    Side effects: the run's status, problems and summary; on success the version, its records and their
    matches; audit events for the run and the version.
    """
    try:
        return _run(run, on=on)
    except Exception as exc:
        logger.exception("dataset import run %s failed", run.pk)
        if run.stored_file:  # not yet deleted when the error came before the check was done
            stored_path(run).unlink(missing_ok=True)
        message = _("系统错误，导入未完成，未写入任何数据：%(error)s") % {
            "error": f"{type(exc).__name__}: {exc}"
        }
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.FAILED,
            stored_file="",
            problems=[{"sheet": "", "row": 0, "column": "", "level": "error", "message": message[:1000]}],
            error_count=1,
            finished_at=timezone.now(),
        )
        run.refresh_from_db()
        audit_run(run)
        return run


def _run(run: ImportRun, *, on: dt.date | None) -> ImportRun:
    kind = run.kind.removeprefix(RUN_KIND_PREFIX)
    by = run.created_by
    if by is None:
        raise ValueError("a dataset import run names its uploader")
    period_start = dt.date.fromisoformat(run.summary["period_start"])
    period_end = dt.date.fromisoformat(run.summary["period_end"])
    dry_run = run.dry_run
    on = on or timezone.localdate()
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING, started_at=timezone.now())
    reader = _Reader(run=run, kind=kind, period=(period_start, period_end), on=on)
    rows = reader.read()
    problems = sorted(reader.problems, key=lambda p: (p.row, p.column, p.level))
    run.problems = [dataclasses.asdict(p) for p in problems]
    run.error_count = sum(1 for p in problems if p.level == "error")
    run.warning_count = len(problems) - run.error_count
    run.total_rows = run.processed_rows = len(rows) if rows is not None else 0
    run.finished_at = timezone.now()
    if reader.table is not None:
        reader.table.close()
    stored_path(run).unlink(missing_ok=True)
    run.stored_file = ""
    fields = [
        "problems",
        "error_count",
        "warning_count",
        "total_rows",
        "processed_rows",
        "finished_at",
        "stored_file",
        "status",
        "summary",
    ]
    with transaction.atomic():
        if rows is None or run.error_count:
            run.status = ImportStatus.REJECTED
        elif dry_run:
            run.status = ImportStatus.CHECKED
        else:
            version, created = _store(run=run, kind=kind, by=by, period=(period_start, period_end), rows=rows)
            if created:
                # The screening of the new rows (monitoring listens) starts once they are committed.
                transaction.on_commit(
                    lambda: signals.version_stored.send(sender=DatasetVersion, version_id=version.pk)
                )
            run.status = ImportStatus.SUCCEEDED
            run.summary = {**run.summary, **_summary(version)}
        run.save(update_fields=fields)
        audit_run(run)
    return run


def _summary(version: DatasetVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "rows": version.row_count,
        "matched": version.matched_count,
        "name_differs": version.name_differs_count,
        "former_member": version.former_member_count,
        "unmatched": version.unmatched_count,
    }


# --- reading ------------------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, *, run: ImportRun, kind: str, period: tuple[dt.date, dt.date], on: dt.date) -> None:
        self.run = run
        self.kind = kind
        self.period = period
        self.on = on
        self.columns = {column.field: column for column in layouts.columns(kind)}
        self.problems: list[spreadsheets.LocatedProblem] = []
        self.table: spreadsheets.Table | None = None
        self.memo: dict[str, dict[Any, Any]] = {
            name: {} for name in self.columns if name not in PERSONAL_CELLS
        }

    def problem(self, row: int, field: str, message: str, *, level: str = "error") -> None:
        table = self.table
        column = table.columns[field].letter if table is not None and field in table.columns else ""
        sheet = table.sheet_name if table is not None else ""
        self.problems.append(spreadsheets.LocatedProblem(sheet, row, column, level, message))  # type: ignore[arg-type]

    def read(self) -> list[dict[str, Any]] | None:
        """The typed rows, or ``None`` when the file or the period cannot be read at all."""
        start, end = self.period
        if start > end:
            self.problem(0, "", _("数据期间的起始日期 %(start)s 晚于截止日期 %(end)s") % _dates(start, end))
            return None
        if end > self.on:
            self.problem(
                0, "", _("数据期间的截止日期 %(end)s 晚于今天，数据不能来自未来") % _dates(start, end)
            )
            return None
        try:
            self.table = spreadsheets.read_table(
                stored_path(self.run),
                columns=layouts.synonyms(self.kind),
                required=layouts.required(self.kind),
            )
        except spreadsheets.SpreadsheetError as exc:
            self.problem(0, "", str(exc))
            return None
        self.problems.extend(self.table.header_problems())
        if any(p.level == "error" for p in self.problems):
            return None
        rows = [self.row(sheet_row) for sheet_row in self.table.rows()]
        if not rows:
            self.problem(0, "", _("文件中没有数据行"))
        self.duplicates(rows)
        return rows

    def parse(self, field: str, column: layouts.Column, raw: Any) -> Any:
        """The typed value of a cell, or its ``CellError``; memoised per column for the cells that repeat
        (dates, amounts, codes — not the person's own cells), keyed by type as well as value."""
        memo = self.memo.get(field)
        key = (raw.__class__, raw)
        if memo is not None and key in memo:
            return memo[key]
        try:
            value = column.parse(raw)
        except cellvalues.CellError as exc:
            value = exc
        if memo is not None:
            memo[key] = value
        return value

    def row(self, sheet_row: spreadsheets.SheetRow) -> dict[str, Any]:
        number = sheet_row.number
        typed: dict[str, Any] = {"row": number}
        for field, raw in sheet_row.values.items():
            column = self.columns[field]
            value = self.parse(field, column, raw)
            if isinstance(value, cellvalues.CellError):
                self.problem(number, field, f"{column.label}：{value}")
                continue
            if value is None or value == "":
                if column.required:
                    self.problem(number, field, _("%(label)s不能为空") % {"label": column.label})
                continue
            typed[field] = value
        number_text = typed.get("id_number")
        if number_text:
            try:
                typed["id_number"] = idnumbers.parse(number_text, on=self.on).number
            except idnumbers.InvalidIdNumber as exc:
                self.problem(number, "id_number", f"{self.columns['id_number'].label}：{exc}")
                typed.pop("id_number")
        event = typed.get("event_date")
        start, end = self.period
        if event is not None and not start <= event <= end:
            self.problem(
                number,
                "event_date",
                _("%(label)s %(date)s 不在数据期间 %(start)s 至 %(end)s 内：请核对文件是否属于该期间")
                % {
                    "label": self.columns["event_date"].label,
                    "date": event.isoformat(),
                    **_dates(start, end),
                },
            )
        if typed.get("end_date") and typed.get("start_date") and typed["end_date"] < typed["start_date"]:
            self.problem(number, "end_date", _("截止日期早于起始日期"))
        return typed

    def duplicates(self, rows: list[dict[str, Any]]) -> None:
        """The same fact twice (same person, day, category and amount) is a warning on the later row."""
        seen: dict[tuple[Any, ...], int] = {}
        for typed in rows:
            if "id_number" not in typed:
                continue
            key = tuple(
                typed.get(name) for name in ("id_number", "event_date", "start_date", "category", "amount")
            )
            first = seen.setdefault(key, typed["row"])
            if first != typed["row"]:
                self.problem(
                    typed["row"],
                    "id_number",
                    _("与第%(row)d行重复（同一人、同一日期、同一内容）") % {"row": first},
                    level="warning",
                )


def _dates(start: dt.date, end: dt.date) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


# --- storing and matching -----------------------------------------------------------------------------------


def _store(
    *, run: ImportRun, kind: str, by: User, period: tuple[dt.date, dt.date], rows: list[dict[str, Any]]
) -> tuple[DatasetVersion, bool]:
    """The version, its records and their matches, and whether it is new: the same file for the same period
    stores nothing new (the version stored then is returned)."""
    region = run.region_code
    versions = DatasetVersion.objects.select_for_update().filter(kind=kind, region_code=region)
    same = (
        versions.filter(period_start=period[0], period_end=period[1], run__file_sha256=run.file_sha256)
        .order_by("-number")
        .first()
    )
    if same is not None:
        return same, False
    latest = versions.order_by("-number").values_list("number", flat=True).first() or 0
    versions.filter(period_start=period[0], period_end=period[1]).update(is_current=False)
    # A city or county office uploads on behalf of the kind's sector (the first, when two share it).
    sector = by.sector if by.sector in SECTORS[kind] else sorted(SECTORS[kind])[0]
    version = DatasetVersion.objects.create(
        kind=kind,
        sector=sector,
        region_code=region,
        number=latest + 1,
        period_start=period[0],
        period_end=period[1],
        run=run,
        row_count=len(rows),
        uploaded_by=by,
    )
    indexes = [crypto.blind_index(typed["id_number"], kind="id_number") for typed in rows]
    people = _people(indexes)
    counts: Counter[str] = Counter()
    # A value the file does not give takes the field's default ("" for text, NULL for dates and amounts).
    fields = {f.attname: f for f in DatasetRecord._meta.concrete_fields}
    defaults = {name: fields[name].get_default() for name in RECORD_VALUES}
    records = []
    for typed, index in zip(rows, indexes, strict=True):
        match, member = _match_row(people.get(index), typed.get("name", ""))
        counts[match] += 1
        records.append(
            (
                version.pk,
                kind,
                sector,
                member[2] if member else region,
                typed["id_number"],
                index,
                match,
                member[0] if member else None,
                member[1] if member else None,
                *(typed.get(name, default) for name, default in defaults.items()),
            )
        )
    # Raw batched writes (COPY on PostgreSQL): the ID encrypted with its column's context on the way.
    BulkRows(DatasetRecord, now=timezone.now()).insert_tuples(RECORD_COLUMNS, records)
    version.matched_count = counts[MatchStatus.MATCHED]
    version.name_differs_count = counts[MatchStatus.NAME_DIFFERS]
    version.former_member_count = counts[MatchStatus.FORMER_MEMBER]
    version.unmatched_count = counts[MatchStatus.UNMATCHED]
    version.save(
        update_fields=["matched_count", "name_differs_count", "former_member_count", "unmatched_count"]
    )
    events.created(actor=by, obj=version, after={"run": run.pk, **_summary(version)})
    return version, True


# A registry member as matching needs it: id, household, village, name, left on (None = current).
Person = tuple[int, int, str, str, "dt.date | None"]


def _people(indexes: list[str]) -> dict[str, list[Person]]:
    """The registry's members with these blind indexes (current and former), by index: one indexed query
    per batch of the file's people — the file's rows then match with a dictionary lookup, and are written
    once, already matched."""
    found: dict[str, list[Person]] = {}
    wanted = sorted(set(indexes))
    for start in range(0, len(wanted), BATCH):
        rows = Member.objects.filter(id_number_index__in=wanted[start : start + BATCH]).values_list(
            "id_number_index", "id", "household_id", "region_code", "name", "left_on"
        )
        for index, pk, household, village, name, left_on in rows:
            found.setdefault(index, []).append((pk, household, village, name, left_on))
    return found


# The typed values a row carries (``layouts``), after the columns every record has.
RECORD_VALUES: Final = (
    "row",
    "name",
    "event_date",
    "start_date",
    "end_date",
    "amount",
    "total_amount",
    "category",
    "grade",
    "text",
    "note",
)
RECORD_COLUMNS: Final = (
    "version_id",
    "kind",
    "sector",
    "region_code",
    "id_number",
    "id_number_index",
    "match",
    "member_id",
    "household_id",
    *RECORD_VALUES,
)


def _match_row(people: list[Person] | None, name: str) -> tuple[str, Person | None]:
    """The current member with the ID (matched, or matched with another name), else the one who left last
    (former member), else none (unmatched). The same rule as ``match_version``."""
    if not people:
        return MatchStatus.UNMATCHED, None
    current = [p for p in people if p[4] is None]
    if current:
        person = current[0]
        differs = bool(name) and name != person[3]
        return (MatchStatus.NAME_DIFFERS if differs else MatchStatus.MATCHED), person
    person = max(people, key=lambda p: (p[4], p[0]))
    return MatchStatus.FORMER_MEMBER, person


# Matching: two UPDATE … FROM joins over the upload's rows (PostgreSQL, and SQLite since 3.33), each row
# written once: first to the current member with the ID, then the rest to the latest member who left.
_MATCH_CURRENT: Final = """
UPDATE datasets_datasetrecord AS r
SET member_id = m.id, household_id = m.household_id, region_code = m.region_code,
    "match" = CASE WHEN r.name <> '' AND r.name <> m.name THEN %s ELSE %s END
FROM registry_member AS m
WHERE r.version_id = %s AND m.id_number_index = r.id_number_index AND m.left_on IS NULL
"""
_MATCH_FORMER: Final = """
UPDATE datasets_datasetrecord AS r
SET member_id = m.id, household_id = m.household_id, region_code = m.region_code, "match" = %s
FROM registry_member AS m
WHERE r.version_id = %s AND r.member_id IS NULL AND m.id_number_index = r.id_number_index
  AND m.left_on IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM registry_member AS later
    WHERE later.id_number_index = m.id_number_index AND later.left_on IS NOT NULL
      AND (later.left_on > m.left_on OR (later.left_on = m.left_on AND later.id > m.id))
  )
"""


def match_version(version: DatasetVersion) -> None:
    """Link a stored version's rows to the registry again, set-based (``_MATCH_CURRENT``/``_MATCH_FORMER``):
    for rows written unmatched (the demo's generator) or to re-match after the registry was corrected. A
    row whose name differs from the member's is matched but marked; the others stay unmatched."""
    with connection.cursor() as cursor:
        cursor.execute(
            _MATCH_CURRENT, [MatchStatus.NAME_DIFFERS.value, MatchStatus.MATCHED.value, version.pk]
        )
        cursor.execute(_MATCH_FORMER, [MatchStatus.FORMER_MEMBER.value, version.pk])

"""Importing a problem ledger (整改台账) into a draft problem list (``bangfu import-problems``, the page).

1. The file is stored and tracked as an ``ImportRun`` of kind ``rectification.problems`` (like the registry's
   and the department data's imports); the list it fills is named in the run's summary. Only a user who
   issues lists (``access.can_issue``) and whose scope holds the list's region imports into it, and only
   while the list is a draft (待交办).
2. Every row is read with ``rectification.layout`` (title rows above the header, header synonyms, dates in
   every form clerks type). The place is resolved inside the uploader's scope — a 12-digit code, or names
   (“东关村”, “老城街道东关村”, “汉滨区老城街道”, or 县区/乡镇/村 columns); 户编号 to a household of that
   place. Each row then goes through ``services.check_problem_fields``, the screen's own rules, and what it
   refuses becomes a located problem on the matching column. A 序号 twice in the file, or already in the
   list, is an error naming both rows.
3. Any error writes nothing; the clerk gets the workbook back with the bad cells red and a 错误说明 column
   (a ledger holds no ID numbers, so the annotated copy may be kept). Without errors and unless a dry run,
   one transaction creates the problems (draft, waiting for ``services.issue_list``) with bulk inserts, a
   ``created`` event each and their audit events.

The same file (SHA-256) imported into the same list again changes nothing and the run says so; the list keeps
the SHA-256 and the run of its first import (``ProblemList.file_sha256``, unique per region, so the same
file cannot fill two lists of one region either).

Every query is per run, not per row: categories, places, households and the list's existing 序号 are each
read once, and the problems and their events are written with one bulk insert per batch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.core import cellvalues, spreadsheets
from bangfu.core.bulkwrite import chunks
from bangfu.rectification import access, layout, services
from bangfu.rectification.exceptions import RectificationRefused
from bangfu.rectification.models import (
    Colour,
    EventKind,
    ListState,
    Problem,
    ProblemCategory,
    ProblemEvent,
    ProblemList,
    ProblemState,
)
from bangfu.regions.codes import is_valid_code, parent_code
from bangfu.regions.models import Region
from bangfu.regions.scoping import code_visible_to
from bangfu.registry.importing import audit_run, store_upload, stored_path
from bangfu.registry.models import Household, ImportRun, ImportStatus

if TYPE_CHECKING:
    from bangfu.accounts.models import User

logger = logging.getLogger(__name__)

KIND: Final = "rectification.problems"
BATCH: Final = 1000
# What a problem's audit event records at creation (the fields the screen's ``create_problem`` records).
SNAPSHOT_FIELDS: Final = (
    "source",
    "category",
    "region_code",
    "household",
    "member",
    "description",
    "measure",
    "lead_unit",
    "responsible_unit",
    "responsible_sector",
    "responsible_person",
    "due_on",
    "campaign",
    "problem_list",
    "ledger_number",
    "found_on",
    "state",
)
# Separators clerks put between the parts of a place (“老城街道/东关村”, “汉滨区-老城街道”).
_PLACE_SEPARATORS: Final = re.compile(r"[\s/／\\、,，·\-—>＞]+")


def import_ledger(
    *,
    by: User,
    path: Path,
    file_name: str,
    problem_list: ProblemList,
    dry_run: bool = False,
    on: dt.date | None = None,
) -> ImportRun:
    """Check ``path`` as a ledger for ``problem_list`` and, without errors and unless ``dry_run``, add its
    problems to the list (module docstring), now: the command. The upload page queues the same work
    (``start_ledger_import``).

    ``on`` is the day of the import (default today): a row without 发现日期 was found on it. Raises
    ``PermissionDenied`` (role, or a list outside the scope) and ``RectificationRefused`` (a list already
    issued). Side effects: see ``run_ledger_import``.
    """
    run = prepare_ledger_import(
        by=by, path=path, file_name=file_name, problem_list=problem_list, dry_run=dry_run
    )
    return run_ledger_import(run=run, on=on)


def check_may_import(*, by: User, problem_list: ProblemList) -> None:
    """Raise unless ``by`` may import into ``problem_list``: an issuing role, the list's region in scope, the
    list still a draft."""
    if not access.can_issue(by) or not code_visible_to(by, problem_list.region_code):
        raise PermissionDenied(_("您不能向该问题清单导入问题。"))
    if problem_list.state != ListState.DRAFT:
        raise RectificationRefused(
            _("问题清单“%(title)s”已交办，不能再导入问题") % {"title": problem_list.title}
        )


def prepare_ledger_import(
    *, by: User, path: Path, file_name: str, problem_list: ProblemList, dry_run: bool = False
) -> ImportRun:
    """Check the permission, keep the file (with its SHA-256), create the pending run naming the list."""
    check_may_import(by=by, problem_list=problem_list)
    return store_upload(
        by=by,
        path=path,
        file_name=file_name,
        kind=KIND,
        dry_run=dry_run,
        summary={"list": problem_list.pk},
    )


def start_ledger_import(**arguments: Any) -> ImportRun:
    """``prepare_ledger_import``, then the run queued (``tasks.run_ledger_import_task``) once the upload
    commits: the page shows its progress while the worker checks and imports it."""
    from bangfu.rectification import tasks

    run = prepare_ledger_import(**arguments)
    transaction.on_commit(lambda: tasks.run_ledger_import_task.enqueue(run.pk))
    return run


def run_ledger_import(*, run: ImportRun, on: dt.date | None = None) -> ImportRun:
    """The work of a prepared run: read and check every row; without errors and unless a dry run, create the
    problems. An unexpected error leaves the run ``failed`` with its reason and nothing written (the write is
    one transaction).

    Side effects: the run's status, progress, problems, summary and annotated workbook; on success the
    problems, their ``created`` events and audit events, and the list's file SHA-256 and run (first import);
    always an audit event for the run.
    """
    try:
        return _Importer(run=run, on=on or timezone.localdate()).execute()
    except Exception as exc:
        logger.exception("ledger import run %s failed", run.pk)
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


def errors_path(run: ImportRun) -> Path | None:
    """The annotated copy of the ledger (bad cells red, a 错误说明 column), if one was written."""
    if not run.errors_file:
        return None
    path = Path(settings.MEDIA_ROOT) / run.errors_file
    return path if path.is_file() else None


def list_of(run: ImportRun) -> int | None:
    """The id of the list a ledger run fills (kept in its summary)."""
    value = run.summary.get("list") if isinstance(run.summary, dict) else None
    return value if isinstance(value, int) else None


# --- the work -----------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Row:
    """One data row: its Excel row number, typed cells by key (blank cells absent), cells that could not be
    read (already reported), and the fields checked by ``check_problem_fields``."""

    number: int
    values: dict[str, Any]
    bad: set[str]
    fields: dict[str, Any] | None = None


class _Importer:
    def __init__(self, *, run: ImportRun, on: dt.date) -> None:
        self.run = run
        self.on = on
        self.problems: list[spreadsheets.LocatedProblem] = []
        self.table: spreadsheets.Table | None = None
        self.rows: list[_Row] = []
        self.user: User | None = run.created_by
        list_id = list_of(run)
        self.problem_list = (
            ProblemList.objects.select_related("campaign").filter(pk=list_id).first()
            if list_id is not None
            else None
        )

    # --- problems -------------------------------------------------------------------------------------

    def problem(self, row: int, key: str, message: str, *, level: spreadsheets.Level = "error") -> None:
        table = self.table
        column = table.columns.get(key) if table is not None and key else None
        sheet = table.sheet_name if table is not None else ""
        self.problems.append(
            spreadsheets.LocatedProblem(sheet, row, column.letter if column else "", level, message)
        )

    @property
    def error_count(self) -> int:
        return sum(1 for p in self.problems if p.level == "error")

    # --- the steps ------------------------------------------------------------------------------------

    def execute(self) -> ImportRun:
        ImportRun.objects.filter(pk=self.run.pk).update(
            status=ImportStatus.RUNNING, started_at=timezone.now(), processed_rows=0
        )
        user, problem_list = self.user, self.problem_list
        if user is None or problem_list is None:
            self.problem(0, "", _("导入记录缺少导入人或问题清单"))
            return self.finish(created=None)
        try:
            check_may_import(by=user, problem_list=problem_list)
        except (PermissionDenied, RectificationRefused) as exc:
            self.problem(0, "", str(exc))
            return self.finish(created=None)
        if self.already_imported(problem_list):
            return self.finish(created=None, unchanged=True)
        if self.read():
            self.check_rows(user, problem_list)
        if self.table is not None:
            self.table.close()
        ImportRun.objects.filter(pk=self.run.pk).update(processed_rows=len(self.rows))
        if self.error_count or self.run.dry_run:
            return self.finish(created=None)
        return self.write(user, problem_list)

    def already_imported(self, problem_list: ProblemList) -> bool:
        """Whether this file (its SHA-256) already filled this list — then the run changes nothing — or
        another list of the region (an error: one file fills one list)."""
        sha = self.run.file_sha256
        if problem_list.file_sha256 == sha:
            return True
        earlier = (
            ImportRun.objects.filter(
                kind=KIND,
                file_sha256=sha,
                status=ImportStatus.SUCCEEDED,
                dry_run=False,
                summary__list=problem_list.pk,
            )
            .exclude(pk=self.run.pk)
            .exists()
        )
        if earlier:
            return True
        other = (
            ProblemList.objects.filter(region_code=problem_list.region_code, file_sha256=sha)
            .exclude(pk=problem_list.pk)
            .first()
        )
        if other is not None:
            self.problem(
                0,
                "",
                _("该文件已导入问题清单“%(title)s”（编号 %(pk)d），同一文件不能再导入另一个清单")
                % {"title": other.title, "pk": other.pk},
            )
        return False

    def read(self) -> bool:
        """Open the workbook, find the header and type every cell; False when the rows cannot be checked."""
        try:
            self.table = spreadsheets.read_table(
                stored_path(self.run), columns=layout.synonyms(), required=layout.required()
            )
        except spreadsheets.SpreadsheetError as exc:
            self.problem(0, "", str(exc))
            return False
        table = self.table
        self.problems.extend(table.header_problems())
        if not ({*layout.PLACE_KEYS, "household_number"} & set(table.columns)):
            self.problems.append(
                spreadsheets.LocatedProblem(
                    table.sheet_name,
                    table.name_row or table.header_rows[-1],
                    "",
                    "error",
                    _("缺少必填列“涉及区域”：须有“涉及区域”（或“县区”“乡镇”“村”）列，或“户编号”列"),
                )
            )
        if self.error_count:
            return False
        memo: dict[tuple[str, type, Any], Any] = {}
        for sheet_row in table.rows():
            values: dict[str, Any] = {}
            bad: set[str] = set()
            for key, raw in sheet_row.values.items():
                column = layout.BY_KEY[key]
                cache_key = (key, raw.__class__, raw)
                if cache_key not in memo:
                    try:
                        memo[cache_key] = column.parse(raw)
                    except cellvalues.CellError as exc:
                        memo[cache_key] = exc
                value = memo[cache_key]
                if isinstance(value, cellvalues.CellError):
                    self.problem(sheet_row.number, key, f"{column.label}：{value}")
                    bad.add(key)
                elif value not in (None, ""):
                    values[key] = value
            self.rows.append(_Row(sheet_row.number, values, bad))
        self.run.total_rows = len(self.rows)
        ImportRun.objects.filter(pk=self.run.pk).update(total_rows=len(self.rows))
        if not self.rows:
            self.problem(0, "", _("文件中没有数据行"))
        return bool(self.rows)

    def check_rows(self, user: User, problem_list: ProblemList) -> None:
        """Resolve the places, households and categories (one query each) and check every row with the
        screen's rules; then the 序号, against each other and the list's."""
        categories = _Categories()
        places = _Places(user, [self.place_text(row) for row in self.rows])
        households = _Households([row.values.get("household_number", "") for row in self.rows])
        place_key = next(
            (k for k in ("region", "town", "county") if self.table and k in self.table.columns), ""
        )
        for row in self.rows:
            values = row.values
            missing = [
                key
                for key in layout.required()
                if key not in values and key not in row.bad and key not in ("category",)
            ]
            for key in missing:
                self.problem(row.number, key, _("%(label)s不能为空") % {"label": layout.BY_KEY[key].label})
            category = None
            if "category" not in row.bad:
                category = categories.find(values.get("category", ""))
                if category is None:
                    self.problem(row.number, "category", categories.message(values.get("category", "")))
            text = self.place_text(row)
            region_code, message = places.resolve(text) if text else ("", "")
            if message:
                self.problem(row.number, place_key, message)
            household = None
            number = values.get("household_number", "")
            if number:
                household = households.find(number, user)
                if household is None:
                    self.problem(
                        row.number,
                        "household_number",
                        _("户编号 %(number)s 不存在或不在您的管辖范围内") % {"number": number},
                    )
            if not text and not number and not ({*layout.PLACE_KEYS, "household_number"} & row.bad):
                self.problem(
                    row.number, place_key or "household_number", _("涉及区域不能为空（或填写户编号）")
                )
            if missing or message or category is None or (number and household is None):
                continue
            if row.bad or (not text and not number):
                continue
            row.fields = self.check_fields(
                row, user, problem_list, category, region_code, household, place_key
            )
        self.check_numbers(problem_list)

    def check_fields(
        self,
        row: _Row,
        user: User,
        problem_list: ProblemList,
        category: ProblemCategory,
        region_code: str,
        household: Household | None,
        place_key: str,
    ) -> dict[str, Any] | None:
        """``services.check_problem_fields`` on the row; what it refuses is a problem on its column."""
        values = row.values
        found_on = values.get("found_on") or self.on
        try:
            fields = services.check_problem_fields(
                by=user,
                on=found_on,
                source=values.get("source") or problem_list.source,
                category=category,
                region_code=region_code,
                description=values.get("description", ""),
                measure=values.get("measure", ""),
                lead_unit=values.get("lead_unit", ""),
                responsible_unit=values.get("responsible_unit", ""),
                responsible_sector=values.get("responsible_sector", ""),
                responsible_person=values.get("responsible_person", ""),
                due_on=values["due_on"],
                household=household,
                member=None,
                campaign=problem_list.campaign,
            )
        except RectificationRefused as exc:
            key = layout.FIELD_COLUMNS.get(exc.field, "")
            if exc.field == "region_code":
                key = place_key or "household_number"
            if exc.field == "found_on" and "found_on" not in values:
                key = ""
            self.problem(row.number, key, exc.message)
            return None
        except PermissionDenied as exc:
            self.problem(row.number, place_key or "household_number", str(exc))
            return None
        return {**fields, "found_on": found_on, "ledger_number": values.get("ledger_number", "")}

    def check_numbers(self, problem_list: ProblemList) -> None:
        """A 序号 may appear once in the file and must not be one the list already holds."""
        first: dict[str, int] = {}
        for row in self.rows:
            number = row.values.get("ledger_number")
            if not number:
                continue
            if number in first:
                self.problem(
                    row.number,
                    "ledger_number",
                    _("序号“%(number)s”重复：第%(first)d行和第%(row)d行")
                    % {"number": number, "first": first[number], "row": row.number},
                )
            else:
                first[number] = row.number
        existing: set[str] = set()
        for chunk in chunks(list(first), BATCH):
            existing.update(
                Problem.objects.filter(problem_list=problem_list, ledger_number__in=chunk).values_list(
                    "ledger_number", flat=True
                )
            )
        for number in sorted(existing, key=first.__getitem__):
            self.problem(
                first[number],
                "ledger_number",
                _("序号“%(number)s”已在问题清单“%(title)s”中")
                % {"number": number, "title": problem_list.title},
            )

    @staticmethod
    def place_text(row: _Row) -> str:
        """The row's place as one text: 县区 + 乡镇 + 涉及区域, a part left out when the next repeats it."""
        parts = [str(row.values.get(key) or "") for key in layout.PLACE_KEYS]
        text = ""
        for index, part in enumerate(parts):
            following = "".join(parts[index + 1 :])
            if part and not following.startswith(part):
                text += part
        return text

    # --- finishing --------------------------------------------------------------------------------------

    def write(self, user: User, problem_list: ProblemList) -> ImportRun:
        """Create the problems, their events and audit events in one transaction, the list locked: a list
        issued or filled with this file meanwhile is caught here."""
        with transaction.atomic():
            locked = ProblemList.objects.select_for_update().get(pk=problem_list.pk)
            if locked.state != ListState.DRAFT:
                self.problem(0, "", _("问题清单“%(title)s”已交办，不能再导入问题") % {"title": locked.title})
                return self.finish(created=None)
            if self.already_imported(locked):
                return self.finish(created=None, unchanged=True)
            if self.error_count:
                return self.finish(created=None)
            problems = [
                Problem(
                    **row.fields,
                    problem_list=locked,
                    state=ProblemState.DRAFT,
                    created_by=user,
                    colour=Colour.YELLOW,
                    colour_since=row.fields["found_on"],
                )
                for row in self.rows
                if row.fields is not None
            ]
            created: list[Problem] = []
            for chunk in chunks(problems, BATCH):
                created.extend(Problem.objects.bulk_create(chunk))
            ProblemEvent.objects.bulk_create(
                (
                    ProblemEvent(
                        problem_id=problem.pk,
                        region_code=problem.region_code,
                        kind=EventKind.CREATED,
                        on=problem.found_on,
                        by=user,
                        note=_("台账导入：%(file)s") % {"file": self.run.file_name},
                    )
                    for problem in created
                ),
                batch_size=BATCH,
            )
            events.created_many(
                actor=user,
                items=((problem, events.snapshot(problem, SNAPSHOT_FIELDS)) for problem in created),
            )
            if not locked.file_sha256:
                locked.file_sha256 = self.run.file_sha256
                locked.import_run = self.run
                locked.save(update_fields=["file_sha256", "import_run"])
            return self.finish(created=created)

    def finish(self, *, created: list[Problem] | None, unchanged: bool = False) -> ImportRun:
        run = self.run
        problems = sorted(self.problems, key=lambda p: (p.row, len(p.column), p.column))
        run.problems = [dataclasses.asdict(p) for p in problems]
        run.error_count = sum(1 for p in problems if p.level == "error")
        run.warning_count = len(problems) - run.error_count
        run.total_rows = len(self.rows)
        run.processed_rows = run.total_rows
        run.finished_at = timezone.now()
        summary: dict[str, Any] = {"list": list_of(run)}
        if unchanged:
            summary["unchanged"] = True
            summary["created"] = 0
        elif created is not None:
            summary["created"] = len(created)
        elif not run.error_count:
            summary["to_create"] = sum(1 for row in self.rows if row.fields is not None)
        run.summary = summary
        if problems and self.table is not None:
            self.write_errors_file(problems)
        if run.error_count:
            run.status = ImportStatus.REJECTED
        elif run.dry_run:
            run.status = ImportStatus.CHECKED
        else:
            run.status = ImportStatus.SUCCEEDED
        fields = [
            "problems",
            "error_count",
            "warning_count",
            "total_rows",
            "processed_rows",
            "finished_at",
            "summary",
            "errors_file",
            "status",
        ]
        with transaction.atomic():
            run.save(update_fields=fields)
            audit_run(run)
        return run

    def write_errors_file(self, problems: Iterable[spreadsheets.LocatedProblem]) -> None:
        """The uploaded ledger again with its bad cells red (warnings yellow) and a 错误说明 column."""
        if self.table is None:
            return
        stored = Path(self.run.stored_file)
        relative = str(stored.with_name(f"{stored.stem}-errors.xlsx"))
        spreadsheets.write_annotated_copy(
            stored_path(self.run),
            Path(settings.MEDIA_ROOT) / relative,
            problems=problems,
            table=self.table,
            text_columns=("ledger_number", "household_number", "region"),
        )
        self.run.errors_file = relative


# --- what the rows name -------------------------------------------------------------------------------------


class _Categories:
    """问题类别 by name or code (the active and the retired: a retired one is refused by the service)."""

    def __init__(self) -> None:
        self.all = list(ProblemCategory.objects.order_by("sort_order", "code"))
        self.by_text: dict[str, ProblemCategory] = {}
        for category in self.all:
            self.by_text[cellvalues.normalize_text(category.code).casefold()] = category
            self.by_text[cellvalues.normalize_text(category.name).casefold()] = category
            # “住房问题”, “住房类”: the name with the words ledgers add to it.
            for suffix in ("问题", "类", "类问题", "方面"):
                self.by_text.setdefault(cellvalues.normalize_text(category.name + suffix), category)

    def find(self, text: str) -> ProblemCategory | None:
        return self.by_text.get(cellvalues.normalize_text(text).casefold()) if text else None

    def message(self, text: str) -> str:
        if not text:
            return _("问题类别不能为空")
        names = "、".join(c.name for c in self.all if c.active)
        return _("问题类别“%(value)s”不在代码表中（可填：%(names)s）") % {"value": text, "names": names}


class _Places:
    """Resolves a place — a 12-digit code, or names from the village up (“东关村”, “老城街道东关村”,
    “汉滨区老城街道”) — inside the user's scope, once per distinct text, with three queries per run: the
    regions named by a code, those whose name ends one of the texts, and the names of their ancestors."""

    def __init__(self, user: User, texts: Iterable[str]) -> None:
        self.user = user
        self.cache: dict[str, tuple[str, str]] = {}
        wanted = {_fold(text) for text in texts if text}
        codes = sorted(text for text in wanted if is_valid_code(text))
        # Every ending of every text (at least two characters) that could be a region's name.
        endings = sorted({text[i:] for text in wanted if not text.isdigit() for i in range(len(text) - 1)})
        self.by_code: dict[str, Region] = {}
        for chunk in chunks(codes, BATCH):
            self.by_code.update((r.code, r) for r in Region.objects.filter(code__in=chunk))
        self.by_name: dict[str, list[Region]] = defaultdict(list)
        for chunk in chunks(endings, BATCH):
            for region in Region.objects.filter(name__in=chunk).order_by("code"):
                self.by_name[region.name].append(region)
        ancestors: set[str] = set()
        for region in [*self.by_code.values(), *(r for rs in self.by_name.values() for r in rs)]:
            ancestors.update(_ancestor_codes(region.code))
        self.names: dict[str, str] = {}
        for chunk in chunks(sorted(ancestors), BATCH):
            self.names.update(Region.objects.filter(code__in=chunk).values_list("code", "name"))

    def resolve(self, text: str) -> tuple[str, str]:
        """(code, "") or ("", a Chinese message naming the place)."""
        if text not in self.cache:
            self.cache[text] = self._resolve(text)
        return self.cache[text]

    def describe(self, region: Region) -> str:
        path = "".join(self.names.get(code, "") for code in _ancestor_codes(region.code)[-2:])
        return f"{path}{region.name}（{region.code}）"

    def _resolve(self, text: str) -> tuple[str, str]:
        folded = _fold(text)
        if folded.isdigit():
            region = self.by_code.get(folded)
            if region is None:
                return "", _("涉及区域：区划代码 %(code)s 不存在") % {"code": folded}
            if not code_visible_to(self.user, region.code):
                return "", _("涉及区域：%(place)s不在您的管辖范围内") % {"place": self.describe(region)}
            return region.code, ""
        candidates = [
            region
            for length in range(len(folded), 1, -1)
            for region in self.by_name.get(folded[-length:], [])
            if self._ancestors_match(folded[: len(folded) - length], region)
        ]
        if not candidates:
            return "", _("涉及区域：找不到“%(place)s”") % {"place": text}
        mine = [region for region in candidates if code_visible_to(self.user, region.code)]
        if len(mine) == 1:
            return mine[0].code, ""
        if mine:
            return "", _("涉及区域：有多处名为“%(place)s”：%(regions)s；请写上乡镇或县区，或填写区划代码") % {
                "place": text,
                "regions": "、".join(self.describe(region) for region in mine),
            }
        return "", _("涉及区域：%(place)s不在您的管辖范围内") % {"place": self.describe(candidates[0])}

    def _ancestors_match(self, prefix: str, region: Region) -> bool:
        """Whether ``prefix`` is the names of some of the region's ancestors, in order from the top (any may
        be left out: “汉滨区东关村” skips the town)."""
        names = [self.names.get(code, "") for code in _ancestor_codes(region.code)]
        return _spells(prefix, [name for name in names if name])


def _spells(prefix: str, names: list[str]) -> bool:
    if not prefix:
        return True
    return any(
        prefix.startswith(name) and _spells(prefix[len(name) :], names[index + 1 :])
        for index, name in enumerate(names)
    )


def _ancestor_codes(code: str) -> list[str]:
    """The codes above ``code``, from the province down."""
    codes: list[str] = []
    parent = parent_code(code) if is_valid_code(code) else None
    while parent is not None:
        codes.insert(0, parent)
        parent = parent_code(parent)
    return codes


def _fold(text: str) -> str:
    return _PLACE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))


class _Households:
    """户编号 -> the household (one query per batch of the file's numbers); outside the user's scope it is
    answered as unknown, so the file reveals nothing about other regions."""

    def __init__(self, numbers: Iterable[str]) -> None:
        wanted = sorted({number for number in numbers if number})
        self.by_number: dict[str, Household] = {}
        for chunk in chunks(wanted, BATCH):
            self.by_number.update(
                (household.household_number, household)
                for household in Household.objects.filter(household_number__in=chunk).only(
                    "id", "household_number", "region_code"
                )
            )

    def find(self, number: str, user: User) -> Household | None:
        household = self.by_number.get(number)
        if household is None or not code_visible_to(user, household.region_code):
            return None
        return household

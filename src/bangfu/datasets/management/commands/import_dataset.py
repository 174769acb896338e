"""``bangfu import-dataset KIND FILE --user USERNAME (--period YYYY-MM | --from DATE --to DATE) [--dry-run]``.

Checks a department's file and stores it as a new version of the dataset (``datasets.importing``), printing
each problem as “工作表 Sheet1 第12行 B列：…” and, when stored, how many rows matched the registry. Exit codes
(DESIGN.md §6): 0 stored (or, with ``--dry-run``, no errors), 1 rejected or refused, 2 usage error.
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu.core import cellvalues
from bangfu.datasets.importing import import_dataset
from bangfu.datasets.models import DatasetKind
from bangfu.registry.importing import problem_lines, rejection_text
from bangfu.registry.models import ImportStatus

SUMMARY_LABELS = {
    "version": gettext_lazy("版本号"),
    "rows": gettext_lazy("数据行"),
    "matched": gettext_lazy("已匹配"),
    "name_differs": gettext_lazy("姓名不一致"),
    "former_member": gettext_lazy("已离户人员"),
    "unmatched": gettext_lazy("未匹配"),
}


def _day(text: str, option: str) -> dt.date:
    try:
        day = cellvalues.parse_date(text)
    except cellvalues.CellError as exc:
        raise CommandError(f"{option}：{exc}", returncode=2) from exc
    if day is None:
        raise CommandError(_("%(option)s 不能为空") % {"option": option}, returncode=2)
    return day


class Command(BaseCommand):
    help = "导入行业部门数据（医保、民政、住建、教育、应急、残联、公安、人社、信息比对），按身份证号匹配农户"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=DatasetKind.values, help="数据类型")
        parser.add_argument("file", type=Path, help="要导入的工作簿（.xlsx/.xls/.ods）")
        parser.add_argument("--user", required=True, help="以此用户的身份和范围导入（用户名）")
        parser.add_argument("--period", help="数据期间为一个月：YYYY-MM")
        parser.add_argument("--from", dest="start", help="数据期间起（日期）")
        parser.add_argument("--to", dest="end", help="数据期间止（日期）")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def period(self, options: dict[str, Any]) -> tuple[dt.date, dt.date]:
        if options["period"]:
            if options["start"] or options["end"]:
                raise CommandError(_("--period 与 --from/--to 只能选一种"), returncode=2)
            first = _day(options["period"], "--period")
            first = first.replace(day=1)
            return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
        if not (options["start"] and options["end"]):
            raise CommandError(_("请用 --period YYYY-MM 或 --from 与 --to 指定数据期间"), returncode=2)
        return _day(options["start"], "--from"), _day(options["end"], "--to")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("文件不存在：%(file)s") % {"file": path}, returncode=2)
        start, end = self.period(options)
        user = get_user_model()._default_manager.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(_("用户不存在：%(user)s") % {"user": options["user"]}, returncode=2)
        try:
            run = import_dataset(
                by=user,
                kind=options["kind"],
                path=path,
                file_name=path.name,
                period_start=start,
                period_end=end,
                dry_run=options["dry_run"],
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc), returncode=1) from exc
        for line in problem_lines(run):
            self.stdout.write(line)
        if run.status in {ImportStatus.REJECTED, ImportStatus.FAILED}:
            raise CommandError(rejection_text(run), returncode=1)
        if run.status == ImportStatus.CHECKED:
            self.stdout.write(
                self.style.SUCCESS(_("试导入通过：共%(rows)d行，未写入数据") % {"rows": run.total_rows})
            )
            return
        for key, label in SUMMARY_LABELS.items():
            self.stdout.write(f"{label}：{run.summary.get(key, 0)}")
        self.stdout.write(self.style.SUCCESS(_("导入成功：共%(rows)d行") % {"rows": run.total_rows}))

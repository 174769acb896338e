"""``bangfu import-households FILE --user USERNAME [--dry-run] [--errors OUT.xlsx] [--year YYYY]``.

Runs the import synchronously as a tracked ``ImportRun`` (the same service as the upload page) and prints
each problem as “工作表 Sheet1 第12行 F列：…”. Exit codes (DESIGN.md §6): 0 imported (or, with
``--dry-run``, no errors), 1 rejected or refused (reasons printed), 2 usage error (no such file or user).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu.registry.importing import (
    errors_path,
    import_households,
    prepare_import,
    problem_lines,
    rejection_text,
)
from bangfu.registry.models import ImportStatus

SUMMARY_LABELS = {
    "households_created": gettext_lazy("新增农户"),
    "households_updated": gettext_lazy("更新农户"),
    "households_unchanged": gettext_lazy("未变农户"),
    "members_created": gettext_lazy("新增成员"),
    "members_updated": gettext_lazy("更新成员"),
    "members_left": gettext_lazy("离户成员"),
    "statements": gettext_lazy("收支情况"),
    "indicators": gettext_lazy("三保障及饮水指标"),
}


class Command(BaseCommand):
    help = "从国家防止返贫监测系统格式的 Excel 表导入农户信息（先全部校验，无错误才写入）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="要导入的工作簿（.xlsx/.xls/.ods）")
        parser.add_argument("--user", required=True, help="以此用户的身份和管辖范围导入（用户名）")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument("--errors", type=Path, help="有问题时，把标注了问题的工作簿写到此文件")
        parser.add_argument("--year", type=int, help="收支情况的年度（表中无“年度”列时使用；默认上一年）")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("文件不存在：%(file)s") % {"file": path}, returncode=2)
        year: int | None = options["year"]
        if year is not None and not 2000 <= year <= 2100:
            raise CommandError(_("--year 应为2000至2100之间的年份"), returncode=2)
        user = get_user_model()._default_manager.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(_("用户不存在：%(user)s") % {"user": options["user"]}, returncode=2)
        try:
            run = prepare_import(
                by=user, path=path, file_name=path.name, dry_run=options["dry_run"], year=year
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc), returncode=1) from exc
        run = import_households(run=run)
        for line in problem_lines(run):
            self.stdout.write(line)
        annotated = errors_path(run)
        if options["errors"] is not None and annotated is not None:
            shutil.copyfile(annotated, options["errors"])
            self.stdout.write(_("已写出标注问题的工作簿：%(file)s") % {"file": options["errors"]})
        if run.status in {ImportStatus.REJECTED, ImportStatus.FAILED}:
            raise CommandError(rejection_text(run), returncode=1)
        for key, label in SUMMARY_LABELS.items():
            self.stdout.write(f"{label}：{run.summary.get(key, 0)}")
        if run.status == ImportStatus.CHECKED:
            self.stdout.write(
                self.style.SUCCESS(_("试导入通过：共%(rows)d行，未写入数据") % {"rows": run.total_rows})
            )
        else:
            self.stdout.write(self.style.SUCCESS(_("导入成功：共%(rows)d行") % {"rows": run.total_rows}))

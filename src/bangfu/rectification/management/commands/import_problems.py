"""``bangfu import-problems FILE --list LIST_ID --user USERNAME [--dry-run] [--errors OUT.xlsx]``.

Checks a problem ledger (整改台账) and adds its problems to a draft problem list (``rectification.importing``,
the same service as the upload page), printing each problem as “工作表 Sheet1 第12行 F列：…”. Exit codes
(DESIGN.md §6): 0 imported, unchanged (the same file again) or, with ``--dry-run``, no errors; 1 rejected or
refused (reasons printed); 2 usage error (no such file, user or list).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from bangfu.rectification.exceptions import RectificationRefused
from bangfu.rectification.importing import errors_path, import_ledger
from bangfu.rectification.models import ProblemList
from bangfu.registry.importing import problem_lines, rejection_text
from bangfu.registry.models import ImportStatus


class Command(BaseCommand):
    help = "从整改台账（Excel）导入问题到待交办的问题清单（先全部校验，无错误才写入）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="要导入的台账工作簿（.xlsx/.xls/.ods）")
        parser.add_argument("--list", dest="list_id", type=int, required=True, help="问题清单编号")
        parser.add_argument("--user", required=True, help="以此用户的身份和管辖范围导入（用户名）")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument("--errors", type=Path, help="有问题时，把标注了问题的工作簿写到此文件")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("文件不存在：%(file)s") % {"file": path}, returncode=2)
        user = get_user_model()._default_manager.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(_("用户不存在：%(user)s") % {"user": options["user"]}, returncode=2)
        # Another region's list is answered like a missing one: its existence is not revealed.
        problem_list = (
            ProblemList.objects.visible_to(user)
            .select_related("campaign")
            .filter(pk=options["list_id"])
            .first()
        )
        if problem_list is None:
            raise CommandError(
                _("问题清单 %(pk)d 不存在或不在您的管辖范围内") % {"pk": options["list_id"]}, returncode=2
            )
        try:
            run = import_ledger(
                by=user, path=path, file_name=path.name, problem_list=problem_list, dry_run=options["dry_run"]
            )
        except (PermissionDenied, RectificationRefused) as exc:
            raise CommandError(str(exc), returncode=1) from exc
        for line in problem_lines(run):
            self.stdout.write(line)
        annotated = errors_path(run)
        if options["errors"] is not None and annotated is not None:
            shutil.copyfile(annotated, options["errors"])
            self.stdout.write(_("已写出标注问题的工作簿：%(file)s") % {"file": options["errors"]})
        if run.status in {ImportStatus.REJECTED, ImportStatus.FAILED}:
            raise CommandError(rejection_text(run), returncode=1)
        if run.summary.get("unchanged"):
            self.stdout.write(self.style.SUCCESS(_("该文件已导入过此问题清单，本次未作任何更改")))
        elif run.status == ImportStatus.CHECKED:
            self.stdout.write(
                self.style.SUCCESS(
                    _("试导入通过：共%(rows)d行，正式导入将新增%(count)d个问题，未写入数据")
                    % {"rows": run.total_rows, "count": run.summary.get("to_create", 0)}
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("导入成功：共%(rows)d行，新增%(count)d个问题（待交办）")
                    % {"rows": run.total_rows, "count": run.summary.get("created", 0)}
                )
            )

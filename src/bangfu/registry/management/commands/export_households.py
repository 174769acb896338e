"""``bangfu export-households --region CODE --user USERNAME OUT.xlsx [--reveal] [--year YYYY]``.

Writes the region's households in the national layout (the file re-imports unchanged), streamed. ID numbers
and phones are masked unless ``--reveal`` is given and the user holds the reveal grant. Exit codes: 0 written,
1 refused (no permission, region outside the user's scope), 2 usage error (no such user, malformed region).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from bangfu.registry import access
from bangfu.registry.exporting import ExportRefused, export_households


class Command(BaseCommand):
    help = "按国家防止返贫监测系统格式导出某一区域的农户信息（默认脱敏）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path, help="输出的工作簿（.xlsx）")
        parser.add_argument("--region", required=True, help="区划代码（12位）或范围前缀，如 610902")
        parser.add_argument("--user", required=True, help="以此用户的身份和管辖范围导出（用户名）")
        parser.add_argument(
            "--reveal", action="store_true", help="导出完整的身份证号码和电话（须有查看权限，记入审计）"
        )
        parser.add_argument("--year", type=int, help="导出哪一年的收支情况（默认各户最近一年）")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model()._default_manager.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(_("用户不存在：%(user)s") % {"user": options["user"]}, returncode=2)
        out: Path = options["out"]
        if not out.parent.is_dir():
            raise CommandError(_("输出目录不存在：%(dir)s") % {"dir": out.parent}, returncode=2)
        reveal: bool = options["reveal"]
        if reveal and not access.can_reveal(user):
            self.stderr.write(_("该用户没有查看完整个人信息的权限，身份证号码和电话将脱敏导出"))
        try:
            count = export_households(
                by=user, region_code=options["region"], out=out, reveal=reveal, year=options["year"]
            )
        except ExportRefused as exc:
            raise CommandError(str(exc), returncode=2) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(
            self.style.SUCCESS(_("已导出 %(count)d 名成员：%(file)s") % {"count": count, "file": out})
        )

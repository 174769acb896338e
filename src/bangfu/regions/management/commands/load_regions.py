"""``bangfu load-regions --prefix 61 [--source FILE]``: load regions from the shipped statistical codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.regions.services import RegionDataError, load_regions


class Command(BaseCommand):
    help = "从随附的统计用区划代码文件载入某一区域（含其上级）的行政区划，可重复运行"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--prefix",
            required=True,
            help="区划代码前缀：2位（省）、4位（市）、6位（县）、9位（乡镇）或12位（村），如 61 或 6109",
        )
        parser.add_argument(
            "--source", type=Path, help="另用的数据文件（code,name 两列，按代码排序；.csv 或 .csv.xz）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path | None = options["source"]
        if source is not None and not source.is_file():
            raise CommandError(_("数据文件不存在：%(file)s") % {"file": source}, returncode=1)
        try:
            result = load_regions(prefix=options["prefix"].strip(), source=source)
        except RegionDataError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        # Reference data changed by an operator at the shell: recorded like any other change.
        events.security(
            actor=None,
            action="regions_loaded",
            detail={
                "prefix": result.prefix,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
        for level, count in result.by_level.items():
            self.stdout.write(f"{level.label}：{count}")
        self.stdout.write(
            _("共 %(total)d 个区划：新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d。")
            % {
                "total": result.total,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            }
        )

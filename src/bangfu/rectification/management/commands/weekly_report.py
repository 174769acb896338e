"""``bangfu weekly-report [--week YYYY-Www] [--region CODE] [--format xlsx|json] [--output FILE]``.

Makes the clearance report (清零周报) of the week if it is missing (``rectification.reports``; default: the
last complete ISO week), then prints the latest version as JSON, or writes it as a workbook to ``--output``.
Without ``--region``: every region's snapshot is made and the city-level one is shown. Exit codes: 0 done,
1 refused (the week is not over, no such region), 2 usage error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.rectification import reports
from bangfu.rectification.exceptions import RectificationRefused
from bangfu.rectification.models import WeeklyReport
from bangfu.regions.codes import full_code
from bangfu.regions.models import Region


def as_json(report: WeeklyReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "week": report.week,
        "region_code": report.region_code,
        "sector": report.sector,
        "version": report.version,
        "reason": report.reason,
        "generated_at": report.generated_at.isoformat(),
        "figures": report.figures,
    }


class Command(BaseCommand):
    help = "生成并输出清零周报（默认上一周）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--week", default="", help="ISO 周次，如 2026-W47（默认上一周）")
        parser.add_argument("--region", default="", help="区划代码或前缀（默认全市）")
        parser.add_argument("--format", dest="fmt", choices=("json", "xlsx"), default="json", help="输出格式")
        parser.add_argument("--output", default="", help="xlsx 文件的保存路径")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            week_start = (
                reports.parse_week(options["week"])
                if options["week"]
                else reports.last_week_start(timezone.localdate())
            )
            prefix = reports.report_prefix(options["region"]) if options["region"] else ""
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if options["fmt"] == "xlsx" and not options["output"]:
            raise CommandError(_("--format xlsx 须同时指定 --output 文件"), returncode=2)
        if prefix and not Region.objects.filter(code=full_code(prefix)).exists():
            raise CommandError(_("没有这个区划：%(code)s") % {"code": prefix}, returncode=1)
        try:
            reports.make_weekly_reports(week_start=week_start, region_codes=[prefix] if prefix else None)
        except RectificationRefused as exc:
            raise CommandError(exc.message, returncode=1) from exc
        week = reports.week_label(week_start)
        latest = WeeklyReport.objects.filter(week=week, sector="").latest_versions()
        if prefix:
            latest = latest.filter(region_code=full_code(prefix))
        else:
            latest = latest.filter(region_code__endswith="00000000").exclude(
                region_code__endswith="0000000000"
            )
        found = list(latest.order_by("region_code"))
        if not found:
            raise CommandError(_("%(week)s 没有交办的问题，未生成周报") % {"week": week}, returncode=1)
        if options["fmt"] == "xlsx":
            if len(found) > 1:
                raise CommandError(_("有多个市级周报，请用 --region 指定一个"), returncode=2)
            reports.write_xlsx(found[0], Path(options["output"]))
            self.stdout.write(
                _("已写入 %(path)s（%(week)s %(code)s 第%(version)d版）")
                % {
                    "path": options["output"],
                    "week": week,
                    "code": found[0].region_code,
                    "version": found[0].version,
                }
            )
            return
        payload: Any = as_json(found[0]) if prefix or len(found) == 1 else [as_json(r) for r in found]
        self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder))

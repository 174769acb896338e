"""``bangfu screen [--as-of DATE] [--region PREFIX] [--rule CODE …] [--dry-run] [--json]``.

Runs the screening rules in force (``monitoring.screening``) and prints, per rule, the households flagged and
the new warnings, then the new warnings per county; ``--json`` prints the same as one JSON object.
``--dry-run`` writes nothing (with ``--rule``, a disabled rule is previewed too). Exit codes: 0 done, 1 a
policy value the run needs is not set, 2 usage error.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.core import cellvalues
from bangfu.monitoring.screening import ScreeningError, screen
from bangfu.regions.codes import is_scope_prefix
from bangfu.regions.models import Region


class Command(BaseCommand):
    help = "运行筛查规则：比对部门数据与农户信息，生成预警线索"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="筛查日期（默认今天）")
        parser.add_argument("--region", default="", help="只筛查此区划代码前缀（如 610902）")
        parser.add_argument("--rule", action="append", dest="rules", help="只运行此规则（可多次指定）")
        parser.add_argument("--dry-run", action="store_true", help="只预览，不生成预警")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出结果")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            on = cellvalues.parse_date(options["as_of"]) if options["as_of"] else timezone.localdate()
        except cellvalues.CellError as exc:
            raise CommandError(f"--as-of：{exc}", returncode=2) from exc
        assert on is not None  # noqa: S101 - parse_date returns a date for a non-blank text
        region = options["region"]
        if region and not is_scope_prefix(region):
            raise CommandError(_("区划代码前缀无效：%(region)s") % {"region": region}, returncode=2)
        started = time.perf_counter()
        try:
            run, results = screen(
                on=on, region_prefix=region, codes=options["rules"], dry_run=options["dry_run"]
            )
        except ScreeningError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        seconds = time.perf_counter() - started
        if options["json"]:
            payload = {
                "as_of": on.isoformat(),
                "region": region,
                "dry_run": options["dry_run"],
                "seconds": round(seconds, 3),
                "created_warnings": run.created_warnings,
                **run.counts,
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        names = dict(Region.objects.filter(level=3).values_list("code", "name"))
        self.stdout.write(
            _("筛查日期 %(on)s，用时 %(seconds).1f 秒") % {"on": on.isoformat(), "seconds": seconds}
        )
        for result in results:
            self.stdout.write(
                _("%(code)s %(name)s：涉及%(flagged)d户，新增预警%(new)d条")
                % {"code": result.code, "name": result.name, "flagged": result.flagged, "new": result.new}
            )
            for county, message in sorted(result.skipped.items()):
                self.stdout.write(f"  {names.get(county.ljust(12, '0'), county)}：{message}")
        for county, count in sorted(run.counts["by_county"].items()):
            self.stdout.write(
                _("%(county)s：%(count)d条")
                % {"county": names.get(county.ljust(12, "0"), county), "count": count}
            )
        verb = _("预览（未写入）") if options["dry_run"] else _("新增预警")
        self.stdout.write(self.style.SUCCESS(f"{verb}：{run.created_warnings}"))

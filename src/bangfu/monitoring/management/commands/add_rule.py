"""``bangfu add-rule FILE.json --user USERNAME [--preview]``: add screening rules, or new versions of rules,
from a JSON file — how a province changes its screening without code.

The file holds one rule or a list of them, each ``{"code", "name", "source", "condition", "risk_type",
"effective_from"}`` with optional ``window_days``, ``region_prefix``, ``enabled`` and ``description``
(``monitoring.rules`` documents the condition). All are checked first and added in one transaction, or none
is. ``--preview`` adds nothing: it screens as of ``effective_from`` with the rules as written (enabled or
not) and prints how many households each would flag. Exit codes: 0 done, 1 refused (reasons printed),
2 usage error.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from bangfu.monitoring import services
from bangfu.monitoring.screening import ScreeningError, screen

FIELDS = {
    "code",
    "name",
    "source",
    "condition",
    "risk_type",
    "effective_from",
    "window_days",
    "region_prefix",
    "enabled",
    "description",
}
REQUIRED = ("code", "name", "source", "condition", "risk_type", "effective_from")


class _Preview(Exception):
    """Raised inside the transaction to roll the preview's rules back."""


def _rules(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(_("无法读取规则文件：%(error)s") % {"error": exc}, returncode=2) from exc
    items = data if isinstance(data, list) else [data]
    rules: list[dict[str, Any]] = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise CommandError(_("第%(n)d条规则须为一个对象") % {"n": n}, returncode=1)
        unknown = sorted(set(item) - FIELDS)
        missing = [key for key in REQUIRED if key not in item]
        if unknown or missing:
            raise CommandError(
                _("第%(n)d条规则：缺少 %(missing)s；无法识别 %(unknown)s")
                % {"n": n, "missing": "、".join(missing) or "—", "unknown": "、".join(unknown) or "—"},
                returncode=1,
            )
        try:
            item["effective_from"] = dt.date.fromisoformat(str(item["effective_from"]))
        except ValueError as exc:
            raise CommandError(
                _("第%(n)d条规则：生效日期须写成 YYYY-MM-DD") % {"n": n}, returncode=1
            ) from exc
        rules.append(item)
    return rules


class Command(BaseCommand):
    help = "从 JSON 文件新增筛查规则（或规则的新版本），不需改代码"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="规则文件（JSON）")
        parser.add_argument("--user", required=True, help="以此用户的身份新增（市级指挥部）")
        parser.add_argument("--preview", action="store_true", help="只预览：按规则筛查会涉及多少户，不新增")

    def handle(self, *args: Any, **options: Any) -> None:
        rules = _rules(options["file"])
        user = get_user_model()._default_manager.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(_("用户不存在：%(user)s") % {"user": options["user"]}, returncode=2)
        try:
            with transaction.atomic():
                added = [services.add_rule(by=user, **rule) for rule in rules]
                if options["preview"]:
                    for rule in added:
                        _run, results = screen(on=rule.effective_from, codes=[rule.code], dry_run=True)
                        for result in results:
                            self.stdout.write(
                                _("%(code)s：按 %(on)s 的数据将涉及%(flagged)d户（新预警%(new)d条）")
                                % {
                                    "code": result.code,
                                    "on": rule.effective_from.isoformat(),
                                    "flagged": result.flagged,
                                    "new": result.new,
                                }
                            )
                    raise _Preview
        except _Preview:
            self.stdout.write(self.style.SUCCESS(_("预览完成，未新增规则")))
            return
        except (PermissionDenied, services.MonitoringRefused, ScreeningError) as exc:
            raise CommandError(str(exc), returncode=1) from exc
        for rule in added:
            self.stdout.write(
                self.style.SUCCESS(
                    _("已新增规则 %(code)s，自 %(on)s 起生效")
                    % {"code": rule.code, "on": rule.effective_from}
                )
            )

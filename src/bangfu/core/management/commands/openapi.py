"""``bangfu openapi [--check FILE | --output FILE]``: the API schema, committed under docs/api/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.api import api


def schema_text() -> str:
    """The OpenAPI document as stable, diff-friendly JSON."""
    schema = api.get_openapi_schema()
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "输出或检查 OpenAPI 接口描述"

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--output", type=Path, help="写入文件")
        group.add_argument("--check", type=Path, help="与已提交的文件比较，不一致时退出码为1")

    def handle(self, *args: Any, **options: Any) -> None:
        text = schema_text()
        if options["check"]:
            committed = options["check"].read_text(encoding="utf-8") if options["check"].exists() else ""
            if committed != text:
                path = options["check"]
                raise CommandError(
                    f"接口描述与 {path} 不一致：请运行 bangfu openapi --output {path}", returncode=1
                )
            self.stdout.write("接口描述与已提交文件一致")
        elif options["output"]:
            options["output"].parent.mkdir(parents=True, exist_ok=True)
            options["output"].write_text(text, encoding="utf-8")
            self.stdout.write(f"已写入 {options['output']}")
        else:
            self.stdout.write(text, ending="")

"""``bangfu generate-key [--id ID | --index]``: print a new random key; nothing is written anywhere."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.core import crypto


class Command(BaseCommand):
    help = "生成新的数据密钥（一行“编号:十六进制”，放在密钥列表最前）或盲索引密钥（--index）"

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--id", dest="key_id", help="新密钥的编号（默认为下一个 k<n>）")
        group.add_argument("--index", action="store_true", help="生成盲索引密钥（BANGFU_INDEX_KEY 的值）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["index"]:
            self.stdout.write(crypto.generate_index_key())
            return
        try:
            line = crypto.generate_key_line(key_id=options["key_id"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(line)

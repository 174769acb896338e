"""``bangfu audit verify [--chunk-size N]``: check the audit trail's hash chain end to end.

Exit 0 with "审计链完整：N 条" and the last hash (which can be recorded elsewhere as an anchor), or exit 1
naming the first broken link and why.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bangfu.audit.chain import DEFAULT_CHUNK_SIZE, last_hash, verify_chain


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = "审计记录：verify 校验哈希链是否完整"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="逐条校验审计链，报告第一处断裂")
        verify.add_argument(
            "--chunk-size",
            type=_positive_int,
            default=DEFAULT_CHUNK_SIZE,
            help="每批读取的记录数（默认 %(default)s）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # "verify" is the only subcommand so far; argparse has already rejected anything else.
        result = verify_chain(chunk_size=options["chunk_size"])
        if not result.ok:
            raise CommandError(
                ngettext(
                    "审计链在第 %(seq)s 条断开：%(reason)s（此前 %(checked)d 条完好）",
                    "审计链在第 %(seq)s 条断开：%(reason)s（此前 %(checked)d 条完好）",
                    result.checked,
                )
                % {"seq": result.first_broken_seq, "reason": result.reason, "checked": result.checked},
                returncode=1,
            )
        self.stdout.write(
            ngettext("审计链完整：%(count)d 条", "审计链完整：%(count)d 条", result.checked)
            % {"count": result.checked}
        )
        self.stdout.write(_("末条哈希：%(hash)s") % {"hash": last_hash()})

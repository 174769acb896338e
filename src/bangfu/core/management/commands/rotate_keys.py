"""``bangfu rotate-keys [--batch-size N] [--reindex]``: re-encrypt personal data under the current key: the
encrypted columns, then the encrypted files (photos, evidence, supervision orders)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.core import crypto
from bangfu.core.keyrotation import rebuild_blind_indexes, rotate_files, rotate_keys


class Command(BaseCommand):
    help = "用当前密钥重新加密所有个人信息字段和加密保存的文件（见 docs/key-management.md）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000, help="每批处理的行数（默认1000）")
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="更换盲索引密钥后使用：用当前盲索引密钥重算所有 <字段>_index 列",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError(_("--batch-size 至少为1"), returncode=2)
        try:
            counts = rotate_keys(batch_size=batch_size)
            files = rotate_files(batch_size=batch_size)
        except crypto.DecryptionError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        if not counts:
            self.stdout.write(_("没有含加密字段的数据表，无需轮换"))
        key_id = crypto.current_key_id()
        for label, count in counts.items():
            self.stdout.write(
                _("%(model)s：%(count)d 行已改用密钥 %(key_id)s 加密")
                % {"model": label, "count": count, "key_id": key_id}
            )
        for label, result in files.items():
            self.stdout.write(
                _("%(field)s：%(count)d 个文件已改用密钥 %(key_id)s 加密")
                % {"field": label, "count": result.rotated, "key_id": key_id}
            )
            if result.missing:
                self.stderr.write(
                    _("%(field)s：%(count)d 个文件在数据库中有记录但磁盘上找不到，已跳过（例如 %(name)s）")
                    % {"field": label, "count": len(result.missing), "name": result.missing[0]}
                )
        reindexed: dict[str, int] = {}
        if options["reindex"]:
            reindexed = rebuild_blind_indexes(batch_size=batch_size)
            for label, count in reindexed.items():
                self.stdout.write(
                    _("%(model)s：%(count)d 行的盲索引已重算") % {"model": label, "count": count}
                )
        # A command is an entry point like a view: it records the change; the core library itself stays free
        # of app imports.
        events.security(
            actor=None,
            action="keys_rotated",
            detail={
                "key_id": key_id,
                "reencrypted": counts,
                "files_reencrypted": {label: result.rotated for label, result in files.items()},
                "files_missing": {label: len(result.missing) for label, result in files.items()},
                "reindexed": reindexed,
            },
        )
        self.stdout.write(self.style.SUCCESS(_("密钥轮换完成")))

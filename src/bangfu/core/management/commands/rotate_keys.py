"""``bangfu rotate-keys [--batch-size N] [--reindex]``: re-encrypt personal data under the current key: the
encrypted columns, then the encrypted files (photos, evidence, supervision orders)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from bangfu.audit import events
from bangfu.core import crypto
from bangfu.core.keyrotation import FileRotation, rebuild_blind_indexes, rotate_files, rotate_keys


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
        key_id = crypto.current_key_id()
        counts: dict[str, int] = {}
        files: dict[str, FileRotation] = {}
        reindexed: dict[str, int] = {}
        error = ""
        try:
            counts = rotate_keys(batch_size=batch_size)
            self.report_rows(counts, key_id)
            files = rotate_files(batch_size=batch_size)
            self.report_files(files, key_id)
            if options["reindex"]:
                reindexed = rebuild_blind_indexes(batch_size=batch_size)
                for label, count in reindexed.items():
                    self.stdout.write(
                        _("%(model)s：%(count)d 行的盲索引已重算") % {"model": label, "count": count}
                    )
        except crypto.DecryptionError as exc:
            error = str(exc)
        finally:
            # Recorded however the run ends: what was rotated stays rotated (each batch and file commits on
            # its own). A command is an entry point like a view: it records the change; the core library
            # itself stays free of app imports.
            events.security(
                actor=None,
                action="keys_rotated",
                detail={
                    "key_id": key_id,
                    "reencrypted": counts,
                    "files_reencrypted": {label: result.rotated for label, result in files.items()},
                    "files_missing": {
                        label: result.missing for label, result in files.items() if result.missing
                    },
                    "files_failed": {
                        label: [pk for pk, _why in result.failed]
                        for label, result in files.items()
                        if result.failed
                    },
                    "reindexed": reindexed,
                    "error": error,
                },
            )
        if error:
            raise CommandError(error, returncode=1)
        unfinished = sum(len(result.missing) + len(result.failed) for result in files.values())
        if unfinished:
            raise CommandError(
                _("有%(count)d个文件未能改用新密钥（见上）：处理完之前不能删除旧密钥")
                % {"count": unfinished},
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS(_("密钥轮换完成")))

    def report_rows(self, counts: dict[str, int], key_id: str) -> None:
        if not counts:
            self.stdout.write(_("没有含加密字段的数据表，无需轮换"))
        for label, count in counts.items():
            self.stdout.write(
                _("%(model)s：%(count)d 行已改用密钥 %(key_id)s 加密")
                % {"model": label, "count": count, "key_id": key_id}
            )

    def report_files(self, files: dict[str, FileRotation], key_id: str) -> None:
        """Counts per file field; the rows whose file was skipped, by id (a file name may carry a name)."""
        for label, result in files.items():
            self.stdout.write(
                _("%(field)s：%(count)d 个文件已改用密钥 %(key_id)s 加密")
                % {"field": label, "count": result.rotated, "key_id": key_id}
            )
            if result.missing:
                self.stderr.write(
                    _("%(field)s：%(count)d 个文件在磁盘上找不到，已跳过（记录编号 %(ids)s）")
                    % {"field": label, "count": len(result.missing), "ids": _ids(result.missing)}
                )
            for pk, why in result.failed:
                self.stderr.write(
                    _("%(field)s：记录编号 %(id)s 的文件未能改用新密钥：%(why)s")
                    % {"field": label, "id": pk, "why": why}
                )


def _ids(pks: list[Any], shown: int = 20) -> str:
    text = "、".join(str(pk) for pk in pks[:shown])
    return text + ("……" if len(pks) > shown else "")

"""Writes of the audit app other than the event constructors: exporting the audit list."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.accounts.models import Role, User
from bangfu.accounts.permissions import has_role
from bangfu.audit import events
from bangfu.audit.models import AuditEvent, AuditEventQuerySet

if TYPE_CHECKING:
    from django.http import HttpRequest


EXPORT_CHUNK_SIZE = 2000
# A cell starting with one of these is a formula in Excel/WPS; a leading quote makes it plain text.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditExport:
    """An export ready to stream: how many events, and the CSV text in pieces."""

    count: int
    chunks: Iterator[str]


class _Echo:
    """A file-like object whose ``write`` returns the text, so ``csv.writer`` can feed a generator."""

    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _csv_chunks(rows: AuditEventQuerySet) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The byte-order mark makes Excel and WPS open the UTF-8 file with its Chinese text intact.
    yield "\ufeff" + writer.writerow(
        [
            _("序号"),
            _("时间"),
            _("操作人账号"),
            _("操作类型"),
            _("具体操作"),
            _("对象类型"),
            _("对象编号"),
            _("对象"),
            _("区划代码"),
            _("IP地址"),
            _("详情"),
            _("哈希"),
        ]
    )
    for event in rows.order_by("-seq").iterator(chunk_size=EXPORT_CHUNK_SIZE):
        yield writer.writerow(
            [
                _cell(value)
                for value in (
                    event.seq,
                    timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    event.actor_username,
                    event.get_action_display(),
                    event.operation,
                    event.object_type,
                    event.object_id,
                    event.object_repr,
                    event.region_code,
                    event.ip,
                    json.dumps(event.data, ensure_ascii=False, sort_keys=True),
                    event.hash,
                )
            ]
        )


def export_events(
    *,
    by: User,
    events_to_export: AuditEventQuerySet,
    region_code: str = "",
    request: HttpRequest | None = None,
) -> AuditExport:
    """Export the audit events the auditor filtered, as CSV (the stored values, already masked).

    Side effects: an ``export`` audit event naming the count, written before any row is streamed. The
    rows are those that existed when the export was asked for: the export's own event is not among them.
    """
    if not has_role(by, Role.AUDITOR):
        raise PermissionDenied(_("只有审计员可以导出审计记录。"))
    last_seq = AuditEvent.objects.aggregate(last=Max("seq"))["last"] or 0
    rows = events_to_export.filter(seq__lte=last_seq)
    count = rows.count()
    events.exported(actor=by, what="audit.auditevent", count=count, region_code=region_code, request=request)
    return AuditExport(count=count, chunks=_csv_chunks(rows))

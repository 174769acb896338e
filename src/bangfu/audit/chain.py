"""The SM3 hash chain over audit events: appending under a lock, and verifying the whole chain.

Each event's ``hash`` is ``SM3(prev_hash || canonical(event))`` where ``canonical`` is a JSON text of the
event's fields with sorted keys, no whitespace, UTF-8, ``created_at`` in a fixed UTC format and the
sequence number included (so moving a row to another position breaks the chain). The first event's
``prev_hash`` is ``GENESIS_HASH``.

Serialising appenders: ``append`` runs inside ``transaction.atomic`` and locks the single
``AuditChainHead`` row with ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every write transaction
holds the database write lock from ``BEGIN IMMEDIATE`` (settings set ``transaction_mode``), which
serialises appenders just the same. An event appended inside a caller's transaction is a savepoint in it
and rolls back with it — no event for a change that did not happen. The head lock is then held until the
caller commits, so services write their audit event as the last step of their transaction.

What is detected: a changed field (the recomputed hash differs), a removed row (a gap in ``seq``), a
removed, inserted or reordered row (``prev_hash`` no longer links to the previous row's hash), rows
removed from the end (the last row does not match the chain head) and rows written around the chain
(rows past the head). Someone able to rewrite every row *and* the head can forge a consistent chain; the
last hash printed by ``bangfu audit verify`` can be recorded outside the system to anchor it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent

# The fields covered by the hash, in the order ``verify_chain`` reads them. ``actor_id`` is left out on
# purpose: deleting an account sets it to NULL (SET_NULL); the hashed identity is the username snapshot.
HASHED_FIELDS = (
    "seq",
    "created_at",
    "actor_username",
    "action",
    "operation",
    "object_type",
    "object_id",
    "object_repr",
    "region_code",
    "ip",
    "user_agent",
    "data",
)
CREATED_AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
DEFAULT_CHUNK_SIZE = 2000


class ChainHeadMissing(RuntimeError):
    """The chain head row is gone while events exist: appending would fork the chain."""


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of ``verify_chain``: ``checked`` events were intact before ``first_broken_seq``."""

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str = ""


def format_created_at(value: datetime) -> str:
    """``created_at`` as hashed: UTC with microseconds, whatever the database or time zone setting."""
    return value.astimezone(UTC).strftime(CREATED_AT_FORMAT)


def canonical(fields: dict[str, Any]) -> bytes:
    """The canonical serialisation of an event's hashed fields (see the module docstring)."""
    payload = {name: fields[name] for name in HASHED_FIELDS}
    payload["created_at"] = format_created_at(fields["created_at"])
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def compute_hash(*, prev_hash: str, fields: dict[str, Any]) -> str:
    """Hex SM3 digest of ``prev_hash`` followed by the canonical serialisation of ``fields``."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(prev_hash.encode("ascii"))
    digest.update(canonical(fields))
    return digest.finalize().hex()


def _locked_head() -> AuditChainHead:
    """The chain head row, locked until the surrounding transaction ends."""
    locked = AuditChainHead.objects.select_for_update()
    head = locked.filter(pk=1).first()
    if head is None:
        # The data migration creates the row; this covers a database where it is missing. Concurrent
        # creators race harmlessly: the conflict is ignored and all then wait on the same row lock, so the
        # check below sees the head as the first creator committed it.
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=1)], ignore_conflicts=True)
        head = locked.get(pk=1)
        if head.last_seq == 0 and AuditEvent.objects.exists():
            # A fresh head over existing events would fork the chain: refuse to write at all (the head
            # created just now rolls back with the caller's transaction).
            raise ChainHeadMissing(
                _("审计链头记录缺失，无法追加审计记录；请运行 bangfu audit verify 并报告安全管理员。")
            )
    return head


def append(
    *,
    actor_id: int | None,
    actor_username: str,
    action: str,
    operation: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    region_code: str = "",
    ip: str = "",
    user_agent: str = "",
    data: dict[str, Any],
) -> AuditEvent:
    """Append one event at the end of the chain and return it.

    ``data`` must already be JSON-safe and masked (the constructors in ``bangfu.audit.events`` do that).
    Side effects: inserts one ``AuditEvent`` and advances ``AuditChainHead``, both inside the caller's
    transaction when there is one.
    """
    # Normalise through JSON so that what is hashed is exactly what the JSON column gives back.
    data = json.loads(json.dumps(data, ensure_ascii=False, allow_nan=False))
    with transaction.atomic():
        head = _locked_head()
        fields: dict[str, Any] = {
            "seq": head.last_seq + 1,
            # Taken under the lock, so created_at never goes backwards along the chain.
            "created_at": timezone.now(),
            "actor_username": actor_username,
            "action": action,
            "operation": operation,
            "object_type": object_type,
            "object_id": object_id,
            "object_repr": object_repr,
            "region_code": region_code,
            "ip": ip,
            "user_agent": user_agent,
            "data": data,
        }
        event_hash = compute_hash(prev_hash=head.last_hash, fields=fields)
        event = AuditEvent(actor_id=actor_id, prev_hash=head.last_hash, hash=event_hash, **fields)
        event.save()
        AuditChainHead.objects.filter(pk=1).update(
            last_seq=event.seq, last_hash=event_hash, updated_at=fields["created_at"]
        )
    return event


# Events per INSERT statement in ``append_many``.
APPEND_BATCH = 500


def append_many(entries: Iterable[dict[str, Any]]) -> int:
    """Append several events in the order given, under one lock of the chain head; returns how many.

    Each entry holds the keyword arguments of ``append`` (``actor_id``, ``actor_username``, ``action``, …,
    ``data``). The chain is exactly what as many ``append`` calls would build — each event's hash covers the
    previous one's — but the head is read and advanced once and the rows are inserted in batches, which is
    what an importer writing one event per household of a large file needs. All events share one
    ``created_at`` (all of them happen in one transaction), so it never goes backwards along the chain.

    Side effects: inserts the ``AuditEvent`` rows and advances ``AuditChainHead``, inside the caller's
    transaction when there is one (all of them roll back with it).
    """
    count = 0
    with transaction.atomic():
        head = _locked_head()
        seq, prev_hash = head.last_seq, head.last_hash
        created_at = timezone.now()
        batch: list[dict[str, Any]] = []
        for entry in entries:
            fields: dict[str, Any] = {
                "seq": seq + 1,
                "created_at": created_at,
                "actor_username": entry.get("actor_username", ""),
                "action": entry["action"],
                "operation": entry.get("operation", ""),
                "object_type": entry.get("object_type", ""),
                "object_id": entry.get("object_id", ""),
                "object_repr": entry.get("object_repr", ""),
                "region_code": entry.get("region_code", ""),
                "ip": entry.get("ip", ""),
                "user_agent": entry.get("user_agent", ""),
                # Normalised through JSON, as in append: what is hashed is what the JSON column gives back.
                "data": json.loads(json.dumps(entry["data"], ensure_ascii=False, allow_nan=False)),
            }
            event_hash = compute_hash(prev_hash=prev_hash, fields=fields)
            batch.append(
                {**fields, "actor_id": entry.get("actor_id"), "prev_hash": prev_hash, "hash": event_hash}
            )
            seq, prev_hash = seq + 1, event_hash
            count += 1
            if len(batch) >= APPEND_BATCH:
                _insert_events(batch)
                batch = []
        _insert_events(batch)
        if count:
            AuditChainHead.objects.filter(pk=1).update(
                last_seq=seq, last_hash=prev_hash, updated_at=created_at
            )
    return count


def _insert_events(batch: list[dict[str, Any]]) -> None:
    """Insert a batch of prepared events. The model's manager refuses ``bulk_create`` so that
    nothing bypasses the chain; this module *is* the chain — it holds the head lock and computed every
    hash — so it writes the rows itself, preparing only the columns that need it (time stamp, JSON)."""
    if not batch:
        return
    concrete = AuditEvent._meta.concrete_fields
    prepared_at = {
        f.attname: f.get_db_prep_save(batch[0][f.attname], connection)
        for f in concrete
        if isinstance(f, models.DateTimeField)
    }
    json_fields = [f for f in concrete if isinstance(f, models.JSONField)]
    rows = []
    for event in batch:
        values = {**event, **prepared_at}
        for json_field in json_fields:
            values[json_field.attname] = json_field.get_db_prep_save(event[json_field.attname], connection)
        rows.append([values[f.attname] for f in concrete])
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in concrete)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    # Identifiers come from the model, every value is data: COPY on PostgreSQL, the driver's executemany on
    # SQLite, so that no per-row work is left in Python.
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with (
            connection.connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    elif connection.vendor == "sqlite":
        placeholders = ", ".join(["?"] * len(concrete))
        connection.connection.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608
    else:
        placeholders = ", ".join(["%s"] * len(concrete))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608


def _rows(chunk_size: int) -> Iterator[tuple[Any, ...]]:
    """Every event in seq order as tuples, streamed in chunks (never the whole table in memory)."""
    columns = (*HASHED_FIELDS, "prev_hash", "hash")
    return AuditEvent.objects.order_by("seq").values_list(*columns).iterator(chunk_size=chunk_size)


def verify_chain(*, chunk_size: int = DEFAULT_CHUNK_SIZE) -> VerifyResult:
    """Walk the whole chain and report the first broken link, if any. Read-only."""
    # The head is read first: rows appended while we walk belong to a later head and are not checked.
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        if AuditEvent.objects.exists():
            first_seq = AuditEvent.objects.order_by("seq").values_list("seq", flat=True).first()
            return VerifyResult(
                ok=False, checked=0, first_broken_seq=first_seq, reason=_("审计链头记录缺失（链头被删除）")
            )
        return VerifyResult(ok=True, checked=0)
    head_seq, head_hash = head.last_seq, head.last_hash

    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    n_hashed = len(HASHED_FIELDS)
    for row in _rows(chunk_size):
        fields = dict(zip(HASHED_FIELDS, row[:n_hashed], strict=True))
        stored_prev, stored_hash = row[n_hashed], row[n_hashed + 1]
        seq = fields["seq"]
        if seq > head_seq:
            break
        if seq != expected_seq:
            return VerifyResult(
                ok=False,
                checked=checked,
                first_broken_seq=expected_seq,
                reason=_(
                    "缺少第 %(missing)d 条记录：序号从第 %(before)d 条直接跳到第 %(after)d 条（记录被删除）"
                )
                % {"missing": expected_seq, "before": expected_seq - 1, "after": seq},
            )
        if stored_prev != prev_hash:
            return VerifyResult(
                ok=False,
                checked=checked,
                first_broken_seq=seq,
                reason=_("第 %(seq)d 条的前序哈希与第 %(prev)d 条的哈希不符（记录被删除、插入或调换了顺序）")
                % {"seq": seq, "prev": seq - 1},
            )
        if compute_hash(prev_hash=stored_prev, fields=fields) != stored_hash:
            return VerifyResult(
                ok=False,
                checked=checked,
                first_broken_seq=seq,
                reason=_("第 %(seq)d 条的内容与其哈希不符（记录被修改）") % {"seq": seq},
            )
        prev_hash = stored_hash
        expected_seq += 1
        checked += 1

    last_seq = expected_seq - 1
    if last_seq < head_seq:
        return VerifyResult(
            ok=False,
            checked=checked,
            first_broken_seq=last_seq + 1,
            reason=_("链头记录共 %(head)d 条，实际只连续到第 %(last)d 条（末尾记录被删除）")
            % {"head": head_seq, "last": last_seq},
        )
    if prev_hash != head_hash:
        return VerifyResult(
            ok=False,
            checked=checked,
            first_broken_seq=last_seq,
            reason=_("第 %(seq)d 条的哈希与链头记录不符（链头或末尾记录被改动）") % {"seq": last_seq},
        )
    # Max is read before the head: any row committed by then is covered by a head read afterwards, so a
    # row past the head was written around the chain rather than appended concurrently.
    max_seq = AuditEvent.objects.aggregate(max_seq=Max("seq"))["max_seq"] or 0
    fresh_head_seq = AuditChainHead.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0
    if max_seq > fresh_head_seq:
        outside = AuditEvent.objects.filter(seq__gt=fresh_head_seq).order_by("seq")
        return VerifyResult(
            ok=False,
            checked=checked,
            first_broken_seq=outside.values_list("seq", flat=True).first(),
            reason=_("存在链头之后的记录（最大序号 %(max)d），它们未经审计链写入") % {"max": max_seq},
        )
    return VerifyResult(ok=True, checked=checked)


def last_hash() -> str:
    """The current chain head's hash, for recording outside the system as an anchor."""
    head = AuditChainHead.objects.filter(pk=1).first()
    return head.last_hash if head else GENESIS_HASH

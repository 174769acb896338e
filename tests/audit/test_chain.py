"""The SM3 hash chain: how each hash is made, and ``bangfu audit verify`` finding tampered rows.

Tampering is done the way an insider would: raw SQL on the table, bypassing the model's append-only guard.
"""

from __future__ import annotations

import json
from datetime import UTC
from io import StringIO

import pytest
from cryptography.hazmat.primitives import hashes
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from bangfu.accounts.models import User
from bangfu.audit import events
from bangfu.audit.chain import HASHED_FIELDS, ChainHeadMissing, VerifyResult, compute_hash, verify_chain
from bangfu.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db

TABLE = AuditEvent._meta.db_table
HEAD_TABLE = AuditChainHead._meta.db_table


def run_sql(sql: str, params: list[object] | None = None) -> None:
    """Change the audit tables behind the ORM's back, as someone with database access would."""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=TABLE, head=HEAD_TABLE), params or [])


def write_events(user: User, count: int) -> list[AuditEvent]:
    return [events.security(actor=user, action=f"step_{n}", detail={"n": n}) for n in range(1, count + 1)]


def verify_output() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def broken_message() -> CommandError:
    with pytest.raises(CommandError) as caught:
        call_command("audit", "verify", stdout=StringIO())
    assert caught.value.returncode == 1
    return caught.value


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


# --- how the chain is built ------------------------------------------------------------------------------


def test_sm3_from_cryptography_matches_the_standard_test_vector() -> None:
    # GB/T 32905-2016, appendix A.1
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_hash_is_sm3_of_prev_hash_and_the_canonical_json_of_the_event(security_admin: User) -> None:
    first, second = write_events(security_admin, 2)
    second = AuditEvent.objects.get(seq=second.seq)

    canonical = json.dumps(
        {
            "seq": 2,
            "created_at": second.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor_username": "security_admin",
            "action": "security",
            "operation": "step_2",
            "object_type": "",
            "object_id": "",
            "object_repr": "",
            "region_code": "",
            "ip": "",
            "user_agent": "",
            "data": {"detail": {"n": 2}},
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert second.hash == sm3_hex(first.hash.encode() + canonical.encode())


def test_chain_head_follows_the_last_event(security_admin: User) -> None:
    written = write_events(security_admin, 3)

    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (3, written[-1].hash)


# --- verification ------------------------------------------------------------------------------------------


def test_clean_chain_verifies_with_its_count(security_admin: User) -> None:
    written = write_events(security_admin, 3)

    assert verify_output() == f"审计链完整：3 条\n末条哈希：{written[-1].hash}\n"
    assert verify_chain() == VerifyResult(ok=True, checked=3)


def test_empty_chain_verifies() -> None:
    assert verify_output().splitlines()[0] == "审计链完整：0 条"


def test_chain_is_streamed_in_chunks_across_boundaries(security_admin: User) -> None:
    write_events(security_admin, 7)

    assert verify_chain(chunk_size=2) == VerifyResult(ok=True, checked=7)
    assert verify_output().startswith("审计链完整：7 条")
    out = StringIO()
    call_command("audit", "verify", "--chunk-size", "3", stdout=out)
    assert out.getvalue().startswith("审计链完整：7 条")


def test_a_field_edited_in_the_database_is_reported_with_its_seq(security_admin: User) -> None:
    write_events(security_admin, 5)
    run_sql("UPDATE {table} SET object_repr = %s WHERE seq = %s", ["改过的", 3])

    error = broken_message()

    assert str(error) == "审计链在第 3 条断开：第 3 条的内容与其哈希不符（记录被修改）（此前 2 条完好）"
    assert verify_chain() == VerifyResult(
        ok=False, checked=2, first_broken_seq=3, reason="第 3 条的内容与其哈希不符（记录被修改）"
    )


def test_edited_json_data_is_reported(security_admin: User) -> None:
    write_events(security_admin, 3)
    sql = "UPDATE {table} SET data = %s::jsonb WHERE seq = %s"
    if connection.vendor == "sqlite":
        sql = sql.replace("::jsonb", "")
    run_sql(sql, ['{"detail": {"n": 99}}', 2])

    assert verify_chain().first_broken_seq == 2


def test_edited_timestamp_is_reported(security_admin: User) -> None:
    written = write_events(security_admin, 3)
    run_sql(
        "UPDATE {table} SET created_at = %s WHERE seq = %s",
        [connection.ops.adapt_datetimefield_value(written[0].created_at.replace(year=2020)), 1],
    )

    assert verify_chain().first_broken_seq == 1


def test_a_deleted_row_is_reported_as_the_missing_seq(security_admin: User) -> None:
    write_events(security_admin, 5)
    run_sql("DELETE FROM {table} WHERE seq = %s", [3])

    error = broken_message()

    assert "审计链在第 3 条断开" in str(error)
    assert "缺少第 3 条记录：序号从第 2 条直接跳到第 4 条（记录被删除）" in str(error)


def test_a_swapped_pair_is_reported(security_admin: User) -> None:
    write_events(security_admin, 5)
    # Swap the positions of events 2 and 3 (seq is the primary key, hence the detour via negative values).
    run_sql("UPDATE {table} SET seq = -seq WHERE seq IN (2, 3)")
    run_sql("UPDATE {table} SET seq = 3 WHERE seq = -2")
    run_sql("UPDATE {table} SET seq = 2 WHERE seq = -3")

    result = verify_chain()

    assert (result.ok, result.checked, result.first_broken_seq) == (False, 1, 2)
    assert result.reason == "第 2 条的前序哈希与第 1 条的哈希不符（记录被删除、插入或调换了顺序）"
    assert "审计链在第 2 条断开" in str(broken_message())


def test_a_deleted_row_renumbered_to_close_the_gap_is_reported(security_admin: User) -> None:
    write_events(security_admin, 4)
    run_sql("DELETE FROM {table} WHERE seq = %s", [2])
    # Two steps: PostgreSQL checks the primary key row by row, so a one-step shift could collide mid-update.
    run_sql("UPDATE {table} SET seq = -seq WHERE seq > %s", [2])
    run_sql("UPDATE {table} SET seq = -seq - 1 WHERE seq < %s", [0])

    assert verify_chain().first_broken_seq == 2


def test_rows_removed_from_the_end_are_reported(security_admin: User) -> None:
    write_events(security_admin, 5)
    run_sql("DELETE FROM {table} WHERE seq >= %s", [4])

    result = verify_chain()

    assert (result.ok, result.checked, result.first_broken_seq) == (False, 3, 4)
    assert result.reason == "链头记录共 5 条，实际只连续到第 3 条（末尾记录被删除）"


def test_a_rewritten_last_row_is_caught_by_the_head(security_admin: User) -> None:
    write_events(security_admin, 3)
    # Rewrite the last row consistently (a valid hash over the changed content): only the head knows.
    event = AuditEvent.objects.get(seq=3)
    fields = {name: getattr(event, name) for name in HASHED_FIELDS}
    fields["object_repr"] = "伪造"
    forged = compute_hash(prev_hash=event.prev_hash, fields=fields)
    run_sql("UPDATE {table} SET object_repr = %s, hash = %s WHERE seq = 3", ["伪造", forged])

    result = verify_chain()

    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert result.reason == "第 3 条的哈希与链头记录不符（链头或末尾记录被改动）"


def test_a_row_written_around_the_chain_is_reported(security_admin: User) -> None:
    written = write_events(security_admin, 2)
    run_sql(
        "INSERT INTO {table} (seq, created_at, actor_username, action, operation, object_type, object_id, "
        "object_repr, region_code, ip, user_agent, data, prev_hash, hash) "
        "VALUES (%s, %s, '', 'security', '', '', '', '', '', '', '', '{{}}', %s, %s)",
        [3, connection.ops.adapt_datetimefield_value(written[-1].created_at), written[-1].hash, "f" * 64],
    )

    result = verify_chain()

    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert result.reason == "存在链头之后的记录（最大序号 3），它们未经审计链写入"


def test_a_deleted_chain_head_is_reported_and_stops_further_writes(security_admin: User) -> None:
    write_events(security_admin, 2)
    run_sql("DELETE FROM {head}")

    assert verify_chain() == VerifyResult(
        ok=False, checked=0, first_broken_seq=1, reason="审计链头记录缺失（链头被删除）"
    )
    with pytest.raises(ChainHeadMissing):
        events.security(actor=security_admin, action="after_tampering")


def test_verify_rejects_a_bad_chunk_size() -> None:
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--chunk-size", "0")

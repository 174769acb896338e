"""Key rotation of encrypted files: every stored file of an encrypted file field ends up under the current key
with the same content, so the old key can be removed; a file the database names but the disk lost is
reported, not fatal."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.test import override_settings

from bangfu.audit.models import AuditEvent
from bangfu.core import crypto
from bangfu.core.keyrotation import encrypted_file_fields, rotate_files
from bangfu.core.storage import private_storage
from bangfu.monitoring.models import Visit
from bangfu.rectification.models import Evidence, SupervisionOrder
from tests.core.conftest import KEY_1, KEY_2

pytestmark = pytest.mark.django_db
FIELD = "rectification.SupervisionOrder.document"


@pytest.fixture(autouse=True)
def _media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def order_with(content: bytes) -> SupervisionOrder:
    order = SupervisionOrder.objects.create(
        region_code="610902000000",
        issuing_office="汉滨区防止返贫监测帮扶工作专班",
        recipient_unit="老城街道办事处",
        recipient_region_code="610902001000",
        drafted_on=dt.date(2026, 6, 1),
    )
    order.document.save("督办单.docx", ContentFile(content))
    return order


def stored_key(order: SupervisionOrder) -> str | None:
    return crypto.file_key_id(Path(private_storage().path(order.document.name)).read_bytes())


def test_every_encrypted_file_field_is_found() -> None:
    found = {(model, model_field.name) for model, model_field in encrypted_file_fields()}
    assert {(SupervisionOrder, "document"), (Evidence, "file"), (Visit, "photo")} <= found


def test_files_under_the_old_key_are_under_the_new_key_afterwards_with_the_same_content() -> None:
    orders = [order_with(f"督办单{n}".encode()) for n in range(3)]
    assert {stored_key(order) for order in orders} == {"k1"}
    with override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"):
        fresh = order_with(b"already new")
        first = rotate_files(batch_size=2)
        second = rotate_files(batch_size=2)
    assert (first[FIELD].rotated, first[FIELD].missing) == (3, [])
    assert second[FIELD].rotated == 0  # run again: nothing left to do
    assert {stored_key(order) for order in [*orders, fresh]} == {"k2"}
    # Only the new key is needed from now on.
    with override_settings(BANGFU_DATA_KEYS=KEY_2):
        contents = [private_storage().open(order.document.name).read() for order in orders]
    assert contents == [f"督办单{n}".encode() for n in range(3)]
    assert not list(Path(private_storage().path("supervision")).rglob("*.rotating"))


def test_a_missing_file_is_reported_by_its_row_and_the_others_rotated() -> None:
    kept, lost = order_with(b"kept"), order_with(b"lost")
    Path(private_storage().path(lost.document.name)).unlink()
    with override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"):
        result = rotate_files()[FIELD]
    assert (result.rotated, result.missing, result.failed) == (1, [lost.pk], [])
    assert stored_key(kept) == "k2"


def test_a_rotated_file_keeps_its_mode_whatever_the_operators_umask() -> None:
    order = order_with(b"mode")
    path = Path(private_storage().path(order.document.name))
    path.chmod(0o640)
    previous = os.umask(0o077)
    try:
        with override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"):
            assert rotate_files()[FIELD].rotated == 1
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stored_key(order) == "k2"
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".rotating")]


def test_the_command_rotates_files_reports_them_and_audits_the_counts() -> None:
    order_with(b"one")
    out, err = io.StringIO(), io.StringIO()
    with override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"):
        call_command("rotate_keys", stdout=out, stderr=err)
    assert f"{FIELD}：1 个文件已改用密钥 k2 加密" in out.getvalue()
    assert out.getvalue().splitlines()[-1] == "密钥轮换完成"
    assert err.getvalue() == ""
    event = AuditEvent.objects.filter(action="security", operation="keys_rotated").latest("seq")
    assert event.data["detail"]["files_reencrypted"][FIELD] == 1


def test_a_missing_file_fails_the_command_after_the_others_are_rotated_and_audited() -> None:
    kept, lost = order_with(b"kept"), order_with(b"lost")
    Path(private_storage().path(lost.document.name)).unlink()
    err = io.StringIO()
    with override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"), pytest.raises(CommandError) as failed:
        call_command("rotate_keys", stdout=io.StringIO(), stderr=err)
    # The old key must stay until this is sorted out: the command says so and exits 1.
    assert failed.value.returncode == 1
    assert "不能删除旧密钥" in str(failed.value)
    assert f"{FIELD}：1 个文件在磁盘上找不到，已跳过（记录编号 {lost.pk}）" in err.getvalue()
    assert lost.document.name not in err.getvalue()
    assert stored_key(kept) == "k2"
    event = AuditEvent.objects.filter(action="security", operation="keys_rotated").latest("seq")
    assert event.data["detail"]["files_missing"] == {FIELD: [lost.pk]}


def test_a_file_under_a_removed_key_fails_the_command_stays_as_it_was_and_is_audited() -> None:
    order = order_with(b"old")
    path = Path(private_storage().path(order.document.name))
    before = path.read_bytes()
    err = io.StringIO()
    with override_settings(BANGFU_DATA_KEYS=KEY_2), pytest.raises(CommandError) as failed:
        call_command("rotate_keys", stdout=io.StringIO(), stderr=err)
    assert failed.value.returncode == 1
    assert f"记录编号 {order.pk} 的文件未能改用新密钥" in err.getvalue()
    assert "k1" in err.getvalue()
    assert path.read_bytes() == before
    event = AuditEvent.objects.filter(action="security", operation="keys_rotated").latest("seq")
    assert event.data["detail"]["files_failed"] == {FIELD: [order.pk]}

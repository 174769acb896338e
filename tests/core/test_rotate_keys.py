"""Key rotation: rows under an old key end up under the current key with the same plaintext."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.test import override_settings

from bangfu.core import crypto
from bangfu.core.keyrotation import encrypted_models, rebuild_blind_indexes, rotate_keys
from tests.core.conftest import KEY_1, KEY_2, OTHER_INDEX_KEY

LABEL = "core.PersonalNote"
ROWS = [
    ("a", "61090219900101123X", "13812345678"),
    ("b", "11010519491231002X", "13900000001"),
    ("c", None, ""),
    ("d", "440524188001010014", "13900000002"),
    ("e", "61090219900101123X", "13900000003"),
]


def _raw_tokens(model: type[models.Model]) -> dict[str, tuple[str | None, str]]:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT label, id_number, phone FROM {table}")  # noqa: S608 — fixed names
        return {label: (id_number, phone) for label, id_number, phone in cursor.fetchall()}


def _plaintexts(model: type[models.Model]) -> list[tuple[str, str | None, str]]:
    return list(model.objects.order_by("label").values_list("label", "id_number", "phone"))


@pytest.fixture
def notes_under_k1(personal_note_model: type[models.Model]) -> type[models.Model]:
    for label, id_number, phone in ROWS:
        personal_note_model.objects.create(label=label, id_number=id_number, phone=phone)
    return personal_note_model


def test_encrypted_models_are_found_through_the_registry(personal_note_model: type[models.Model]) -> None:
    assert personal_note_model in encrypted_models()


def test_rows_under_the_old_key_are_under_the_new_key_afterwards(notes_under_k1: type[models.Model]) -> None:
    before = _raw_tokens(notes_under_k1)
    assert {crypto.key_id_of(token) for pair in before.values() for token in pair if token} == {"k1"}
    with override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"):
        counts = rotate_keys(batch_size=2)
        after = _raw_tokens(notes_under_k1)
        plaintexts = _plaintexts(notes_under_k1)
    # Row "c" holds no value at all, so it has nothing to rotate.
    assert counts[LABEL] == 4
    assert sum(counts.values()) == 4
    assert {crypto.key_id_of(token) for pair in after.values() for token in pair if token} == {"k2"}
    assert after["c"] == (None, "")
    assert plaintexts == sorted(ROWS)
    # Only the new key is needed from now on: the old one can be removed.
    with override_settings(BANGFU_DATA_KEYS=KEY_2):
        assert _plaintexts(notes_under_k1) == sorted(ROWS)


def test_rotation_skips_rows_already_under_the_current_key(notes_under_k1: type[models.Model]) -> None:
    with override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"):
        notes_under_k1.objects.create(label="f", id_number="11010519491231002X", phone="13900000004")
        first = rotate_keys(batch_size=3)
        tokens_after_first = _raw_tokens(notes_under_k1)
        second = rotate_keys(batch_size=3)
        assert _raw_tokens(notes_under_k1) == tokens_after_first
    assert first[LABEL] == 4
    assert second[LABEL] == 0


def test_a_row_with_one_old_and_one_current_field_is_rotated(personal_note_model: type[models.Model]) -> None:
    with override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"):
        note = personal_note_model.objects.create(label="mixed", id_number="11010519491231002X")
    with override_settings(BANGFU_DATA_KEYS=KEY_1):
        personal_note_model.objects.filter(pk=note.pk).update(phone="13812345678")
    with override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"):
        assert rotate_keys()[LABEL] == 1
        id_token, phone_token = _raw_tokens(personal_note_model)["mixed"]
        assert (crypto.key_id_of(id_token or ""), crypto.key_id_of(phone_token)) == ("k2", "k2")
        assert _plaintexts(personal_note_model) == [("mixed", "11010519491231002X", "13812345678")]


def test_rotation_stops_on_a_token_under_a_removed_key_without_changing_it(
    notes_under_k1: type[models.Model],
) -> None:
    before = _raw_tokens(notes_under_k1)
    with override_settings(BANGFU_DATA_KEYS=KEY_2), pytest.raises(crypto.DecryptionError) as excinfo:
        rotate_keys()
    assert str(excinfo.value) == "密文使用的密钥 k1 不在当前密钥列表中：轮换完成前不能删除旧密钥"
    assert _raw_tokens(notes_under_k1) == before


def test_rotation_stops_on_a_token_copied_from_another_column_without_changing_it(
    notes_under_k1: type[models.Model],
) -> None:
    notes_under_k1.objects.filter(label="a").update(id_number=models.F("phone"))
    before = _raw_tokens(notes_under_k1)
    with (
        override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"),
        pytest.raises(crypto.DecryptionError) as excinfo,
    ):
        rotate_keys()
    assert str(excinfo.value) == (
        "密文校验失败：数据被改动、密钥不符或密文来自其他字段（字段 core.personalnote.id_number，密钥 k1）"
    )
    assert _raw_tokens(notes_under_k1) == before


def test_rotated_tokens_stay_bound_to_their_column(notes_under_k1: type[models.Model]) -> None:
    with override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"):
        rotate_keys()
        id_token, phone_token = _raw_tokens(notes_under_k1)["a"]
        assert crypto.decrypt(id_token or "", context="core.personalnote.id_number") == "61090219900101123X"
        assert crypto.decrypt(phone_token, context="core.personalnote.phone") == "13812345678"
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(phone_token, context="core.personalnote.id_number")


def test_rebuild_blind_indexes_uses_the_new_index_key(notes_under_k1: type[models.Model]) -> None:
    for note in notes_under_k1.objects.all():
        note.id_number_index = crypto.blind_index(note.id_number, kind="id_number")  # type: ignore[attr-defined]
        note.save()
    with override_settings(BANGFU_INDEX_KEY=OTHER_INDEX_KEY):
        counts = rebuild_blind_indexes(batch_size=2)
        indexes = dict(notes_under_k1.objects.values_list("label", "id_number_index"))
        expected = {
            label: crypto.blind_index(id_number, kind="id_number") for label, id_number, _phone in ROWS
        }
        again = rebuild_blind_indexes()
    # Row "c" has no ID number: its index stays empty under any key.
    assert counts[LABEL] == 4
    assert indexes == expected
    assert indexes["c"] == ""
    assert again[LABEL] == 0


def test_command_reports_counts_per_model(notes_under_k1: type[models.Model]) -> None:
    out = io.StringIO()
    with override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"):
        call_command("rotate_keys", "--batch-size", "2", "--reindex", stdout=out)
    lines = out.getvalue().splitlines()
    assert f"{LABEL}：4 行已改用密钥 k2 加密" in lines
    # The indexes were never filled in this test, so every row with an ID number gets one.
    assert f"{LABEL}：4 行的盲索引已重算" in lines
    assert lines[-1] == "密钥轮换完成"


def test_command_fails_with_exit_code_1_on_a_removed_key(notes_under_k1: type[models.Model]) -> None:
    with override_settings(BANGFU_DATA_KEYS=KEY_2), pytest.raises(CommandError) as excinfo:
        call_command("rotate_keys")
    assert excinfo.value.returncode == 1
    assert str(excinfo.value) == "密文使用的密钥 k1 不在当前密钥列表中：轮换完成前不能删除旧密钥"


def test_command_refuses_a_batch_size_below_one(db: None) -> None:
    with pytest.raises(CommandError) as excinfo:
        call_command("rotate_keys", "--batch-size", "0")
    assert excinfo.value.returncode == 2

"""EncryptedTextField: tokens in the database, plaintext in Python, no lookups by plaintext."""

from __future__ import annotations

import pytest
from django import forms
from django.core import serializers
from django.core.exceptions import FieldError, ValidationError
from django.db import connection, models

from bangfu.core import crypto
from bangfu.core.fields import EncryptedTextField, encrypted_fields

ID_NUMBER = "61090219900101123X"
ID_CONTEXT = "core.personalnote.id_number"
PHONE_CONTEXT = "core.personalnote.phone"


def _raw_row(model: type[models.Model], pk: object) -> tuple[str | None, str]:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number, phone FROM {table} WHERE id = %s", [pk])  # noqa: S608 — fixed names
        row = cursor.fetchone()
    assert row is not None
    return row[0], row[1]


def test_field_knows_its_personal_kind_and_keeps_it_in_migrations() -> None:
    field = EncryptedTextField("证件号码", kind="id_number", null=True)
    field.set_attributes_from_name("id_number")
    name, path, args, kwargs = field.deconstruct()
    assert field.personal_kind == "id_number"
    assert field.index_field_name == "id_number_index"
    assert (name, path, args, kwargs) == (
        "id_number",
        "bangfu.core.fields.EncryptedTextField",
        [],
        {"verbose_name": "证件号码", "kind": "id_number", "null": True},
    )


def test_prep_value_encrypts_plaintext_but_never_a_token_twice(
    personal_note_model: type[models.Model],
) -> None:
    field = personal_note_model._meta.get_field("phone")
    assert isinstance(field, EncryptedTextField)
    assert field.crypto_context == PHONE_CONTEXT
    token = field.get_prep_value("13812345678")
    assert token.startswith("k1$")
    assert crypto.decrypt(token, context=PHONE_CONTEXT) == "13812345678"
    assert field.get_prep_value(token) == token


def test_a_field_not_attached_to_a_model_has_no_context() -> None:
    field = EncryptedTextField(kind="phone")
    with pytest.raises(TypeError, match="not attached to a model"):
        field.get_prep_value("13812345678")


def test_missing_values_are_stored_as_they_are() -> None:
    field = EncryptedTextField(kind="phone", null=True)
    assert field.get_prep_value(None) is None
    assert field.get_prep_value("") == ""
    assert field.from_db_value(None, None, connection) is None  # type: ignore[arg-type]
    assert field.from_db_value("", None, connection) == ""  # type: ignore[arg-type]


def test_form_field_is_a_single_line_input() -> None:
    assert isinstance(EncryptedTextField(kind="phone").formfield().widget, forms.TextInput)


def test_saved_row_holds_only_tokens_and_reads_back_plaintext(
    personal_note_model: type[models.Model],
) -> None:
    note = personal_note_model.objects.create(label="a", id_number=ID_NUMBER, phone="13812345678")
    raw_id, raw_phone = _raw_row(personal_note_model, note.pk)
    assert raw_id is not None
    assert raw_id.startswith("k1$")
    assert raw_phone.startswith("k1$")
    assert ID_NUMBER not in raw_id
    assert "13812345678" not in raw_phone
    loaded = personal_note_model.objects.get(pk=note.pk)
    assert (loaded.id_number, loaded.phone) == (ID_NUMBER, "13812345678")  # type: ignore[attr-defined]
    assert list(personal_note_model.objects.values_list("id_number", "phone")) == [(ID_NUMBER, "13812345678")]


def test_resaving_a_loaded_row_keeps_one_layer_of_encryption(personal_note_model: type[models.Model]) -> None:
    note = personal_note_model.objects.create(label="a", id_number=ID_NUMBER, phone="13812345678")
    loaded = personal_note_model.objects.get(pk=note.pk)
    loaded.save()
    raw_id, _raw_phone = _raw_row(personal_note_model, note.pk)
    assert raw_id is not None
    assert crypto.decrypt(raw_id, context=ID_CONTEXT) == ID_NUMBER
    assert personal_note_model.objects.get(pk=note.pk).id_number == ID_NUMBER  # type: ignore[attr-defined]


def test_missing_values_stay_null_and_empty_in_the_database(personal_note_model: type[models.Model]) -> None:
    note = personal_note_model.objects.create(label="a", id_number=None, phone="")
    assert _raw_row(personal_note_model, note.pk) == (None, "")
    assert personal_note_model.objects.filter(id_number__isnull=True).count() == 1


def test_filtering_by_plaintext_is_refused(personal_note_model: type[models.Model]) -> None:
    personal_note_model.objects.create(label="a", id_number=ID_NUMBER, phone="13812345678")
    with pytest.raises(FieldError) as excinfo:
        personal_note_model.objects.filter(id_number=ID_NUMBER).count()
    assert str(excinfo.value) == (
        "PersonalNote.id_number is encrypted and cannot be filtered with 'exact'; "
        "filter on its blind index id_number_index instead"
    )
    with pytest.raises(FieldError, match="cannot be filtered with 'icontains'"):
        personal_note_model.objects.filter(phone__icontains="1381").count()
    with pytest.raises(FieldError, match="transforms such as 'lower' do not apply"):
        personal_note_model.objects.filter(phone__lower__exact="x").count()


def test_lookup_goes_through_the_blind_index(personal_note_model: type[models.Model]) -> None:
    wanted = personal_note_model.objects.create(
        label="wanted", id_number=ID_NUMBER, id_number_index=crypto.blind_index(ID_NUMBER, kind="id_number")
    )
    other = "110105194912310021"
    personal_note_model.objects.create(
        label="other", id_number=other, id_number_index=crypto.blind_index(other, kind="id_number")
    )
    typed = "610902 19900101 123x"
    found = personal_note_model.objects.filter(id_number_index=crypto.blind_index(typed, kind="id_number"))
    assert list(found.values_list("pk", flat=True)) == [wanted.pk]


def test_serialisation_carries_tokens_and_loads_back(personal_note_model: type[models.Model]) -> None:
    note = personal_note_model.objects.create(label="a", id_number=ID_NUMBER, phone="13812345678")
    dumped = serializers.serialize("json", personal_note_model.objects.all())
    assert ID_NUMBER not in dumped
    assert "13812345678" not in dumped
    personal_note_model.objects.all().delete()
    for restored in serializers.deserialize("json", dumped):
        restored.save()
    loaded = personal_note_model.objects.get(pk=note.pk)
    assert (loaded.id_number, loaded.phone) == (ID_NUMBER, "13812345678")  # type: ignore[attr-defined]


def test_encrypted_fields_lists_the_models_own_encrypted_columns(
    personal_note_model: type[models.Model],
) -> None:
    assert [field.name for field in encrypted_fields(personal_note_model)] == ["id_number", "phone"]


# --- tokens are bound to their column -----------------------------------------------------------------------


def test_a_token_copied_into_another_column_fails_to_decrypt(personal_note_model: type[models.Model]) -> None:
    note = personal_note_model.objects.create(label="a", id_number=ID_NUMBER, phone="13812345678")
    _raw_id, raw_phone = _raw_row(personal_note_model, note.pk)
    # Copied in SQL, around the field: the phone's ciphertext now sits in the ID number column.
    personal_note_model.objects.filter(pk=note.pk).update(id_number=models.F("phone"))
    assert _raw_row(personal_note_model, note.pk) == (raw_phone, raw_phone)
    with pytest.raises(crypto.DecryptionError) as excinfo:
        personal_note_model.objects.get(pk=note.pk)
    assert str(excinfo.value) == (
        "密文校验失败：数据被改动、密钥不符或密文来自其他字段（字段 core.personalnote.id_number，密钥 k1）"
    )
    assert crypto.decrypt(raw_phone, context=PHONE_CONTEXT) == "13812345678"


def test_a_token_of_another_model_fails_to_decrypt(personal_note_model: type[models.Model]) -> None:
    foreign = crypto.encrypt(ID_NUMBER, context="registry.member.id_number")
    note = personal_note_model.objects.create(label="a", phone="13812345678")
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(personal_note_model._meta.db_table)
        cursor.execute(f"UPDATE {table} SET id_number = %s WHERE id = %s", [foreign, note.pk])  # noqa: S608
    with pytest.raises(crypto.DecryptionError, match=r"^密文校验失败：.*core\.personalnote\.id_number"):
        personal_note_model.objects.get(pk=note.pk)
    assert crypto.decrypt(foreign, context="registry.member.id_number") == ID_NUMBER


def test_saving_a_token_of_another_column_is_refused_and_nothing_is_stored(
    personal_note_model: type[models.Model],
) -> None:
    phone_token = crypto.encrypt("13812345678", context=PHONE_CONTEXT)
    with pytest.raises(crypto.DecryptionError) as excinfo:
        personal_note_model.objects.create(label="a", id_number=phone_token)
    assert str(excinfo.value) == (
        "“id number”的值是一段密文，但不能按本字段解密，已拒绝保存："
        "密文校验失败：数据被改动、密钥不符或密文来自其他字段（字段 core.personalnote.id_number，密钥 k1）"
    )
    assert personal_note_model.objects.count() == 0


def test_full_clean_reports_a_token_of_another_column_as_a_field_error(
    personal_note_model: type[models.Model],
) -> None:
    note = personal_note_model(
        label="a", id_number=crypto.encrypt(ID_NUMBER, context="registry.member.id_number")
    )
    with pytest.raises(ValidationError) as excinfo:
        note.full_clean()
    assert list(excinfo.value.message_dict) == ["id_number"]
    assert excinfo.value.message_dict["id_number"][0].startswith(
        "“id number”的值是一段密文，但不能按本字段解密"
    )


def test_the_columns_own_token_is_accepted_as_it_is(personal_note_model: type[models.Model]) -> None:
    own = crypto.encrypt(ID_NUMBER, context=ID_CONTEXT)
    note = personal_note_model(label="a", id_number=own)
    note.full_clean()
    note.save()
    assert _raw_row(personal_note_model, note.pk)[0] == own
    assert personal_note_model.objects.get(pk=note.pk).id_number == ID_NUMBER  # type: ignore[attr-defined]

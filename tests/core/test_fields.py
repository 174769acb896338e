"""EncryptedTextField: tokens in the database, plaintext in Python, no lookups by plaintext."""

from __future__ import annotations

import pytest
from django import forms
from django.core import serializers
from django.core.exceptions import FieldError
from django.db import connection, models

from bangfu.core import crypto
from bangfu.core.fields import EncryptedTextField, encrypted_fields

ID_NUMBER = "61090219900101123X"


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


def test_prep_value_encrypts_plaintext_but_never_a_token_twice() -> None:
    field = EncryptedTextField(kind="phone")
    token = field.get_prep_value("13812345678")
    assert token.startswith("k1$")
    assert crypto.decrypt(token) == "13812345678"
    assert field.get_prep_value(token) == token


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
    assert crypto.decrypt(raw_id) == ID_NUMBER
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

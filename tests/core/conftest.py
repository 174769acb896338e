"""Fixtures for the core modules: a throw-away model with encrypted fields, and key settings.

No product model has an ``EncryptedTextField`` yet, and a test-only model must not leak into the app registry
(``makemigrations --check`` and ``rotate-keys`` would see it). So the model is declared inside the fixture,
registered in the ``core`` app only for the test, its table created with the schema editor and dropped again.
The schema editor cannot run inside SQLite's test transaction, hence ``transactional_db``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.apps import apps
from django.db import connection, models

from bangfu.core import crypto
from bangfu.core.fields import EncryptedTextField

KEY_1 = "k1:000102030405060708090a0b0c0d0e0f"  # the key in bangfu.settings_test
KEY_2 = "k2:f0e0d0c0b0a090807060504030201000"
OTHER_INDEX_KEY = "ff" * 32


@pytest.fixture(autouse=True)
def _fresh_keys() -> Iterator[None]:
    """Every test starts and ends with keys read from the settings, never a cache left by another test."""
    crypto.reset_key_cache()
    yield
    crypto.reset_key_cache()


@pytest.fixture
def personal_note_model(transactional_db: None) -> Iterator[type[models.Model]]:
    """``core.PersonalNote``: a label, an encrypted ID number with its blind index, an encrypted phone."""

    class Meta:
        app_label = "core"
        db_table = "core_test_personal_note"
        managed = False

    attrs = {
        "__module__": __name__,
        "Meta": Meta,
        "label": models.CharField(max_length=20),
        "id_number": EncryptedTextField(kind="id_number", null=True, blank=True),
        "id_number_index": models.CharField(max_length=64, blank=True, db_index=True),
        "phone": EncryptedTextField(kind="phone", blank=True),
    }
    model = type("PersonalNote", (models.Model,), attrs)
    with connection.schema_editor() as editor:
        editor.create_model(model)
    try:
        yield model
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(model)
        del apps.all_models["core"]["personalnote"]
        apps.clear_cache()

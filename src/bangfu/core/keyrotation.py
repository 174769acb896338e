"""Key rotation for encrypted personal data and recomputation of blind indexes.

Procedure and reasoning: docs/key-management.md. Both services find their work through the model registry
(every model with an ``EncryptedTextField``), walk the table by primary key in batches, and write each batch
in its own transaction with the rows locked, so a long rotation can run beside normal work and be resumed
after an interruption (rows already done are skipped).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models.functions import Cast

from bangfu.core import crypto
from bangfu.core.fields import EncryptedTextField, encrypted_fields
from bangfu.core.storage import EncryptedStorage

# Turns one fetched row into an unsaved instance carrying the new values and the names to write, or None.
RowRewrite = Callable[
    [type[models.Model], tuple[Any, ...], list[EncryptedTextField]], tuple[models.Model, list[str]] | None
]


def encrypted_models() -> list[type[models.Model]]:
    """Every concrete model whose own table holds at least one ``EncryptedTextField``."""
    return [model for model in apps.get_models() if not model._meta.proxy and encrypted_fields(model)]


def rotate_keys(
    *, batch_size: int = 1000, model_classes: Iterable[type[models.Model]] | None = None
) -> dict[str, int]:
    """Re-encrypt every encrypted value that is not under the current key.

    Returns ``{"app_label.ModelName": rows re-encrypted}`` for every model checked (0 when none needed it).
    ``model_classes`` defaults to ``encrypted_models()``.

    Side effects: updates the encrypted columns of the affected rows, one transaction per batch; rows are
    locked (``SELECT … FOR UPDATE`` on PostgreSQL) while their batch is rewritten, so a concurrent edit is
    neither lost nor overwritten. Raises ``crypto.DecryptionError`` (rolling back the current batch) when a
    value is under a key no longer configured, or does not belong to its column (copied from another one).
    """
    current_prefix = f"{crypto.current_key_id()}$"
    counts: dict[str, int] = {}
    for model in encrypted_models() if model_classes is None else model_classes:
        fields = encrypted_fields(model)
        # The raw token is read through a cast to a plain text column, which skips the field's decryption.
        raw = {f"_raw_{field.attname}": Cast(field.attname, models.TextField()) for field in fields}
        done_for_all_fields = models.Q()
        for alias in raw:
            done_for_all_fields &= (
                models.Q(**{f"{alias}__isnull": True})
                | models.Q(**{alias: ""})
                | models.Q(**{f"{alias}__startswith": current_prefix})
            )
        pending = model._base_manager.annotate(**raw).exclude(done_for_all_fields)
        counts[model._meta.label] = _in_batches(
            model,
            pending,
            columns=list(raw),
            fields=fields,
            batch_size=batch_size,
            rewrite=_reencrypt,
        )
    return counts


@dataclasses.dataclass
class FileRotation:
    """What ``rotate_files`` did for one file field: files re-encrypted; the rows whose file the disk does
    not hold (skipped); the rows whose file could not be rotated, with why (left as they were). Rows are
    named by primary key: a stored file name may carry a person's name."""

    rotated: int = 0
    missing: list[Any] = dataclasses.field(default_factory=list)
    failed: list[tuple[Any, str]] = dataclasses.field(default_factory=list)


def encrypted_file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    """Every file field (of a concrete model) whose storage encrypts its files (``core.storage``)."""
    return [
        (model, model_field)
        for model in apps.get_models()
        if not model._meta.proxy
        for model_field in model._meta.local_concrete_fields
        if isinstance(model_field, models.FileField) and isinstance(model_field.storage, EncryptedStorage)
    ]


def rotate_files(*, batch_size: int = 1000) -> dict[str, FileRotation]:
    """Re-encrypt every stored file of an encrypted file field that is not under the current key.

    Returns ``{"app_label.ModelName.field": FileRotation}`` for every such field. Files are found through
    the rows that name them (read ``batch_size`` at a time, by primary key), each rewritten on its own
    (``EncryptedStorage.reencrypt``), so a rotation can run while users work and be run again: files under
    the current key are skipped. A file that cannot be rotated (missing, under a key no longer configured,
    altered, unwritable) is recorded and the others are still done.
    """
    results: dict[str, FileRotation] = {}
    for model, model_field in encrypted_file_fields():
        storage = model_field.storage
        assert isinstance(storage, EncryptedStorage)  # noqa: S101 — encrypted_file_fields chose it
        result = results[f"{model._meta.label}.{model_field.name}"] = FileRotation()
        rows = (
            model._base_manager.exclude(**{model_field.attname: ""})
            .exclude(**{f"{model_field.attname}__isnull": True})
            .order_by("pk")
            .values_list("pk", model_field.attname)
        )
        done: set[str] = set()
        for pk, name in rows.iterator(chunk_size=batch_size):
            if name in done:
                continue  # several rows may name one file
            done.add(name)
            try:
                result.rotated += storage.reencrypt(name)
            except FileNotFoundError:
                result.missing.append(pk)
            except crypto.DecryptionError as exc:
                result.failed.append((pk, str(exc)))
            except OSError as exc:
                # The reason without the path: a stored file name may carry a person's name.
                result.failed.append((pk, exc.strerror or type(exc).__name__))
    return results


def rebuild_blind_indexes(
    *, batch_size: int = 1000, model_classes: Iterable[type[models.Model]] | None = None
) -> dict[str, int]:
    """Recompute every ``<field>_index`` column beside an ``EncryptedTextField`` with the current index key.

    Run after ``BANGFU_INDEX_KEY`` changed. Returns ``{"app_label.ModelName": rows whose index changed}`` for
    every model that has such index columns.

    Side effects: updates the index columns of rows whose stored index differs, one transaction per batch,
    rows locked while rewritten. Lookups by blind index miss rows not yet rebuilt, so run it in a
    maintenance window.
    """
    counts: dict[str, int] = {}
    for model in encrypted_models() if model_classes is None else model_classes:
        fields = [field for field in encrypted_fields(model) if _index_field(model, field) is not None]
        if not fields:
            continue
        columns = [name for field in fields for name in (field.attname, field.index_field_name)]
        counts[model._meta.label] = _in_batches(
            model,
            model._base_manager.all(),
            columns=columns,
            fields=fields,
            batch_size=batch_size,
            rewrite=_reindex,
        )
    return counts


def _index_field(model: type[models.Model], field: EncryptedTextField) -> models.Field[object, object] | None:
    try:
        index_field = model._meta.get_field(field.index_field_name)
    except FieldDoesNotExist:
        return None
    return index_field if isinstance(index_field, models.CharField | models.TextField) else None


def _reencrypt(
    model: type[models.Model], row: tuple[Any, ...], fields: list[EncryptedTextField]
) -> tuple[models.Model, list[str]] | None:
    pk, *tokens = row
    instance = model(pk=pk)
    for field, token in zip(fields, tokens, strict=True):
        # Decrypted under the field's own context; the field encrypts the plaintext again on save, now under
        # the current key and bound to the same context.
        plaintext = (
            crypto.decrypt(token, context=field.crypto_context) if isinstance(token, str) and token else token
        )
        setattr(instance, field.attname, plaintext)
    return instance, [field.attname for field in fields]


def _reindex(
    model: type[models.Model], row: tuple[Any, ...], fields: list[EncryptedTextField]
) -> tuple[models.Model, list[str]] | None:
    pk, *values = row
    instance = model(pk=pk)
    changed: list[str] = []
    for field, plaintext, stored in zip(fields, values[::2], values[1::2], strict=True):
        index = crypto.blind_index(
            plaintext if isinstance(plaintext, str) else None, kind=field.personal_kind
        )
        if index != (stored or ""):
            setattr(instance, field.index_field_name, index)
            changed.append(field.index_field_name)
    return (instance, changed) if changed else None


def _in_batches(
    model: type[models.Model],
    queryset: models.QuerySet[models.Model],
    *,
    columns: list[str],
    fields: list[EncryptedTextField],
    batch_size: int,
    rewrite: RowRewrite,
) -> int:
    """Walk ``queryset`` by primary key, rewrite each batch in one transaction; return rows written."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    written = 0
    last_pk: Any = None
    while True:
        with transaction.atomic():
            batch = queryset.select_for_update().order_by("pk")
            if last_pk is not None:
                batch = batch.filter(pk__gt=last_pk)
            rows = list(batch.values_list("pk", *columns)[:batch_size])
            if not rows:
                return written
            last_pk = rows[-1][0]
            updates: dict[tuple[str, ...], list[models.Model]] = {}
            for row in rows:
                result = rewrite(model, row, fields)
                if result is not None:
                    instance, changed = result
                    updates.setdefault(tuple(changed), []).append(instance)
            for names, instances in updates.items():
                model._base_manager.bulk_update(instances, list(names))
                written += len(instances)

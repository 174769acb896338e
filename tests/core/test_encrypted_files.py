"""Files of personal data are encrypted at rest (``core.storage``) with the data keys (``core.crypto``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile

from bangfu.core import crypto
from bangfu.core.storage import CONTEXT, EncryptedStorage

PHOTO = b"\xff\xd8\xff\xe0" + "签字的承诺书照片".encode() * 100


def test_bytes_round_trip_and_any_change_is_detected() -> None:
    blob = crypto.encrypt_bytes(PHOTO, context=CONTEXT)
    assert PHOTO not in blob
    assert crypto.decrypt_bytes(blob, context=CONTEXT) == PHOTO
    assert crypto.encrypt_bytes(PHOTO, context=CONTEXT) != blob  # a fresh nonce every time
    altered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(crypto.DecryptionError, match="文件校验失败"):
        crypto.decrypt_bytes(altered, context=CONTEXT)
    with pytest.raises(crypto.DecryptionError, match="文件校验失败"):
        crypto.decrypt_bytes(blob, context="another")
    with pytest.raises(crypto.DecryptionError, match="不是本系统加密保存的文件"):
        crypto.decrypt_bytes(PHOTO, context=CONTEXT)


def test_the_storage_writes_ciphertext_and_reads_plaintext(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    storage = EncryptedStorage()
    name = storage.save("visits/2026/11/v.jpg", ContentFile(PHOTO))
    on_disk = (tmp_path / name).read_bytes()
    assert PHOTO not in on_disk
    assert on_disk.startswith(b"BFE1")
    with storage.open(name) as stored:
        assert stored.read() == PHOTO

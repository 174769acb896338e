"""Files of personal data — a photo of a signed pledge, a visit's photo, a measure's evidence — encrypted on
disk with SM4-GCM under the data keys (``core.crypto``), like the personal fields in the database. Saved
encrypted, opened decrypted; the names and the folder layout stay as Django makes them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from bangfu.core import crypto

# Every encrypted file is bound to this context: a file cannot pass for a field's token or the reverse.
CONTEXT = "bangfu.files"


class EncryptedStorage(FileSystemStorage):
    """``FileSystemStorage`` under ``MEDIA_ROOT`` whose files are encrypted at rest."""

    def _save(self, name: str, content: File[Any]) -> str:
        content.seek(0)
        encrypted = ContentFile(crypto.encrypt_bytes(content.read(), context=CONTEXT))
        return super()._save(name, encrypted)  # type: ignore[misc]  # (not in django-stubs)

    def _open(self, name: str, mode: str = "rb") -> File[Any]:
        with super()._open(name, "rb") as stored:  # type: ignore[misc]  # (not in django-stubs)
            return ContentFile(crypto.decrypt_bytes(stored.read(), context=CONTEXT), name=name)

    def reencrypt(self, name: str) -> bool:
        """Re-encrypt the stored file ``name`` under the current key (``rotate-keys``); False when it already
        is. The new content replaces the old in one rename, so a reader meanwhile gets either whole file,
        both readable while the old key stays in the key ring. Raises ``FileNotFoundError`` and
        ``crypto.DecryptionError``."""
        path = Path(self.path(name))
        blob = path.read_bytes()
        if crypto.file_key_id(blob) == crypto.current_key_id():
            return False
        content = crypto.decrypt_bytes(blob, context=CONTEXT)
        staged = path.with_name(f".{path.name}.rotating")
        staged.write_bytes(crypto.encrypt_bytes(content, context=CONTEXT))
        os.replace(staged, path)
        return True


_storage = EncryptedStorage()


def private_storage() -> EncryptedStorage:
    """The storage of the file fields that hold personal data (a callable: migrations name it, not a path)."""
    return _storage

"""Files of personal data — a photo of a signed pledge, a visit's photo, a measure's evidence — encrypted on
disk with SM4-GCM under the data keys (``core.crypto``), like the personal fields in the database. Saved
encrypted, opened decrypted; the names and the folder layout stay as Django makes them."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
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
        is. Raises ``FileNotFoundError``, ``crypto.DecryptionError`` and ``OSError``, leaving the file as it
        was.

        The new content is written to a temporary file of its own beside it (two runs at once never share
        one), flushed to disk, given the old file's mode and (where permitted) owner, and renamed over the
        old one; the directory is flushed too. A reader meanwhile gets one whole file or the other, both
        readable while the old key stays in the key ring, and a power cut leaves one of them, never neither.
        """
        path = Path(self.path(name))
        blob = path.read_bytes()
        if crypto.file_key_id(blob) == crypto.current_key_id():
            return False
        content = crypto.encrypt_bytes(crypto.decrypt_bytes(blob, context=CONTEXT), context=CONTEXT)
        old = path.stat()
        descriptor, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".rotating")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(staged, stat.S_IMODE(old.st_mode))
            with contextlib.suppress(PermissionError):
                # Only root may give the file back to its owner; anyone else rotates files they own.
                os.chown(staged, old.st_uid, old.st_gid)
            os.replace(staged, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(staged)
            raise
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return True


_storage = EncryptedStorage()


def private_storage() -> EncryptedStorage:
    """The storage of the file fields that hold personal data (a callable: migrations name it, not a path)."""
    return _storage

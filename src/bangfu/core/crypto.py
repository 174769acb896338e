"""Encryption of personal data at rest (SM4-GCM) and the keyed blind index for exact lookup (HMAC-SM3).

Both use the national algorithms from the ``cryptography`` package: SM4 (GB/T 32907) in GCM mode, which
authenticates as well as encrypts, and SM3 (GB/T 32905) inside HMAC.

Token format: ``<key id>$<base64(nonce[12] + ciphertext + tag[16])>``, e.g. ``k1$q83v...``. The key id
travels with every value, so after a new key is put first in the list, rows written under an older key
still decrypt until ``bangfu rotate-keys`` has re-encrypted them (see docs/key-management.md).

The GCM associated data binds each token to its key id and to a *context*, the column it belongs to
(``EncryptedTextField`` passes ``"<app_label>.<model>.<field>"``, e.g. ``"registry.member.id_number"``).
A token decrypts only under the context it was written for, so a ciphertext copied from one column or
model into another is detected instead of being read as that column's value.

Keys, in order of precedence:

* data keys: ``settings.BANGFU_DATA_KEYS`` = ``"k2:<32 hex>,k1:<32 hex>"`` (the first one encrypts), or,
  when that is empty, the key file ``settings.BANGFU_KEY_FILE`` with one ``id:hex`` per line, generated with
  a random key (mode 0600) on first use so that the demo runs without configuration;
* index key: ``settings.BANGFU_INDEX_KEY`` (hex, at least 16 bytes), or, when empty, the file
  ``index.key`` next to the data key file, generated once.

Keys are read once per process; ``reset_key_cache()`` (also run when a test overrides one of these
settings) forgets them.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from bangfu.core import idnumbers
from bangfu.core.environment import read_or_generate

KEY_BYTES = 16  # SM4 has 128-bit keys only.
INDEX_KEY_BYTES = 32  # generated index keys; configured ones need at least MIN_INDEX_KEY_BYTES.
MIN_INDEX_KEY_BYTES = 16
NONCE_BYTES = 12  # the GCM nonce size that needs no extra hashing; random per value.
TAG_BYTES = 16
INDEX_KEY_FILE_NAME = "index.key"
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_TOKEN = re.compile(r"(?P<key_id>[A-Za-z0-9_-]{1,32})\$(?P<body>[A-Za-z0-9+/]+={0,2})")
_KIND = re.compile(r"[a-z][a-z0-9_]*")
# Domain separation: the associated data binds a ciphertext to its key id, so a token cannot be relabelled,
# and to its context (column), so it cannot be moved to another one.
_AAD_PREFIX = b"bangfu-data:"


class DecryptionError(ValueError):
    """A stored token cannot be decrypted: unknown key id, malformed, or altered."""


@dataclass(frozen=True)
class KeyRing:
    """The data keys in order (first = current) and the blind-index key."""

    data_keys: tuple[tuple[str, bytes], ...]
    index_key: bytes

    @property
    def current_id(self) -> str:
        return self.data_keys[0][0]

    def key(self, key_id: str) -> bytes | None:
        return dict(self.data_keys).get(key_id)

    # Built once per key ring: an import encrypts and indexes a hundred thousand values, and setting up the
    # cipher and the keyed HMAC each time was a third of that work (bench/registry_import.py).
    @functools.cached_property
    def current_cipher(self) -> algorithms.SM4:
        return algorithms.SM4(self.data_keys[0][1])

    @functools.cached_property
    def index_mac(self) -> hmac.HMAC:
        """The keyed HMAC-SM3 that every blind index starts from (``copy()`` it, never update it)."""
        return hmac.HMAC(self.index_key, hashes.SM3())


_keyring: KeyRing | None = None


def keyring() -> KeyRing:
    """The process-wide key ring, loaded (and on first use generated) once."""
    # A per-process cache: keys are read once, and reset explicitly by reset_key_cache().
    global _keyring
    if _keyring is None:
        _keyring = KeyRing(data_keys=_load_data_keys(), index_key=_load_index_key())
    return _keyring


def reset_key_cache() -> None:
    """Forget the loaded keys, so that the next use reads the settings and key files again."""
    global _keyring
    _keyring = None


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting in {"BANGFU_DATA_KEYS", "BANGFU_KEY_FILE", "BANGFU_INDEX_KEY"}:
        reset_key_cache()


def current_key_id() -> str:
    """The id of the key new values are encrypted under."""
    return keyring().current_id


@functools.lru_cache(maxsize=256)
def _associated_data(key_id: str, context: str) -> bytes:
    # Key ids never contain NUL, so the NUL separator keeps (key id, context) pairs from colliding.
    return _AAD_PREFIX + key_id.encode("ascii") + b"\x00" + context.encode("utf-8")


def encrypt(plaintext: str, *, context: str = "") -> str:
    """Encrypt ``plaintext`` under the current key, bound to ``context``; every call uses a fresh nonce."""
    ring = keyring()
    key_id = ring.current_id
    nonce = secrets.token_bytes(NONCE_BYTES)
    encryptor = Cipher(ring.current_cipher, modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(_associated_data(key_id, context))
    ciphertext = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
    body = base64.b64encode(nonce + ciphertext + encryptor.tag).decode("ascii")
    return f"{key_id}${body}"


def decrypt(token: str, *, context: str = "") -> str:
    """Decrypt a token written by ``encrypt`` for the same ``context``, under any key still in the key ring.

    Raises ``DecryptionError`` (Chinese message) for a malformed token, an unknown key id, or a token that
    was altered, relabelled or written for another context.
    """
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise DecryptionError(_("密文格式无效"))
    key_id = match["key_id"]
    key = keyring().key(key_id)
    if key is None:
        raise DecryptionError(
            _("密文使用的密钥 %(key_id)s 不在当前密钥列表中：轮换完成前不能删除旧密钥") % {"key_id": key_id}
        )
    try:
        raw = base64.b64decode(match["body"], validate=True)
    except binascii.Error as exc:
        raise DecryptionError(_("密文格式无效")) from exc
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError(_("密文格式无效"))
    nonce, ciphertext, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(_associated_data(key_id, context))
    try:
        plaintext = decryptor.update(ciphertext) + decryptor.finalize()
    except InvalidTag as exc:
        # GCM cannot tell these causes apart; with a context, a token copied from another column is the
        # likeliest one, so the message names the column it was read as.
        if context:
            message = _(
                "密文校验失败：数据被改动、密钥不符或密文来自其他字段（字段 %(context)s，密钥 %(key_id)s）"
            ) % {"context": context, "key_id": key_id}
        else:
            message = _("密文校验失败：数据被改动或密钥不符（密钥 %(key_id)s）") % {"key_id": key_id}
        raise DecryptionError(message) from exc
    return plaintext.decode("utf-8")


# Encrypted files (``core.storage``): a marker, the key id, a NUL, then nonce + ciphertext + tag, raw bytes.
_FILE_MARKER = b"BFE1"


def encrypt_bytes(data: bytes, *, context: str) -> bytes:
    """``data`` (a file's content) encrypted under the current key, bound to ``context``."""
    key_id, key = keyring().data_keys[0]
    nonce = secrets.token_bytes(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(_associated_data(key_id, context))
    ciphertext = encryptor.update(data) + encryptor.finalize()
    return _FILE_MARKER + key_id.encode("ascii") + b"\x00" + nonce + ciphertext + encryptor.tag


def file_key_id(blob: bytes) -> str | None:
    """The id of the key an ``encrypt_bytes`` blob was written under (read from its header, nothing
    decrypted), or None when ``blob`` is not such a file."""
    if not blob.startswith(_FILE_MARKER) or b"\x00" not in blob[: len(_FILE_MARKER) + 33]:
        return None
    head, _sep, _rest = blob[len(_FILE_MARKER) :].partition(b"\x00")
    return head.decode("ascii", errors="replace")


def decrypt_bytes(blob: bytes, *, context: str) -> bytes:
    """The content ``encrypt_bytes`` wrote for ``context``; ``DecryptionError`` when altered, unknown or
    written for another context."""
    if not blob.startswith(_FILE_MARKER) or b"\x00" not in blob[: len(_FILE_MARKER) + 33]:
        raise DecryptionError(_("文件不是本系统加密保存的文件"))
    head, _sep, rest = blob[len(_FILE_MARKER) :].partition(b"\x00")
    key_id = head.decode("ascii", errors="replace")
    key = keyring().key(key_id)
    if key is None or len(rest) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError(_("文件使用的密钥 %(key_id)s 不在当前密钥列表中") % {"key_id": key_id})
    nonce, ciphertext, tag = rest[:NONCE_BYTES], rest[NONCE_BYTES:-TAG_BYTES], rest[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(_associated_data(key_id, context))
    try:
        return decryptor.update(ciphertext) + decryptor.finalize()
    except InvalidTag as exc:
        raise DecryptionError(
            _("文件校验失败：内容被改动或密钥不符（密钥 %(key_id)s）") % {"key_id": key_id}
        ) from exc


def is_token(value: str) -> bool:
    """Whether ``value`` is a token under a key in the key ring (used to avoid encrypting twice)."""
    match = _TOKEN.fullmatch(value)
    if match is None or keyring().key(match["key_id"]) is None:
        return False
    # Shorter than nonce + tag in base64 cannot be a token; this keeps short text with a "$" out.
    return len(match["body"]) >= 4 * -(-(NONCE_BYTES + TAG_BYTES) // 3)


def key_id_of(token: str) -> str | None:
    """The key id a token was written under, or None when ``token`` is not a token."""
    match = _TOKEN.fullmatch(token)
    return match["key_id"] if match else None


def blind_index(value: str | None, *, kind: str) -> str:
    """Hex HMAC-SM3 of ``kind`` and the normalised ``value``, for exact lookup without decrypting.

    The same value of the same kind always gives the same index (also across departments' uploads, which
    is what matching relies on); the kind is part of the input, so a phone number and an account number
    with the same digits differ. ``None`` or a value that normalises to empty gives ``""``.
    """
    if not _KIND.fullmatch(kind):
        raise ValueError(f"blind index kind must be a lower-case identifier, got {kind!r}")
    normalized = normalize_for_index(value or "", kind=kind)
    if not normalized:
        return ""
    mac = keyring().index_mac.copy()
    # A NUL separates kind from value so that no (kind, value) pair can collide with another.
    mac.update(kind.encode("ascii") + b"\x00" + normalized.encode("utf-8"))
    return mac.finalize().hex()


def normalize_for_index(value: str, *, kind: str) -> str:
    """The canonical form indexed for ``kind``: what people type differently but mean the same."""
    if kind == "id_number":
        return idnumbers.normalize(value)
    # NFKC folds full-width digits and letters typed on Chinese keyboards into ASCII.
    text = "".join(unicodedata.normalize("NFKC", value).split())
    if kind in {"phone", "bank_account"}:
        text = text.replace("-", "")
    if kind == "phone":
        # The country code is often written on department lists; a mainland mobile number is 11 digits.
        for prefix in ("+86", "0086"):
            if text.startswith(prefix) and len(text) == len(prefix) + 11:
                text = text[len(prefix) :]
    return text


def generate_key_line(*, key_id: str | None = None) -> str:
    """A new random data key as an ``id:hex`` line; the id defaults to the next free ``k<n>``."""
    if key_id is None:
        numbers = [int(kid[1:]) for kid, _key in _configured_data_keys() if re.fullmatch(r"k\d+", kid)]
        key_id = f"k{max(numbers, default=0) + 1}"
    if not _KEY_ID.fullmatch(key_id):
        raise ValueError(_("密钥编号只能包含字母、数字、下划线和连字符（最多32个字符）"))
    return f"{key_id}:{secrets.token_hex(KEY_BYTES)}"


def generate_index_key() -> str:
    """A new random blind-index key in hex, for ``BANGFU_INDEX_KEY``."""
    return secrets.token_hex(INDEX_KEY_BYTES)


# --- loading keys ------------------------------------------------------------------------------------------


def _load_data_keys() -> tuple[tuple[str, bytes], ...]:
    keys = _configured_data_keys()
    if keys:
        return keys
    path = Path(settings.BANGFU_KEY_FILE)
    read_or_generate(
        path, lambda: generate_key_line(key_id="k1"), allowed=_may_generate(), variable="BANGFU_DATA_KEYS"
    )
    keys = _configured_data_keys()
    if not keys:
        raise ImproperlyConfigured(_("密钥文件 %(path)s 中没有密钥") % {"path": path})
    return keys


def _configured_data_keys() -> tuple[tuple[str, bytes], ...]:
    """Keys from the setting, else from the key file if it exists; never creates anything."""
    if settings.BANGFU_DATA_KEYS.strip():
        source = "BANGFU_DATA_KEYS"
        entries = [item.strip() for item in settings.BANGFU_DATA_KEYS.split(",")]
    else:
        path = Path(settings.BANGFU_KEY_FILE)
        if not path.exists():
            return ()
        source = str(path)
        entries = [line.strip() for line in path.read_text(encoding="ascii").splitlines()]
    keys: list[tuple[str, bytes]] = []
    for entry in entries:
        if not entry or entry.startswith("#"):
            continue
        key_id, sep, hex_key = entry.partition(":")
        key_id = key_id.strip()
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise ImproperlyConfigured(
                _("%(source)s：每个密钥应写作“编号:十六进制密钥”，编号只含字母、数字、_ 和 -")
                % {"source": source}
            )
        key = _hex_key(hex_key.strip(), source=source, key_id=key_id)
        if len(key) != KEY_BYTES:
            raise ImproperlyConfigured(
                _("%(source)s：密钥 %(key_id)s 应为32位十六进制（128位 SM4 密钥）")
                % {"source": source, "key_id": key_id}
            )
        if any(key_id == known for known, _key in keys):
            raise ImproperlyConfigured(
                _("%(source)s：密钥编号 %(key_id)s 重复") % {"source": source, "key_id": key_id}
            )
        keys.append((key_id, key))
    return tuple(keys)


def _load_index_key() -> bytes:
    if settings.BANGFU_INDEX_KEY.strip():
        source = "BANGFU_INDEX_KEY"
        hex_key = settings.BANGFU_INDEX_KEY.strip()
    else:
        path = Path(settings.BANGFU_KEY_FILE).with_name(INDEX_KEY_FILE_NAME)
        hex_key = read_or_generate(
            path, generate_index_key, allowed=_may_generate(), variable="BANGFU_INDEX_KEY"
        )
        source = str(path)
    key = _hex_key(hex_key, source=source, key_id="index")
    if len(key) < MIN_INDEX_KEY_BYTES:
        raise ImproperlyConfigured(
            _("%(source)s：盲索引密钥至少应为32位十六进制（128位）") % {"source": source}
        )
    return key


def _may_generate() -> bool:
    return bool(getattr(settings, "GENERATE_SECRETS", True))


def _hex_key(hex_key: str, *, source: str, key_id: str) -> bytes:
    try:
        return bytes.fromhex(hex_key)
    except ValueError as exc:
        raise ImproperlyConfigured(
            _("%(source)s：密钥 %(key_id)s 不是十六进制") % {"source": source, "key_id": key_id}
        ) from exc

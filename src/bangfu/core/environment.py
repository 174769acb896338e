"""Typed readers for environment variables that fail loudly on bad values.

Settings are driven by the environment (12-factor); a typo such as ``BANGFU_DEBUG=ture`` must stop the
server at start-up rather than silently fall back to a default.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class EnvironmentError_(ValueError):
    """A variable is set to a value its reader cannot accept."""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():  # unset or empty (as copied from .env.example): the default
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise EnvironmentError_(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise EnvironmentError_(f"{name}={raw!r}: expected an integer") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


class SecretNotConfigured(RuntimeError):
    """A secret is neither set nor on disk, and generating one here is not allowed."""


def create_file_once(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` with mode 0600 unless the file exists; safe against a concurrent writer.

    The server and the worker may start at the same moment on a fresh install; two different generated secrets
    would leave data that only one process can read. The content is written to a private temporary file and
    then hard-linked into place, which fails if another process got there first, so exactly one file wins.
    """
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".new-secret-")
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(content)
        os.chmod(temporary, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def read_or_generate(path: Path, generate: Callable[[], str], *, allowed: bool, variable: str) -> str:
    """The secret kept in ``path``; when the file is missing, generate it if ``allowed``, else fail loudly.

    Generating silently is right for the embedded demo, wrong for a deployment: a process started from another
    directory would get a *different* key and could not read what the server encrypted.
    """
    if not path.exists():
        if not allowed:
            raise SecretNotConfigured(
                f"{variable} 未设置，且 {path} 不存在。生产环境请配置密钥（见 .env.example）；"
                f"只有嵌入式数据库（未设置 DATABASE_URL）或 BANGFU_GENERATE_SECRETS=1 时才会自动生成。"
            )
        create_file_once(path, generate() + "\n")
    return path.read_text(encoding="ascii").strip()


def persistent_secret(name: str, path: Path, *, allow_generate: bool, nbytes: int = 50) -> str:
    """Return ``$name`` or the secret kept in ``path`` (generated once when ``allow_generate``)."""
    raw = os.environ.get(name)
    if raw:
        return raw
    return read_or_generate(
        path, lambda: secrets.token_urlsafe(nbytes), allowed=allow_generate, variable=name
    )

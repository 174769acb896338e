"""Typed readers for environment variables that fail loudly on bad values.

Settings are driven by the environment (12-factor); a typo such as ``BANGFU_DEBUG=ture`` must stop the
server at start-up rather than silently fall back to a default.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class EnvironmentError_(ValueError):
    """A variable is set to a value its reader cannot accept."""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
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


def persistent_secret(name: str, path: Path, nbytes: int = 50) -> str:
    """Return ``$name`` or a random secret generated once and kept in ``path`` (mode 0600).

    The demo and a single-server trial need no configuration, yet the secret must survive restarts.
    """
    raw = os.environ.get(name)
    if raw:
        return raw
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    path.write_text(value, encoding="ascii")
    path.chmod(0o600)
    return value

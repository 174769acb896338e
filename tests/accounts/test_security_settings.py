"""Transport and cookie settings: HTTPS-only settings follow BANGFU_SECURE_COOKIES, axes keeps no access log,
and no script may read the CSRF cookie. Each case loads ``bangfu.settings`` in a fresh interpreter with
its own environment, as a server process would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings

NAMES = (
    "AXES_DISABLE_ACCESS_LOG",
    "CSRF_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_SSL_REDIRECT",
    "BANGFU_API_TOKEN_DAYS",
)
PROGRAM = (
    "import json, bangfu.settings as s; "
    f"print(json.dumps({{name: getattr(s, name, None) for name in {list(NAMES)!r}}}))"
)


def load_settings(tmp_path: Path, **environment: str) -> dict[str, Any]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BANGFU_") and key != "DATABASE_URL"
    }
    env.update({"BANGFU_VAR_DIR": str(tmp_path), "BANGFU_GENERATE_SECRETS": "1", **environment})
    result = subprocess.run(  # noqa: S603 — our own interpreter running a fixed program
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, check=True
    )
    values: dict[str, Any] = json.loads(result.stdout)
    return values


def test_plain_http_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == {
        "AXES_DISABLE_ACCESS_LOG": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_SSL_REDIRECT": False,
        "BANGFU_API_TOKEN_DAYS": 365,
    }


def test_https_deployment_trusts_the_proxy_header_and_sends_hsts(tmp_path: Path) -> None:
    assert load_settings(tmp_path, BANGFU_SECURE_COOKIES="1") == {
        "AXES_DISABLE_ACCESS_LOG": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_SSL_REDIRECT": False,
        "BANGFU_API_TOKEN_DAYS": 365,
    }


def test_hsts_redirect_and_token_days_come_from_the_environment(tmp_path: Path) -> None:
    values = load_settings(
        tmp_path,
        BANGFU_SECURE_COOKIES="1",
        BANGFU_HSTS_SECONDS="3600",
        BANGFU_SSL_REDIRECT="1",
        BANGFU_API_TOKEN_DAYS="90",
    )
    assert (
        values["SECURE_HSTS_SECONDS"],
        values["SECURE_SSL_REDIRECT"],
        values["BANGFU_API_TOKEN_DAYS"],
    ) == (
        3600,
        True,
        90,
    )


def test_axes_never_stores_the_change_password_fields() -> None:
    assert {"old_password", "new_password1", "new_password2"} <= set(settings.AXES_SENSITIVE_PARAMETERS)


def test_every_new_variable_is_documented_in_env_example() -> None:
    example = (Path(settings.PACKAGE_DIR).parents[1] / ".env.example").read_text(encoding="utf-8")
    for name in ("BANGFU_HSTS_SECONDS", "BANGFU_SSL_REDIRECT", "BANGFU_API_TOKEN_DAYS"):
        assert f"\n{name}=" in example, name

"""Test settings: the same stack, with a fast password hasher and fixed keys."""

from __future__ import annotations

import os

# Tests may generate the Django secret under var/ even against PostgreSQL (DATABASE_URL set by CI).
os.environ.setdefault("BANGFU_GENERATE_SECRETS", "1")

from bangfu.settings import *  # noqa: F403
from bangfu.settings import PASSWORD_HASHERS

# Argon2 is slow by design; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
# Fixed test keys (hex, 128-bit SM4 key and 256-bit index key); never used outside tests.
BANGFU_DATA_KEYS = "k1:000102030405060708090a0b0c0d0e0f"
BANGFU_INDEX_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Live-server request threads must not keep connections open past a request: PostgreSQL refuses to drop the
# test database while any session remains.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

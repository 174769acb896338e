"""Secrets and keys: generated once for the embedded demo, never silently for a deployment."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from bangfu.core import crypto
from bangfu.core.environment import SecretNotConfigured, persistent_secret, read_or_generate


def test_a_missing_secret_is_generated_once_with_private_permissions(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    first = persistent_secret("BANGFU_TEST_UNSET_SECRET", path, allow_generate=True)
    second = persistent_secret("BANGFU_TEST_UNSET_SECRET", path, allow_generate=True)
    assert first == second
    assert len(first) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_missing_secret_is_refused_where_generation_is_not_allowed(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    with pytest.raises(SecretNotConfigured, match="BANGFU_SECRET_KEY 未设置"):
        read_or_generate(path, lambda: "x", allowed=False, variable="BANGFU_SECRET_KEY")
    assert not path.exists()


def test_an_existing_secret_file_is_read_even_where_generation_is_not_allowed(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    path.write_text("kept-secret\n", encoding="ascii")
    assert read_or_generate(path, lambda: "new", allowed=False, variable="BANGFU_SECRET_KEY") == "kept-secret"


def test_the_environment_variable_wins_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANGFU_TEST_SECRET", "from-env")
    assert persistent_secret("BANGFU_TEST_SECRET", tmp_path / "none", allow_generate=False) == "from-env"


def test_deployment_without_data_keys_fails_loudly_instead_of_inventing_one(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "data.keys"
    with override_settings(BANGFU_DATA_KEYS="", BANGFU_KEY_FILE=key_file, GENERATE_SECRETS=False):
        with pytest.raises(SecretNotConfigured, match="BANGFU_DATA_KEYS 未设置"):
            crypto.encrypt("13812345678")
        assert not key_file.exists()


def test_embedded_default_generates_the_data_key_file_once(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "data.keys"
    with override_settings(BANGFU_DATA_KEYS="", BANGFU_KEY_FILE=key_file, GENERATE_SECRETS=True):
        token = crypto.encrypt("13812345678")
        assert crypto.decrypt(token) == "13812345678"
        assert key_file.read_text(encoding="ascii").startswith("k1:")


def test_a_key_file_without_keys_is_a_configuration_error(tmp_path: Path) -> None:
    key_file = tmp_path / "data.keys"
    key_file.write_text("# no keys yet\n", encoding="ascii")
    with (
        override_settings(BANGFU_DATA_KEYS="", BANGFU_KEY_FILE=key_file, GENERATE_SECRETS=False),
        pytest.raises(ImproperlyConfigured),
    ):
        crypto.encrypt("x")

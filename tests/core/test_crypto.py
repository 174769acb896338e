"""SM4/SM3 primitives against the national test vectors, the token format, keys and the blind index."""

from __future__ import annotations

import base64
import io
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from bangfu.core import crypto
from tests.core.conftest import KEY_1, KEY_2, OTHER_INDEX_KEY

TEST_INDEX_KEY = bytes.fromhex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")


def _sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


# --- the primitives are the national algorithms -------------------------------------------------------------


def test_sm4_matches_gb_t_32907_example_1() -> None:
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 — one block, the standard's test vector
    assert (encryptor.update(key) + encryptor.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm3_matches_gb_t_32905_examples() -> None:
    assert _sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert _sm3(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_sm4_gcm_matches_rfc_8998_example() -> None:
    # RFC 8998 appendix A.1: the SM4-GCM mode the tokens use.
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plaintext = bytes.fromhex("".join(c * 16 for c in "ABCDEFEA"))  # AAAAAAAAAAAAAAAABBBB…
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    assert ciphertext.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert encryptor.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"


# --- encrypt / decrypt --------------------------------------------------------------------------------------


def test_encrypt_then_decrypt_gives_the_plaintext_back() -> None:
    for plaintext in ["61090219900101123X", "13812345678", "张三丰 · 汉滨区", ""]:
        assert crypto.decrypt(crypto.encrypt(plaintext)) == plaintext


def test_token_carries_key_id_and_nonce_ciphertext_tag() -> None:
    token = crypto.encrypt("13812345678")
    key_id, body = token.split("$")
    assert key_id == "k1"
    assert len(base64.b64decode(body)) == 12 + 11 + 16
    assert "13812345678" not in token
    assert crypto.key_id_of(token) == "k1"


def test_each_encryption_uses_a_fresh_nonce() -> None:
    assert crypto.encrypt("13812345678") != crypto.encrypt("13812345678")


def test_altered_ciphertext_is_detected() -> None:
    key_id, body = crypto.encrypt("13812345678").split("$")
    raw = bytearray(base64.b64decode(body))
    raw[14] ^= 0x01
    with pytest.raises(crypto.DecryptionError, match=r"^密文校验失败：数据被改动或密钥不符（密钥 k1）$"):
        crypto.decrypt(f"{key_id}${base64.b64encode(bytes(raw)).decode()}")


def test_relabelled_token_is_detected() -> None:
    body = crypto.encrypt("13812345678").split("$")[1]
    with (
        override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"),
        pytest.raises(crypto.DecryptionError) as excinfo,
    ):
        crypto.decrypt(f"k2${body}")
    assert str(excinfo.value) == "密文校验失败：数据被改动或密钥不符（密钥 k2）"


def test_token_decrypts_only_under_the_context_it_was_written_for() -> None:
    token = crypto.encrypt("61090219900101123X", context="registry.member.id_number")
    assert crypto.decrypt(token, context="registry.member.id_number") == "61090219900101123X"
    for other in ["registry.member.phone", "registry.household.id_number", "registry.member.id_numbe", ""]:
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(token, context=other)
    with pytest.raises(crypto.DecryptionError) as excinfo:
        crypto.decrypt(token, context="registry.member.phone")
    assert str(excinfo.value) == (
        "密文校验失败：数据被改动、密钥不符或密文来自其他字段（字段 registry.member.phone，密钥 k1）"
    )
    # A token written without a context is not valid under any column's context either.
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(crypto.encrypt("13812345678"), context="registry.member.phone")


def test_malformed_tokens_are_rejected() -> None:
    for token in ["13812345678", "k1$", "k1$!!!!", "k1$AAAA"]:
        with pytest.raises(crypto.DecryptionError, match=r"^密文格式无效$"):
            crypto.decrypt(token)


def test_token_under_a_removed_key_names_the_key() -> None:
    token = crypto.encrypt("13812345678")
    with override_settings(BANGFU_DATA_KEYS=KEY_2), pytest.raises(crypto.DecryptionError) as excinfo:
        crypto.decrypt(token)
    assert str(excinfo.value) == "密文使用的密钥 k1 不在当前密钥列表中：轮换完成前不能删除旧密钥"


def test_old_key_still_decrypts_after_a_new_key_is_put_first() -> None:
    old_token = crypto.encrypt("61090219900101123X")
    with override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"):
        assert crypto.current_key_id() == "k2"
        assert crypto.decrypt(old_token) == "61090219900101123X"
        new_token = crypto.encrypt("61090219900101123X")
        assert new_token.startswith("k2$")
        assert crypto.decrypt(new_token) == "61090219900101123X"


def test_is_token_recognises_only_tokens_under_known_keys() -> None:
    token = crypto.encrypt("13812345678")
    assert crypto.is_token(token) is True
    assert crypto.is_token("13812345678") is False
    assert crypto.is_token("k1$AAAA") is False
    assert crypto.is_token("k9$" + token.split("$")[1]) is False


# --- keys ---------------------------------------------------------------------------------------------------


def _key_file_settings(path: Path) -> override_settings:
    return override_settings(BANGFU_DATA_KEYS="", BANGFU_INDEX_KEY="", BANGFU_KEY_FILE=path)


def test_key_files_are_generated_once_with_mode_0600(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "data.keys"
    with _key_file_settings(key_file):
        token = crypto.encrypt("13812345678")
        index = crypto.blind_index("13812345678", kind="phone")
        data_line = key_file.read_text(encoding="ascii")
        index_file = tmp_path / "keys" / "index.key"
        index_hex = index_file.read_text(encoding="ascii")
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(index_file.stat().st_mode) == 0o600
        assert data_line.startswith("k1:")
        assert len(bytes.fromhex(data_line[3:].strip())) == 16
        assert len(bytes.fromhex(index_hex.strip())) == 32
        assert token.startswith("k1$")
        # A new process (simulated by dropping the cache) reads the same keys instead of making new ones.
        crypto.reset_key_cache()
        assert crypto.decrypt(token) == "13812345678"
        assert crypto.blind_index("13812345678", kind="phone") == index
        assert key_file.read_text(encoding="ascii") == data_line
        assert sorted(p.name for p in key_file.parent.iterdir()) == ["data.keys", "index.key"]


def test_key_file_lists_current_key_first_and_allows_comments(tmp_path: Path) -> None:
    key_file = tmp_path / "data.keys"
    key_file.write_text(f"# rotated 2026-11\n{KEY_2}\n\n{KEY_1}\n", encoding="ascii")
    with _key_file_settings(key_file):
        assert [key_id for key_id, _key in crypto.keyring().data_keys] == ["k2", "k1"]
        assert crypto.encrypt("x").startswith("k2$")


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("k1:zz", "BANGFU_DATA_KEYS：密钥 k1 不是十六进制"),
        ("k1:0011", "BANGFU_DATA_KEYS：密钥 k1 应为32位十六进制（128位 SM4 密钥）"),
        ("0011223344", "BANGFU_DATA_KEYS：每个密钥应写作“编号:十六进制密钥”，编号只含字母、数字、_ 和 -"),
        (
            "k$1:000102030405060708090a0b0c0d0e0f",
            "BANGFU_DATA_KEYS：每个密钥应写作“编号:十六进制密钥”，编号只含字母、数字、_ 和 -",
        ),
        (f"{KEY_1},{KEY_1}", "BANGFU_DATA_KEYS：密钥编号 k1 重复"),
    ],
)
def test_bad_data_keys_stop_with_a_clear_message(keys: str, message: str) -> None:
    with override_settings(BANGFU_DATA_KEYS=keys), pytest.raises(ImproperlyConfigured) as excinfo:
        crypto.encrypt("x")
    assert str(excinfo.value) == message


def test_short_index_key_is_refused() -> None:
    with (
        override_settings(BANGFU_INDEX_KEY="00112233"),
        pytest.raises(
            ImproperlyConfigured, match=r"^BANGFU_INDEX_KEY：盲索引密钥至少应为32位十六进制（128位）$"
        ),
    ):
        crypto.blind_index("x", kind="name")


def test_generated_key_line_takes_the_next_free_id() -> None:
    line = crypto.generate_key_line()
    key_id, hex_key = line.split(":")
    assert key_id == "k2"
    assert len(bytes.fromhex(hex_key)) == 16
    with override_settings(BANGFU_DATA_KEYS=f"{KEY_2},{KEY_1}"):
        assert crypto.generate_key_line().startswith("k3:")
    assert crypto.generate_key_line(key_id="2027a").startswith("2027a:")


def test_generated_key_line_refuses_an_id_with_separators() -> None:
    with pytest.raises(ValueError, match=r"^密钥编号只能包含字母、数字、下划线和连字符（最多32个字符）$"):
        crypto.generate_key_line(key_id="k:2")


def test_generate_key_line_does_not_create_a_key_file(tmp_path: Path) -> None:
    with _key_file_settings(tmp_path / "data.keys"):
        assert crypto.generate_key_line().startswith("k1:")
    assert list(tmp_path.iterdir()) == []


def test_generate_key_command_prints_one_line() -> None:
    out = io.StringIO()
    call_command("generate_key", stdout=out)
    key_id, hex_key = out.getvalue().strip().split(":")
    assert key_id == "k2"
    assert len(bytes.fromhex(hex_key)) == 16


def test_generate_key_command_prints_an_index_key() -> None:
    out = io.StringIO()
    call_command("generate_key", "--index", stdout=out)
    assert len(bytes.fromhex(out.getvalue().strip())) == 32


# --- blind index --------------------------------------------------------------------------------------------


def _hmac_sm3(key: bytes, message: bytes) -> str:
    # RFC 2104 spelled out over the plain SM3 hash (block size 64), independent of the HMAC class under test.
    padded = key.ljust(64, b"\x00")
    inner = _sm3(bytes(b ^ 0x36 for b in padded) + message)
    return _sm3(bytes(b ^ 0x5C for b in padded) + inner).hex()


def test_blind_index_is_hmac_sm3_over_kind_and_value() -> None:
    assert crypto.blind_index("61090219900101123X", kind="id_number") == _hmac_sm3(
        TEST_INDEX_KEY, b"id_number\x0061090219900101123X"
    )


def test_same_value_and_kind_give_the_same_index() -> None:
    first = crypto.blind_index("13812345678", kind="phone")
    assert crypto.blind_index("13812345678", kind="phone") == first
    assert len(first) == 64


def test_different_kinds_give_different_indexes() -> None:
    assert crypto.blind_index("6228480012345678", kind="phone") != crypto.blind_index(
        "6228480012345678", kind="bank_account"
    )


def test_index_is_taken_over_the_normalised_value() -> None:
    expected_id = crypto.blind_index("61090219900101123X", kind="id_number")
    assert crypto.blind_index("６１０９０２ 19900101 123x", kind="id_number") == expected_id
    expected_phone = crypto.blind_index("13812345678", kind="phone")
    assert crypto.blind_index("+86 138-1234-5678", kind="phone") == expected_phone
    assert crypto.blind_index("0086１３８１２３４５６７８", kind="phone") == expected_phone
    assert crypto.blind_index("张三 ", kind="name") == crypto.blind_index("张三", kind="name")


def test_index_depends_on_the_index_key() -> None:
    before = crypto.blind_index("13812345678", kind="phone")
    with override_settings(BANGFU_INDEX_KEY=OTHER_INDEX_KEY):
        assert crypto.blind_index("13812345678", kind="phone") != before


def test_missing_value_has_an_empty_index() -> None:
    assert crypto.blind_index(None, kind="phone") == ""
    assert crypto.blind_index(" \u3000", kind="id_number") == ""


def test_index_kind_must_be_an_identifier() -> None:
    with pytest.raises(ValueError, match="blind index kind must be a lower-case identifier"):
        crypto.blind_index("x", kind="ID number")

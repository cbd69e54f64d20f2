"""What is derived from the installation's secret stays byte-for-byte the same, and the primitives hold.

The literals were computed with the code as it was before the derivations moved to
``backend.crypto``: stored hashes, cookies, links and ciphers already out there must keep working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from backend.crypto import IdHasher, Sealer, Unsealable, derive_key, keyed_hash, mac, prefixed_key, sign, signature_ok
from backend.monitoring import push
from backend.monitoring.outreach import Outreach
from backend.monitoring.vault import IdVault
from backend.throttle import Keys
from bot.linking import LinkCodes
from bot.web_chat.identity import WebIdentities

SECRET = b"a fixed secret for pinned outputs"
WEB_ID = "AAAAAAAAAAAAAAAAAAAAAAAA"


def test_the_id_number_hash_is_unchanged() -> None:
    expected = "705f8679e438be665e332b904094606a31c02ab897a0e9ccf621a16163783e5a"
    assert IdHasher(SECRET)("11010519491231002x") == expected
    assert IdHasher(SECRET)("11010519491231002X") == expected  # the check letter in either case


def test_throttle_keys_are_unchanged() -> None:
    assert Keys(SECRET, "console sign-in").of("alice", "203.0.113.7") == (
        "e7b63a11cc3edf0ddc92a0f458b46f6eb410086a0e58797333964d47f35d368e")
    assert Keys(SECRET, "link codes").of("tg:42") == (
        "74b50824099f48dabbeae2d095361413aae5c70a8ddf73a7a97b965492e509b7")


def test_the_link_code_hash_is_unchanged() -> None:
    assert LinkCodes(SECRET).hash("0123456789") == "388a581c7df6e400967067aee047736d122c11ef576a86fe413f0db78633e89a"


def test_web_chat_cookies_and_form_tokens_are_unchanged() -> None:
    identities = WebIdentities(SECRET)
    cookie = f"{WEB_ID}.18KUFfRjuBbyh2iAMDlJ43wpSFYNqn_470xyg7fJaRs"
    assert identities.cookie(WEB_ID) == cookie
    assert identities.read(cookie) == WEB_ID
    assert identities.form_token(WEB_ID) == "Ov6udZrcmhj9gR2lfbHB0mTVPPYGwCHcsSeGcbVOlHo"
    assert identities.form_token_ok(WEB_ID, "Ov6udZrcmhj9gR2lfbHB0mTVPPYGwCHcsSeGcbVOlHo")


def test_outreach_deep_links_are_unchanged() -> None:
    outreach = Outreach(None, str, SECRET)  # type: ignore[arg-type]  # links need neither pack nor vault
    assert outreach.link(12345) == "apply-12345-778a4f8e4ac77da71864e2b0"
    assert outreach.parse_link("apply-12345-778a4f8e4ac77da71864e2b0") == 12345


def test_feed_push_signatures_are_unchanged() -> None:
    assert push.sign("the department key", "1764950400", b'[{"id": 1}]') == (
        "b256abb4c90b830f1c7f89c8533005ffac31c1d882ff163a6fd774b827e53171")


def test_a_department_key_sealed_before_still_opens() -> None:
    sealed = "ARfMdfXKv/uBqLC/Ssr6k1NbbhsNcr19O7t610YRXq84/hVCcVFHyFaAQ87Ajw=="
    assert push.unseal(SECRET, "medical", sealed) == "the department key"


def test_an_id_number_encrypted_before_still_decrypts() -> None:
    stored = "1.mxA96uOdvwsYanxGw60uZoJFvVtGKlTFMoKq9yGlN0n4MoTIILz5OCRVQMTdTw"
    assert IdVault(SECRET).decrypt(stored) == "11010519491231002X"


def test_a_department_key_seals_to_the_same_bytes_as_before_for_the_same_nonce() -> None:
    before = base64.b64decode("ARfMdfXKv/uBqLC/Ssr6k1NbbhsNcr19O7t610YRXq84/hVCcVFHyFaAQ87Ajw==")
    sealer = Sealer(SECRET, b"yimen/feed-keys/v1", nonce=lambda size: before[:size])
    assert sealer.seal(b"the department key", b"medical") == before


def test_the_primitives_compute_what_their_names_say() -> None:
    key = derive_key(SECRET, b"yimen link codes")
    assert key == hmac.new(SECRET, b"yimen link codes", hashlib.sha256).digest()
    assert mac(key, b"a\x00b") == hmac.new(key, b"a\x00b", hashlib.sha256).digest()
    assert sign(key, b"a\x00b") == mac(key, b"a\x00b").hex()
    assert keyed_hash(key, "a", "b") == sign(key, b"a\x00b")
    assert keyed_hash(key, "ab") != keyed_hash(key, "a", "b")
    assert prefixed_key(SECRET, b"label\0") == hashlib.sha256(b"label\0" + SECRET).digest()


@pytest.mark.parametrize("secret, info, associated", [
    (b"another secret", b"info", b"purpose"),
    (SECRET, b"another info", b"purpose"),
    (SECRET, b"info", b"another purpose"),
])
def test_a_sealed_value_opens_only_with_the_same_secret_label_and_associated_data(
    secret: bytes, info: bytes, associated: bytes
) -> None:
    sealed = Sealer(SECRET, b"info").seal(b"plain", b"purpose")
    assert Sealer(SECRET, b"info").open(sealed, b"purpose") == b"plain"
    with pytest.raises(Unsealable):
        Sealer(secret, info).open(sealed, associated)


def test_a_sealed_value_hides_its_plaintext_and_changes_with_each_seal() -> None:
    sealer = Sealer(SECRET, b"info")
    sealed = sealer.seal(b"plain text", b"purpose")
    assert b"plain text" not in sealed and len(sealed) == 12 + len(b"plain text") + 16
    assert sealer.seal(b"plain text", b"purpose") != sealed


@pytest.mark.parametrize("damaged", [b"", b"short", bytes(12), bytes(40)])
def test_a_damaged_sealed_value_is_unsealable_whatever_its_length(damaged: bytes) -> None:
    with pytest.raises(Unsealable):
        Sealer(SECRET, b"info").open(damaged, b"purpose")
    sealed = bytearray(Sealer(SECRET, b"info").seal(b"plain", b"purpose"))
    sealed[-1] ^= 1
    with pytest.raises(Unsealable):
        Sealer(SECRET, b"info").open(bytes(sealed), b"purpose")


def test_a_signature_check_compares_bytes_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    assert signature_ok("c0ffee", "c0ffee") and not signature_ok("c0ffee", "c0ffef")
    assert compared == [(b"c0ffee", b"c0ffee"), (b"c0ffef", b"c0ffee")]


@pytest.mark.parametrize("given", ["c0ffé", "签名", "\udcff\udcfe", "", None])
def test_a_signature_check_refuses_anything_else_without_raising(given: str | None) -> None:
    assert signature_ok("c0ffee", given) is False


def test_a_deep_link_with_letters_beyond_ascii_is_refused_not_an_error() -> None:
    outreach = Outreach(None, str, SECRET)  # type: ignore[arg-type]
    assert outreach.parse_link("apply-12345-778a4f8e4ac77da71864e2bé") is None


def test_a_push_signature_with_letters_beyond_ascii_is_refused_as_unauthorized() -> None:
    with pytest.raises(push.PushRefused) as refused:
        push.verify("the department key", "1764950400", "签" * 64, b"[]", datetime.fromtimestamp(1764950400, UTC))
    assert refused.value.status == 401 and refused.value.code == "unauthorized"


def test_web_chat_cookies_and_tokens_beyond_ascii_are_refused() -> None:
    identities = WebIdentities(SECRET)
    assert identities.read(f"{WEB_ID}.签名") is None
    assert identities.read(f"{WEB_ID}.\udcff") is None
    assert not identities.form_token_ok(WEB_ID, "签名")

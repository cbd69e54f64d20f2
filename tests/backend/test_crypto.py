"""What is derived from the installation's secret stays byte-for-byte the same, and the primitives hold.

The literals were computed with the code as it was before the derivations moved to
``backend.crypto``: stored hashes, cookies, links and ciphers already out there must keep working.
"""

from __future__ import annotations

from backend.intake import IdHasher
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

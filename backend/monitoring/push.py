"""Events a department's system pushes over HTTP, signed with the department's own key.

A push is ``POST /api/v1/feeds/{source}/events`` with a JSON list of rows (the fields of the
department's file) and two headers:

- ``X-Yimen-Timestamp``: the time of signing, in unix seconds;
- ``X-Yimen-Signature``: the hex HMAC-SHA256, keyed with the department's key (its text as
  printed by ``yimen monitor key SOURCE``), of ``timestamp + "." + raw body``.

A request signed more than five minutes before or after the server's clock is stale; the same
signature is accepted once (the signatures seen are kept as nonces, and pruned once stale).

Department keys are stored encrypted with AES-GCM under a key derived (HKDF-SHA256, its own
``info`` label) from the installation's secret, the source bound in as associated data; so a
database copied without the secret gives no key away.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from backend import crypto
from backend.monitoring.records import FeedKeysUnitOfWork
from backend.monitoring.vocabulary import SOURCES
from backend.store.base import Store

TOLERANCE = timedelta(minutes=5)
# A signature stays replayable while its timestamp is within the tolerance of the clock, which may
# be up to two tolerances after it was first seen; a minute more covers the clock moving meanwhile.
NONCE_LIFETIME = 2 * TOLERANCE + timedelta(minutes=1)
TIMESTAMP_HEADER, SIGNATURE_HEADER = "X-Yimen-Timestamp", "X-Yimen-Signature"
_INFO = b"yimen/feed-keys/v1"


class PushRefused(Exception):
    """A push not accepted: ``status`` 401 (unsigned, badly signed, stale) or 409 (replayed)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


def seal(secret_key: bytes, source: str, key: str) -> str:
    """A department's key encrypted for storage (base64 of nonce and ciphertext)."""
    return base64.b64encode(crypto.Sealer(secret_key, _INFO).seal(key.encode(), source.encode())).decode()


def unseal(secret_key: bytes, source: str, cipher: str) -> str:
    """The department's key back from storage.

    Raises:
        ValueError: the cipher was not sealed with this secret for this source.
    """
    raw = base64.b64decode(cipher)
    try:
        return crypto.Sealer(secret_key, _INFO).open(raw, source.encode()).decode()
    except crypto.Unsealable:
        raise ValueError(f"the key of {source} was sealed with another secret") from None


def sign(key: str, timestamp: str, body: bytes) -> str:
    """The signature a department sends: hex HMAC-SHA256 of ``timestamp.body``."""
    return crypto.sign(key.encode(), timestamp.encode() + b"." + body)


def verify(key: str, timestamp: str | None, signature: str | None, body: bytes, now: datetime) -> None:
    """Check a push's signature, then its age.

    Raises:
        PushRefused: 401 when a header is missing, the signature is wrong, or the timestamp is
            more than five minutes away from ``now`` ("stale").
    """
    if not timestamp or not signature:
        raise PushRefused(401, "unauthorized", f"send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise PushRefused(401, "unauthorized", f"{TIMESTAMP_HEADER} must be unix seconds")
    if not crypto.signature_ok(sign(key, timestamp, body), signature.strip().lower()):
        raise PushRefused(401, "unauthorized", "the signature is not valid")
    if abs(now.timestamp() - int(timestamp)) > TOLERANCE.total_seconds():
        raise PushRefused(401, "stale", "the timestamp is more than five minutes from the server's clock")


async def authenticate(database: Store[FeedKeysUnitOfWork], source: str, *, timestamp: str | None,
                       signature: str | None, body: bytes, secret_key: bytes, now: datetime) -> None:
    """Accept a push once: verify it against the source's key and remember its signature.

    The signature is remembered in its own transaction before any row is taken, so a request
    replayed while the first is still being imported is refused too.

    Raises:
        PushRefused: no key for the source, a bad or stale signature (401), or a replay (409).
    """
    async with database.unit_of_work() as uow:
        cipher = await uow.feed_keys.get(source)
        if cipher is None:
            raise PushRefused(401, "unauthorized", f"no key has been made for {source}")
        try:
            key = unseal(secret_key, source, cipher)
        except ValueError:
            # The installation's secret changed since the key was made: only a new key helps.
            raise PushRefused(401, "unauthorized", f"the key of {source} must be made again") from None
        verify(key, timestamp, signature, body, now)
        assert signature is not None
        if not await uow.feed_keys.remember(source, signature.strip().lower(), at=now):
            raise PushRefused(409, "replayed", "this request was received before")
        await uow.feed_keys.forget_before(now - NONCE_LIFETIME)
        await uow.commit()


async def rotate_key(database: Store[FeedKeysUnitOfWork], source: str, *, secret_key: bytes, now: datetime,
                     new_key: Callable[[], str] = lambda: secrets.token_hex(32)) -> str:
    """Create or replace ``source``'s key; the key, to be shown once (only its cipher is kept).

    Raises:
        ValueError: an unknown source.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r} (known: {', '.join(SOURCES)})")
    key = new_key()
    async with database.unit_of_work() as uow:
        await uow.feed_keys.put(source, seal(secret_key, source, key), at=now)
        await uow.commit()
    return key

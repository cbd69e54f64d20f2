"""Keys derived from the installation's secret, keyed hashes, sealing (AES-GCM) and signing (HMAC-SHA256).

Every output here is stored or handed out (hashes in indexes, cookies, links, ciphers in the
database), so each must stay byte-for-byte what it is; ``tests/backend/test_crypto.py`` pins them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12  # 96 bits: the size AES-GCM is built for


def derive_key(secret: bytes, purpose: bytes) -> bytes:
    """A key of its own per purpose (HMAC-SHA256 of the purpose under the secret): a hash or
    signature made for one use means nothing in another."""
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def prefixed_key(secret: bytes, label: bytes) -> bytes:
    """SHA-256 of ``label`` then the secret: the older derivation that deep links were signed
    under; links already handed out must keep verifying, so new keys use :func:`derive_key`."""
    return hashlib.sha256(label + secret).digest()


def mac(key: bytes, message: bytes) -> bytes:
    """The raw HMAC-SHA256 of ``message`` under ``key`` (32 bytes)."""
    return hmac.new(key, message, hashlib.sha256).digest()


def sign(key: bytes, message: bytes) -> str:
    """The hex HMAC-SHA256 of ``message`` under ``key`` (64 characters)."""
    return mac(key, message).hex()


def keyed_hash(key: bytes, *parts: str) -> str:
    """The hex HMAC-SHA256 of the parts joined by NUL, which none of them carries: for looking
    something up by a value without keeping the value."""
    return sign(key, "\x00".join(parts).encode())


def signature_ok(expected: str, given: str | None) -> bool:
    """Whether ``given`` is ``expected``, in time that does not depend on where they differ.

    Args:
        expected: the right value, ASCII (hex or base64 text).
        given: what was sent; anything, None included.
    """
    # compare_digest raises TypeError on str beyond ASCII, which anyone can send: compare bytes,
    # and refuse early what cannot be ASCII text (that says nothing about the expected value).
    if given is None or not given.isascii():
        return False
    return hmac.compare_digest(given.encode("ascii"), expected.encode("ascii"))


class Unsealable(ValueError):
    """A sealed value that cannot be opened: damaged, or sealed under another secret, label or
    associated data."""


class Sealer:
    """AES-GCM under a key derived from the secret by HKDF-SHA256 with its own ``info`` label.

    A sealed value is the nonce followed by the ciphertext and its tag; the associated data binds
    it to what it belongs to, so it cannot be passed off as another kind of secret.

    Args:
        secret: the installation's secret key.
        info: the HKDF label, one per kind of sealed value (keys of two labels are unrelated).
        nonce: random bytes of the given length (tests give fixed ones).
    """

    def __init__(self, secret: bytes, info: bytes, *, nonce: Callable[[int], bytes] = os.urandom) -> None:
        self._aead = AESGCM(HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(secret))
        self._nonce = nonce

    def seal(self, plaintext: bytes, associated: bytes) -> bytes:
        """``plaintext`` encrypted: a fresh nonce, then the ciphertext (the same value never seals the same twice)."""
        nonce = self._nonce(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, associated)

    def open(self, sealed: bytes, associated: bytes) -> bytes:
        """The plaintext back from :meth:`seal`'s bytes.

        Raises:
            Unsealable: not sealed by this sealer with this associated data, or altered.
        """
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)
        except (InvalidTag, ValueError):  # ValueError: too short to hold a nonce
            raise Unsealable("the value is damaged or was sealed under another key") from None


class IdHasher:
    """Keyed hashes of ID numbers: matchable without keeping the numbers in an index.

    Args:
        key: the installation's secret itself (not a key derived from it): every stored
            application and registry row is indexed by this hash.
    """

    def __init__(self, key: bytes) -> None:
        self._key = key
        # The HMAC with its key already absorbed: a copy per number costs a fifth of a new HMAC
        # (a million-person registry hashes every number), and gives keyed_hash's bytes.
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)

    def __call__(self, id_number: str) -> str:
        # Upper case: the check character X may be typed either way.
        keyed = self._keyed.copy()
        keyed.update(id_number.upper().encode())
        return keyed.hexdigest()

    def __reduce__(self) -> tuple[type[IdHasher], tuple[bytes]]:
        # Worker processes hash too; an HMAC object cannot be pickled.
        return IdHasher, (self._key,)

"""ID numbers kept encrypted: AES-GCM under a key derived from the installation's secret.

The registry matches people by the keyed hash of their ID number (``backend.intake.IdHasher``,
the same hash applications carry); the number itself is only needed to show it to the office
that looks after the person, so it is stored encrypted and decrypted on demand.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# A distinct label: the key encrypting ID numbers is unrelated to every other key derived from
# the same secret (and to the hash key, which is the secret itself).
_INFO = b"yimen/registry/id-number-encryption/v1"
# The stored text starts with the format's version, so that a later key or cipher can be told apart.
_PREFIX = "1."
_NONCE_BYTES = 12  # 96 bits: the size AES-GCM is built for
# Binds each ciphertext to its purpose: one cannot be passed off as another kind of secret.
_ASSOCIATED = b"id_number"


class VaultError(ValueError):
    """A stored value that cannot be decrypted: damaged, or encrypted under another secret."""


class IdVault:
    """Encrypts and decrypts ID numbers; one instance serves the whole process."""

    def __init__(self, secret_key: bytes) -> None:
        key = HKDF(algorithm=SHA256(), length=32, salt=None, info=_INFO).derive(secret_key)
        self._aead = AESGCM(key)

    def encrypt(self, id_number: str) -> str:
        """Compact text (about 64 characters): version, then base64url of nonce and ciphertext."""
        nonce = os.urandom(_NONCE_BYTES)  # random per value: the same number never encrypts the same twice
        sealed = self._aead.encrypt(nonce, id_number.encode("ascii"), _ASSOCIATED)
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The ID number back from :meth:`encrypt`'s text.

        Raises:
            VaultError: not this vault's text, or altered.
        """
        if not stored.startswith(_PREFIX):
            raise VaultError("not an encrypted ID number of this format")
        body = stored[len(_PREFIX):]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _ASSOCIATED).decode("ascii")
        except (binascii.Error, InvalidTag, ValueError, UnicodeDecodeError):
            raise VaultError("the encrypted ID number is damaged or was encrypted under another secret") from None

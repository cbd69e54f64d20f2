"""ID numbers kept encrypted: AES-GCM under a key derived from the installation's secret.

The registry matches people by the keyed hash of their ID number (``backend.intake.IdHasher``,
the same hash applications carry); the number itself is only needed to show it to the office
that looks after the person, so it is stored encrypted and decrypted on demand.
"""

from __future__ import annotations

import base64

from backend.crypto import Sealer

# A distinct label: the key encrypting ID numbers is unrelated to every other key derived from
# the same secret (and to the hash key, which is the secret itself).
_INFO = b"yimen/registry/id-number-encryption/v1"
# The stored text starts with the format's version, so that a later key or cipher can be told apart.
_PREFIX = "1."
# Binds each ciphertext to its purpose: one cannot be passed off as another kind of secret.
_ASSOCIATED = b"id_number"


class VaultError(ValueError):
    """A stored value that cannot be decrypted: damaged, or encrypted under another secret."""


class IdVault:
    """Encrypts and decrypts ID numbers; one instance serves the whole process."""

    def __init__(self, secret_key: bytes) -> None:
        self._secret = secret_key
        self._sealer = Sealer(secret_key, _INFO)

    def __reduce__(self) -> tuple[type[IdVault], tuple[bytes]]:
        # Worker processes of an import encrypt too; the cipher object itself cannot be pickled.
        return IdVault, (self._secret,)

    def encrypt(self, id_number: str) -> str:
        """Compact text (about 64 characters): version, then base64url of nonce and ciphertext."""
        # A fresh nonce per value: the same number never encrypts the same twice.
        sealed = self._sealer.seal(id_number.encode("ascii"), _ASSOCIATED)
        return _PREFIX + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")

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
            return self._sealer.open(raw, _ASSOCIATED).decode("ascii")
        # binascii.Error (bad base64), Unsealable, UnicodeDecodeError, and the ValueError of text
        # beyond ASCII: all ValueErrors.
        except ValueError:
            raise VaultError("the encrypted ID number is damaged or was encrypted under another secret") from None

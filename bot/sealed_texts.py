"""The clear text of a reply that shows a resident something private, sealed for the outbox.

A reply that shows the digits of an ID number just typed is stored with them masked; a channel
that sends from the outbox (Telegram) needs the clear text once, so it is stored sealed beside it
under the installation's secret, and opened only by the sender.
"""

from __future__ import annotations

import base64

from backend.crypto import Sealer, Unsealable

_INFO = b"yimen outbox private text v1"
_ASSOCIATED = b"outbox reply text"


class SealedTexts:
    """Seals and opens reply texts under a key derived from the secret (its own HKDF label)."""

    def __init__(self, secret: bytes) -> None:
        self._sealer = Sealer(secret, _INFO)

    def seal(self, text: str) -> str:
        return base64.b64encode(self._sealer.seal(text.encode("utf-8"), _ASSOCIATED)).decode("ascii")

    def open(self, sealed: str) -> str | None:
        """The clear text, or None when it was sealed under another secret or is damaged."""
        try:
            return self._sealer.open(base64.b64decode(sealed, validate=True), _ASSOCIATED).decode("utf-8")
        except (Unsealable, ValueError):  # ValueError: not base64 (binascii.Error) or not UTF-8
            return None

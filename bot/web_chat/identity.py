"""Who a browser is: a random web identity in a signed cookie, and the form token tied to it.

The cookie holds ``<id>.<signature>``: the id is random (144 bits) and the signature an
HMAC-SHA256 of it under a key derived from the installation's secret, so a cookie cannot be
made up or changed into someone else's; a cookie that does not verify is treated as none, and
the browser gets a new identity. The form token (CSRF) is another HMAC of the same id: a page
on another site cannot read it, so it cannot post in the resident's name.

Signing out ends an identity on the server: its rows move to an id with a ``:`` in it, which no
cookie can carry (see ``_ID``), so every copy of the old cookie leads to nobody.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable

from backend.crypto import derive_key, mac, signature_ok

COOKIE = "yimen_chat"
# Browsers keep a cookie at most about 400 days; a resident coming back within that finds their chat.
COOKIE_MAX_AGE = 400 * 24 * 3600
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _mac(key: bytes, value: str) -> str:
    """The HMAC of ``value`` as unpadded base64url, which a cookie and a form field carry as they are."""
    return base64.urlsafe_b64encode(mac(key, value.encode())).rstrip(b"=").decode()


def random_id() -> str:
    return secrets.token_urlsafe(18)


class WebIdentities:
    """Signs web identities into cookies and ties form tokens to them.

    Args:
        secret: the installation's secret key (``Config.secret_key``).
        new_id: a fresh random identity (tests give their own).
    """

    def __init__(self, secret: bytes, *, new_id: Callable[[], str] = random_id) -> None:
        # A key of its own per purpose: a cookie's signature is no form token, and the reverse.
        self._cookie_key = derive_key(secret, b"yimen web chat identity")
        self._form_key = derive_key(secret, b"yimen web chat form")
        self._new_id = new_id

    def new(self) -> str:
        return self._new_id()

    def cookie(self, web_id: str) -> str:
        return f"{web_id}.{_mac(self._cookie_key, web_id)}"

    def read(self, cookie: str | None) -> str | None:
        """The identity a cookie carries, or None when it is missing, malformed or not signed by us."""
        if not cookie:
            return None
        web_id, _, signature = cookie.partition(".")
        if not _ID.match(web_id) or not signature_ok(_mac(self._cookie_key, web_id), signature):
            return None
        return web_id

    def form_token(self, web_id: str) -> str:
        return _mac(self._form_key, web_id)

    def form_token_ok(self, web_id: str, token: str | None) -> bool:
        return bool(token) and signature_ok(self.form_token(web_id), str(token))

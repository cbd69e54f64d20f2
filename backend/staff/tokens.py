"""API tokens: random, shown once, stored only as a hash.

A token carries 256 random bits, so a fast hash is enough: no one can guess their way to a
match, and unlike a password hash (argon2, bcrypt) it costs nothing on every request.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "ym_"


def new_token() -> str:
    """A fresh token; the prefix makes a leaked one easy to recognise in logs and scanners."""
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

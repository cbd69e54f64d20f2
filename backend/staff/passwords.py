"""Console passwords: argon2id hashes (argon2-cffi), never the password itself.

Unlike an API token (256 random bits, see ``tokens.py``), a password is chosen by a person and
may be guessed; a slow, memory-hard hash makes each guess against a stolen hash expensive.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10

_HASHER = PasswordHasher()


class WeakPassword(ValueError):
    """The password is too short to be set; the message says so."""


def check_strength(password: str) -> None:
    """Raises WeakPassword for a password shorter than ``MIN_LENGTH`` characters."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password has at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(hashed: str | None, password: str) -> bool:
    """Whether ``password`` matches ``hashed``. With no hash (an unknown user, or an account
    without a password) a dummy hash is checked anyway, so the answer takes as long either way
    and does not tell which usernames exist."""
    try:
        return _HASHER.verify(hashed or _dummy_hash(), password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    """A generated password (96 random bits), for a first account or a reset."""
    return secrets.token_urlsafe(12)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_hex(16))

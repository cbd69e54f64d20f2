"""Signing in to the console: argon2 passwords, throttled guessing, sessions.

Guesses are throttled per (typed name, client address) with a growing block, and per client
address across all names (``backend/throttle.py``). A guess is counted before its password is
checked, in one unit of work that refuses while either counter is blocked, so concurrent guesses
cannot slip past the limit. The counters are keyed by a keyed hash of the lowercased name, not
by a user, so a name nobody has is throttled, answered and timed exactly like a real one; and a
stranger's guesses from their address do not keep a caseworker out from another.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256 (like an
API token, it holds 256 random bits) with the session's CSRF token and its expiry.
"""

from __future__ import annotations

import asyncio
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from backend.cases.ports import Role, User
from backend.staff.passwords import verify_password
from backend.staff.tokens import token_hash
from backend.store.audit import AuditLog
from backend.store.base import Store, Transaction
from backend.store.console import ConsoleRepository, ConsoleSession
from backend.throttle import FORGET_AFTER, Keys, Limit, ThrottleRepository

# A merchant signs in too, but only to its own page (redeeming codes): see security.MERCHANT_PATHS.
CONSOLE_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN, Role.MERCHANT})
# Per typed name and client address: 5 failures in 15 minutes block for 1, 2, 4 … minutes, at most an hour.
PER_NAME = Limit(max_failures=5, window=timedelta(minutes=15), first_block=timedelta(minutes=1),
                 longest_block=timedelta(hours=1))
# Per client address, whatever the names: spraying one password over many names.
PER_ADDRESS = Limit(max_failures=30, window=timedelta(minutes=15), first_block=timedelta(minutes=15),
                    longest_block=timedelta(hours=1))
MAX_FAILURES = PER_NAME.max_failures
SESSION_FOR = timedelta(hours=12)
TARGET = "console"
NAME_CHARS = 64


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str  # for the cookie; never stored
    user: User
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Refused:
    reason: Literal["invalid", "locked"]
    until: datetime | None = None
    # Whole minutes left until then, rounded up: what the page says, the same for every name
    # refused at about the same time (a clock time would differ across a minute's turn).
    minutes: int = 0


def _locked(until: datetime, now: datetime) -> Refused:
    return Refused("locked", until, max(1, math.ceil((until - now).total_seconds() / 60)))


class SignInUnitOfWork(Transaction, Protocol):
    """What signing in and out uses of a unit of work."""

    audit: AuditLog
    console: ConsoleRepository
    throttles: ThrottleRepository


class SignInThrottle:
    """The keys of the sign-in counters.

    Args:
        secret: the installation's secret key.
    """

    def __init__(self, secret: bytes) -> None:
        self._keys = Keys(secret, "console sign-in")

    def name_key(self, username: str, address: str) -> str:
        return self._keys.of("name", username.casefold(), address)

    def address_key(self, address: str) -> str:
        return self._keys.of("address", address)


async def sign_in(database: Store[SignInUnitOfWork], throttle: SignInThrottle, username: str, password: str, *,
                  address: str, now: datetime) -> SignedIn | Refused:
    """Check a username and password sent from ``address``.

    Whatever the outcome, one password hash is checked (a dummy one for an unknown name or a
    refused guess), so the answer takes as long for every name and every refusal.
    """
    username = username.strip()[:NAME_CHARS]
    name_key, address_key = throttle.name_key(username, address), throttle.address_key(address)
    async with database.unit_of_work() as uow:
        # Address first, then name: every sign-in locks the rows in this order, so none deadlock.
        by_address = await uow.throttles.hold(address_key, now=now)
        by_name = await uow.throttles.hold(name_key, now=now)
        address_blocked = by_address.blocked(now)
        name_blocked = by_name.blocked(now)
        refused_until = max((d for d in (address_blocked, name_blocked) if d is not None), default=None)
        if refused_until is None:
            by_address, address_number = PER_ADDRESS.reserve(by_address, now)
            by_name, name_number = PER_NAME.reserve(by_name, now)
            await uow.throttles.put(address_key, by_address, now=now)
            await uow.throttles.put(name_key, by_name, now=now)
            found = await uow.console.credentials(username)
            await uow.commit()
    if refused_until is not None:
        # Refused unchecked, but in the time a checked password takes and with the same steps, so
        # that neither the answer nor its timing says whether the name exists.
        await asyncio.to_thread(verify_password, None, password)
        async with database.unit_of_work() as uow:
            action = "console.sign_in_locked" if name_blocked else "console.sign_in_address_limited"
            await _record(uow, username, action, address, now, until=refused_until)
            await uow.commit()
        return _locked(refused_until, now)
    # The block this guess set off, if it did: a wrong password then answers "locked" at once.
    set_off = max((d for d in (by_address.blocked(now), by_name.blocked(now)) if d is not None), default=None)
    # Checked outside any unit of work: the hash takes tens of milliseconds, and on SQLite a unit
    # of work holds the single write lock.
    matches = await asyncio.to_thread(verify_password, found.password_hash if found else None, password)
    allowed = found is not None and found.user.active and found.user.role in CONSOLE_ROLES
    async with database.unit_of_work() as uow:
        if not (matches and allowed):
            await _record(uow, username, "console.sign_in_failed", address, now, until=set_off)
            await uow.commit()
            return _locked(set_off, now) if set_off else Refused("invalid")
        assert found is not None
        # The guess was right: it is taken back, with the mistakes before it on this name.
        by_address = await uow.throttles.hold(address_key, now=now)
        by_name = await uow.throttles.hold(name_key, now=now)
        await uow.throttles.put(address_key, PER_ADDRESS.forgive(by_address, address_number, now, earlier=False),
                                now=now)
        await uow.throttles.put(name_key, PER_NAME.forgive(by_name, name_number, now, earlier=True), now=now)
        await uow.throttles.purge(before=now - FORGET_AFTER)
        await uow.console.purge(now=now)
        token = secrets.token_urlsafe(32)
        expires_at = now + SESSION_FOR
        await uow.console.add_session(token_hash(token), user_id=found.user.id, csrf=secrets.token_urlsafe(32),
                                      at=now, expires_at=expires_at)
        await uow.audit.record(actor=username, action="console.sign_in", target=TARGET,
                               details={"address": address}, at=now)
        await uow.commit()
    return SignedIn(token, found.user, expires_at)


async def session_of(database: Store[SignInUnitOfWork], token: str, *, now: datetime) -> ConsoleSession | None:
    async with database.unit_of_work() as uow:
        return await uow.console.session(token_hash(token), now=now)


async def sign_out(database: Store[SignInUnitOfWork], token: str, user: User, *, now: datetime) -> None:
    async with database.unit_of_work() as uow:
        await uow.console.end_session(token_hash(token))
        await uow.audit.record(actor=user.username, action="console.sign_out", target=TARGET, details={}, at=now)
        await uow.commit()


async def _record(uow: SignInUnitOfWork, username: str, action: str, address: str, now: datetime, *,
                  until: datetime | None) -> None:
    """A refusal in the audit log: the name as typed (truncated), never the password."""
    details: dict[str, object] = {"address": address, "locked": until is not None}
    if until is not None:
        details["until"] = until.isoformat()
    await uow.audit.record(actor=username or "-", action=action, target=TARGET, details=details, at=now)

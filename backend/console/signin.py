"""Signing in to the console: argon2 passwords, lock-out after repeated failures, sessions.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256 (like an
API token, it holds 256 random bits) with the session's CSRF token and its expiry.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from backend.cases.ports import Role, User
from backend.console.ports import ConsoleSession
from backend.ports import UnitOfWork
from backend.staff.passwords import verify_password
from backend.staff.tokens import token_hash

CONSOLE_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN})
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
SESSION_FOR = timedelta(hours=12)
TARGET = "console"


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str  # for the cookie; never stored
    user: User
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Refused:
    reason: Literal["invalid", "locked"]
    until: datetime | None = None


class Store(Protocol):
    def unit_of_work(self) -> UnitOfWork: ...


async def sign_in(database: Store, username: str, password: str, *, now: datetime) -> SignedIn | Refused:
    """Check a username and password. Five failures in a row lock the account for 15 minutes;
    while locked even the right password is refused, without being checked."""
    username = username.strip()[:64]
    async with database.unit_of_work() as uow:
        found = await uow.console.credentials(username)
    if found is not None and found.locked_until is not None and found.locked_until > now:
        await _audit(database, username, "console.sign_in_locked", now)
        return Refused("locked", found.locked_until)
    # Checked outside any unit of work: the hash takes tens of milliseconds, and on SQLite a unit
    # of work holds the single write lock.
    matches = await asyncio.to_thread(verify_password, found.password_hash if found else None, password)
    allowed = found is not None and found.user.active and found.user.role in CONSOLE_ROLES
    async with database.unit_of_work() as uow:
        if not (matches and allowed):
            refused = Refused("invalid")
            if found is not None:
                until = now + LOCK_FOR
                if await uow.console.failed(found.user.id, lock_after=MAX_FAILURES, locked_until=until) == 0:
                    refused = Refused("locked", until)
            await uow.audit.record(actor=username or "-", action="console.sign_in_failed", target=TARGET,
                                   details={"locked": refused.reason == "locked"}, at=now)
            await uow.commit()
            return refused
        assert found is not None
        await uow.console.succeeded(found.user.id)
        await uow.console.purge(now=now)
        token = secrets.token_urlsafe(32)
        expires_at = now + SESSION_FOR
        await uow.console.add_session(token_hash(token), user_id=found.user.id, csrf=secrets.token_urlsafe(32),
                                      at=now, expires_at=expires_at)
        await uow.audit.record(actor=username, action="console.sign_in", target=TARGET, details={}, at=now)
        await uow.commit()
    return SignedIn(token, found.user, expires_at)


async def session_of(database: Store, token: str, *, now: datetime) -> ConsoleSession | None:
    async with database.unit_of_work() as uow:
        return await uow.console.session(token_hash(token), now=now)


async def sign_out(database: Store, token: str, user: User, *, now: datetime) -> None:
    async with database.unit_of_work() as uow:
        await uow.console.end_session(token_hash(token))
        await uow.audit.record(actor=user.username, action="console.sign_out", target=TARGET, details={}, at=now)
        await uow.commit()


async def _audit(database: Store, username: str, action: str, now: datetime) -> None:
    async with database.unit_of_work() as uow:
        await uow.audit.record(actor=username or "-", action=action, target=TARGET, details={}, at=now)
        await uow.commit()

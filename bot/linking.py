"""Linking two ways in to one resident: a one-time code asked for on the web chat, sent as
``/link CODE`` from Telegram (or any other channel).

The code is 6 digits, valid 10 minutes and taken once; only its keyed hash (HMAC-SHA256 with
the installation's secret) is stored, so a copy of the database does not give live codes away
even though a million codes are quickly tried offline. Guessing online is slowed down: a
resident whose codes led nowhere 5 times in an hour is asked to wait.

The resident the code belongs to keeps everything: the sending identity is moved to them
(``ResidentRepository.move_identity``), unless its own resident already has records with the
office. ``/link`` concerns the resident's account, not the flow they are in, so it is answered on
the side like the volunteer's commands.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.ports import DocumentMeta, Resident, UnitOfWork
from flows import events as ev
from flows.intents import Reply

COMMANDS = frozenset({"link"})
CODE_DIGITS = 6


def random_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


@dataclass(frozen=True, slots=True)
class Linked:
    """What ``/link`` did: the reply, the resident the identity leads to now (when it moved), and
    documents of an abandoned conversation whose bytes go once the unit of work is committed."""

    reply: Reply
    resident_id: str | None = None
    discarded: tuple[DocumentMeta, ...] = ()


class LinkCodes:
    """Issues and redeems link codes.

    Args:
        secret: the installation's secret key; codes are stored as its HMAC.
        ttl: how long a code is valid.
        max_failures, failure_window: codes that may lead nowhere per resident in the window.
        draw: a new random code (tests give their own).
    """

    def __init__(
        self,
        secret: bytes,
        *,
        ttl: timedelta = timedelta(minutes=10),
        max_failures: int = 5,
        failure_window: timedelta = timedelta(hours=1),
        draw: Callable[[], str] = random_code,
    ) -> None:
        # A key of its own, so that a code's hash says nothing about other keyed hashes.
        self._key = hmac.new(secret, b"yimen link codes", hashlib.sha256).digest()
        self.ttl = ttl
        self.max_failures = max_failures
        self.failure_window = failure_window
        self._draw = draw

    @property
    def minutes(self) -> int:
        return int(self.ttl.total_seconds() // 60)

    def hash(self, code: str) -> str:
        return hmac.new(self._key, code.encode(), hashlib.sha256).hexdigest()

    async def issue(self, uow: UnitOfWork, resident_id: str, *, now: datetime) -> str:
        """A new code for the resident, in the caller's unit of work; an earlier code of theirs stops working."""
        await uow.links.forget_codes(issued_before=now - self.ttl)
        await uow.links.forget_codes(resident_id=resident_id)
        for _ in range(20):
            code = self._draw()
            if await uow.links.add_code(self.hash(code), resident_id, at=now):
                return code
        raise RuntimeError("no free link code after 20 draws")

    async def redeem(
        self, uow: UnitOfWork, resident: Resident, channel: str, external_id: str, command: ev.Command, *,
        now: datetime,
    ) -> Linked:
        """``/link CODE`` from ``resident`` on (``channel``, ``external_id``), in the caller's unit of work."""
        if await uow.links.failures(resident.id, since=now - self.failure_window) >= self.max_failures:
            return Linked(Reply("link.too_many"))
        code = "".join(command.arg.split())
        if not (len(code) == CODE_DIGITS and code.isascii() and code.isdigit()):
            return Linked(Reply("link.usage"))
        found = await uow.links.take_code(self.hash(code))
        if found is None or found[1] <= now - self.ttl:
            # Never issued, already used and expired look the same: nothing tells a guesser which.
            await uow.links.record_failure(resident.id, at=now)
            return Linked(Reply("link.invalid", {"minutes": self.minutes}))
        owner = found[0]
        moved = await uow.residents.move_identity(channel, external_id, to_resident=owner)
        if moved.outcome == "already":
            return Linked(Reply("link.already"))
        if moved.outcome == "refused":
            return Linked(Reply("link.refused"))
        return Linked(Reply("link.done"), owner, moved.discarded)

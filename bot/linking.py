"""Linking two ways in to one resident: a one-time code asked for on the web chat, sent as
``/link CODE`` from Telegram (or any other channel).

The code is 10 digits (shown in groups, ``123 456 7890``), valid 10 minutes and taken once; only
its keyed hash (HMAC-SHA256 with the installation's secret) is stored, so a copy of the database
does not give live codes away. Guessing online is made hopeless rather than merely slow, because
a guess cannot know whose code it aims at and a new browser or chat costs nothing:

- every guess is counted before the code is looked up (``backend/throttle.py``), under the
  sending identity (5 in an hour), the client address when the channel knows it (20 in an
  hour), and the whole installation (``GLOBAL.max_failures`` in 10 minutes);
- when the whole installation passes its limit (a sustained guessing attack), every live code
  is dropped and all ``/link`` waits, 10 minutes at first, doubling up to an hour;
- a resident who sends wrong codes 3 times loses their own live code too.

So at most 2 × 200 guesses can be checked in a code's 10 minutes (a window's worth on each side
of a window's end), and with 10^10 codes the chance that one live code is hit is at most
4·10^-8; with N codes live at once, N times that.

The resident the code belongs to keeps everything: the sending identity is moved to them
(``ResidentRepository.move_identity``), unless its own resident already has records with the
office. ``/link`` concerns the resident's account, not the flow they are in, so it is answered on
the side like the volunteer's commands.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.crypto import derive_key, keyed_hash
from backend.ports import DocumentMeta, Resident, UnitOfWork
from backend.throttle import FORGET_AFTER, Keys, Limit
from flows import events as ev
from flows.intents import Reply

COMMANDS = frozenset({"link"})
CODE_DIGITS = 10
# Per sending identity (a Telegram chat, a browser) and per client address.
PER_SOURCE = Limit(max_failures=5, window=timedelta(hours=1), first_block=timedelta(hours=1),
                   longest_block=timedelta(days=1))
PER_ADDRESS = Limit(max_failures=20, window=timedelta(hours=1), first_block=timedelta(hours=1),
                    longest_block=timedelta(days=1))
# For the whole installation: far above the mistakes of residents typing codes, far below a guesser.
GLOBAL = Limit(max_failures=200, window=timedelta(minutes=10), first_block=timedelta(minutes=10),
               longest_block=timedelta(hours=1))
# Wrong codes from a resident with a live code of their own, after which that code dies too.
OWN_CODE_DIES_AFTER = 3


def random_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def grouped(code: str) -> str:
    """The code as it is shown, in groups that are easy to read out and type: ``123 456 7890``."""
    return f"{code[:3]} {code[3:6]} {code[6:]}"


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
        draw: a new random code (tests give their own).
    """

    def __init__(
        self,
        secret: bytes,
        *,
        ttl: timedelta = timedelta(minutes=10),
        draw: Callable[[], str] = random_code,
    ) -> None:
        # A key of its own, so that a code's hash says nothing about other keyed hashes.
        self._key = derive_key(secret, b"yimen link codes")
        self._throttle = Keys(secret, "link codes")
        self.ttl = ttl
        self._draw = draw

    @property
    def minutes(self) -> int:
        return int(self.ttl.total_seconds() // 60)

    def hash(self, code: str) -> str:
        return keyed_hash(self._key, code)

    async def issue(self, uow: UnitOfWork, resident_id: str, *, now: datetime) -> str:
        """A new code for the resident, in the caller's unit of work; an earlier code of theirs stops working."""
        await uow.links.forget_codes(issued_before=now - self.ttl)
        await uow.throttles.purge(before=now - FORGET_AFTER)
        await uow.links.forget_codes(resident_id=resident_id)
        for _ in range(20):
            code = self._draw()
            if await uow.links.add_code(self.hash(code), resident_id, at=now):
                return code
        raise RuntimeError("no free link code after 20 draws")

    async def redeem(
        self, uow: UnitOfWork, resident: Resident, channel: str, external_id: str, command: ev.Command, *,
        now: datetime, address: str | None = None,
    ) -> Linked:
        """``/link CODE`` from ``resident`` on (``channel``, ``external_id``), in the caller's unit of work.

        Args:
            address: the client's address, when the channel knows it (the web chat).
        """
        code = "".join(ch for ch in command.arg if not (ch.isspace() or ch == "-"))
        if not (len(code) == CODE_DIGITS and code.isascii() and code.isdigit()):
            return Linked(Reply("link.usage"))
        # Counted before the code is looked up, under locks held until the caller commits: however
        # many guesses arrive at once, no more than the limits are ever looked up.
        counters = [(GLOBAL, self._throttle.of("global"))]
        if address is not None:
            counters.append((PER_ADDRESS, self._throttle.of("address", address)))
        counters.append((PER_SOURCE, self._throttle.of("source", channel, external_id)))
        held = [(limit, key, await uow.throttles.hold(key, now=now)) for limit, key in counters]
        if held[0][2].blocked(now):
            return Linked(Reply("link.paused"))
        if any(counter.blocked(now) for _, _, counter in held):
            return Linked(Reply("link.too_many"))
        numbers = []
        for limit, key, counter in held:
            counter, number = limit.reserve(counter, now)
            numbers.append(number)
            await uow.throttles.put(key, counter, now=now)
            if limit is GLOBAL and counter.blocked(now):
                # A sustained guessing attack: no live code outlives it.
                await uow.links.forget_codes()
        found = await uow.links.take_code(self.hash(code))
        if found is None or found[1] <= now - self.ttl:
            # Never issued, already used and expired look the same: nothing tells a guesser which.
            if numbers[-1] >= OWN_CODE_DIES_AFTER:
                await uow.links.forget_codes(resident_id=resident.id)
            return Linked(Reply("link.invalid", {"minutes": self.minutes}))
        for (limit, key, _), number in zip(held, numbers, strict=True):
            counter = await uow.throttles.hold(key, now=now)
            await uow.throttles.put(key, limit.forgive(counter, number, now, earlier=limit is PER_SOURCE), now=now)
        owner = found[0]
        moved = await uow.residents.move_identity(channel, external_id, to_resident=owner)
        if moved.outcome == "already":
            return Linked(Reply("link.already"))
        if moved.outcome == "refused":
            return Linked(Reply("link.refused"))
        return Linked(Reply("link.done"), owner, moved.discarded)

"""Throttling repeated failures (guessed passwords, guessed codes), counted in the database.

A guess is *reserved* before it is checked: one unit of work locks the throttle's rows (a row
lock on PostgreSQL; on SQLite every unit of work begins IMMEDIATE and holds the write lock),
refuses while a row is blocked, and otherwise counts the guess as a failure and commits. Only
then is the secret checked, so however many guesses arrive at once, at most ``max_failures``
of them are checked before the block; a guess that turns out right takes back what it counted.

Rows are keyed by a keyed hash (HMAC-SHA256 under a key of their own) of what a guess is
attributed to (a typed name and a client address, an address alone, a chat identity), never
by a user id, so that a name nobody has is throttled exactly like a real one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from backend.crypto import derive_key, keyed_hash

# After this long without a block, the growing delay starts again from its first step.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Counter:
    """What is counted under one key.

    Attributes:
        failures: guesses counted (reserved) since ``since``.
        since: the start of the counting window; None when nothing is counted.
        blocked_until: guesses are refused until then.
        blocks: how many times the key was blocked in a row (the next block lasts longer).
    """

    failures: int = 0
    since: datetime | None = None
    blocked_until: datetime | None = None
    blocks: int = 0

    def blocked(self, now: datetime) -> datetime | None:
        """Until when guesses are refused, or None."""
        until = self.blocked_until
        return until if until is not None and until > now else None


class ThrottleRepository(Protocol):
    """Counters by key, read and written under a lock held until the unit of work ends."""

    async def hold(self, key: str, *, now: datetime) -> Counter:
        """The key's counter (a fresh one when there is none), locked against other units of work
        until this one ends."""

    async def put(self, key: str, counter: Counter, *, now: datetime) -> None:
        """Store the key's counter."""

    async def purge(self, *, before: datetime) -> int:
        """Delete counters neither blocked nor counting since ``before``; how many."""


@dataclass(frozen=True, slots=True)
class Limit:
    """How many failures a key may have in a window, and how long it is then blocked.

    Attributes:
        max_failures: failures counted in ``window`` before the key is blocked.
        window: how long failures are counted.
        first_block: the first block; each block in a row lasts twice the one before.
        longest_block: the cap of the growing block.
    """

    max_failures: int
    window: timedelta
    first_block: timedelta
    longest_block: timedelta

    def reserve(self, counter: Counter, now: datetime) -> tuple[Counter, int]:
        """Count one guess (not blocked: check ``Counter.blocked`` first). Returns the new counter and
        the guess's number in the window; the guess that reaches the limit blocks the key."""
        blocks = counter.blocks
        if counter.blocked_until is not None and now >= counter.blocked_until + FORGET_AFTER:
            blocks = 0
        failures, since = counter.failures, counter.since
        if since is None or now - since >= self.window:
            failures, since = 0, now
        failures += 1
        if failures >= self.max_failures:
            block = min(self.first_block * (2 ** min(blocks, 32)), self.longest_block)
            return Counter(0, None, now + block, blocks + 1), failures
        return Counter(failures, since, counter.blocked_until, blocks), failures

    def forgive(self, counter: Counter, number: int, now: datetime, *, earlier: bool) -> Counter:
        """Take back a guess that turned out right: its own count (``number`` is what ``reserve``
        returned), and with ``earlier`` the failures before it too, as a success ends a run of
        mistakes. A block is never lifted: guesses that raced past the limit keep it."""
        if counter.blocked(now) is not None:
            return counter
        left = max(0, counter.failures - (number if earlier else 1))
        if left == 0 and earlier:
            return Counter()
        return replace(counter, failures=left, since=counter.since if left else None)


class Keys:
    """Keyed hashes of what guesses are attributed to.

    Args:
        secret: the installation's secret key.
        purpose: what the counters are for; keys of one purpose mean nothing in another.
    """

    def __init__(self, secret: bytes, purpose: str) -> None:
        self._key = derive_key(secret, f"yimen throttle {purpose}".encode())

    def of(self, *parts: str) -> str:
        return keyed_hash(self._key, *parts)

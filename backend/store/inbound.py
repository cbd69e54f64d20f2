"""Turns of one resident in order, whichever process takes each of their messages."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class InboundOrder(Protocol):
    """One identity's turns one at a time and in arrival order, across processes.

    A store that only one process uses at a time (SQLite, whose units of work each take its
    single write lock) needs none of it: ``shared`` is False and ``serialise`` does nothing.
    """

    @property
    def shared(self) -> bool:
        """Whether several processes may run turns on this store at once."""

    async def serialise(self, channel: str, external_id: str) -> None:
        """Wait until no other unit of work runs a turn of this identity; held until this one ends."""

    async def arrive(self, channel: str, external_id: str, inbound_id: int, *, now: datetime) -> None:
        """Record that the message reached a process (the caller commits)."""

    async def earlier_waiting(self, channel: str, external_id: str, inbound_id: int, *,
                              patience_since: datetime) -> bool:
        """Whether an earlier message of the identity, arrived after ``patience_since``, is not done."""

    async def missing_before(self, channel: str, inbound_id: int, window: int) -> bool:
        """Whether any of the channel's ``window`` message numbers just before ``inbound_id`` (any
        identity's) has not arrived yet, counting from the lowest on record among them: numbers
        below the first ever recorded were never this store's to see."""

    async def settle(self, channel: str, external_id: str, inbound_id: int) -> None:
        """Mark the message done without a turn (the caller commits)."""

    async def take(self, channel: str, external_id: str, inbound_id: int, *, now: datetime) -> bool:
        """Whether the message's turn is to run (it is marked done, in the caller's unit of work):
        True for one newer than any handled, and for one recorded as arrived and not done yet (it
        reached its process after a later one's turn had begun); False for one handled before."""

"""The outbox: messages queued in the transaction that decided them, sent by the dispatcher."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    resident_id: str | None  # None for a message to a member of staff
    channel: str
    address: str
    kind: str  # "message", "edit" or "document"
    payload: dict[str, Any]
    status: str  # pending, sent, held (resident unreachable), failed
    attempts: int
    not_before: datetime | None
    created_at: datetime
    provider_message_id: str | None


@dataclass(frozen=True, slots=True)
class Lease:
    """Who takes the items it is given, and for how long no other sender may take them.

    On a database server a lease counts only while its owner is alive: a running sender holds
    its presence (``presence_name``), and the leases of an owner that holds none (a process that
    died) are free at once, whatever their time says.
    """

    owner: str
    duration: timedelta = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class NewItem:
    """An item to queue (``OutboxRepository.add_many``); ``priority`` as ``add`` takes it."""

    resident_id: str | None
    channel: str
    address: str
    kind: str
    payload: dict[str, object]
    priority: int = 0


# The presence a running sender holds (see Store.presence), named after the owner it leases as.
PRESENCE_PREFIX = "outbox-sender:"


def presence_name(owner: str) -> str:
    """The name of the presence of a sender that leases as ``owner``."""
    return PRESENCE_PREFIX + owner


class OutboxRepository(Protocol):
    async def add(
        self,
        *,
        resident_id: str | None,
        channel: str,
        address: str,
        kind: str,
        payload: dict[str, object],
        at: datetime,
        priority: int = 0,
    ) -> int:
        """Queue an item; ``priority`` 0 (a reply), 1 (a status update) or 2 (a broadcast), lower first."""

    async def add_many(self, items: Sequence[NewItem], *, at: datetime) -> list[int]:
        """Queue several items at once (a dispatcher's pass); their ids, in the order given, which is
        also the order they are sent in (within a priority)."""

    async def due(
        self,
        channel: str,
        *,
        now: datetime,
        limit: int = 100,
        lease: Lease | None = None,
        addresses: list[str] | None = None,
        hold: bool = True,
    ) -> list[OutboxItem]:
        """Pending items whose time has come, oldest first; with a ``lease``, leased to its owner, and
        without the addresses another owner holds; with ``addresses``, only theirs. With ``hold``
        false nothing is leased: the caller marks the items in the same unit of work."""

    async def get(self, item_id: int) -> OutboxItem | None: ...

    async def live_prompt(self, channel: str, address: str) -> OutboxItem | None:
        """The message whose buttons are live for this identity (its active prompt), or None."""

    async def get_many(self, item_ids: list[int]) -> dict[int, OutboxItem]:
        """The items that exist among ``item_ids``, by id."""

    async def mark_sent(self, sent: Mapping[int, str | None], *, at: datetime) -> None:
        """Mark items Telegram (or another provider) accepted: item id -> the provider's message id."""

    async def postpone(self, item_id: int, *, not_before: datetime, attempts: int) -> None: ...

    async def mark_failed(self, item_id: int, *, at: datetime) -> None: ...

    async def hold(self, channel: str, address: str) -> None:
        """Keep the address's pending items back (the resident cannot be reached)."""

    async def release(self, channel: str, address: str) -> None:
        """Send the held items after all (the resident wrote again)."""

    async def recent(self, channel: str, address: str, *, limit: int, after: int | None = None) -> list[OutboxItem]:
        """The address's newest ``limit`` items of every kind and status (with ``after``, of those
        newer than that item), oldest first."""

    async def forget_before(self, channel: str, address: str, before_id: int, *, keep: int | None = None) -> None:
        """Delete the address's items older than ``before_id``, except ``keep``."""

    async def withdraw(self, item_id: int) -> bool:
        """Delete the item if it is still pending (no one has seen it); whether it was."""

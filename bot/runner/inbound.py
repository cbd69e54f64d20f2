"""A channel's message handled once: by an increasing id, or by a key remembered for good."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta

from backend.cases.ports import StoredResponse
from backend.ports import Store, UnitOfWork

# What a key of a handled message is stored as; nothing of the message itself is kept.
_HANDLED = StoredResponse(request_hash="", status=200, body={})
# How long a message waits for an earlier one of the same identity to be done. Longer than any
# turn; past it the earlier one is taken as lost with its process (whose queue died with it).
PATIENCE = timedelta(seconds=15)
# Waits are polled, first soon (an earlier message of another process is usually recorded or
# done within milliseconds), then less often.
_FIRST_POLL, _LAST_POLL = 0.002, 0.02


def _polls() -> Iterator[float]:
    delay = _FIRST_POLL
    while True:
        yield delay
        delay = min(delay * 2, _LAST_POLL)


async def begin_turn(uow: UnitOfWork, channel: str, external_id: str, inbound_id: int | str | None) -> None:
    """What comes first in a turn's unit of work: its place in line among the identity's turns.

    On a store several processes share, two messages of one resident can reach two processes
    (webhooks over parallel connections behind a load balancer). Numbered messages (Telegram's
    update ids) are recorded as they reach a process (``arrived``), and a message waits while an
    earlier one of the same identity is not done: the turns keep the order the arrivals were
    recorded in. Then the identity's lock is taken, so two turns of one resident never overlap,
    whichever processes run them.

    A single-process store (SQLite) skips all this: its units of work already take turns, and
    each process orders a chat's updates itself (``ChatOrderedProcessor``, ``KeyedLocks``).
    """
    if isinstance(inbound_id, int) and uow.inbound.shared:
        await _wait_for_earlier(uow, channel, external_id, inbound_id)
    await uow.inbound.serialise(channel, external_id)


async def arrived(database: Store[UnitOfWork], channel: str, external_id: str, inbound_id: int) -> None:
    """A numbered message reached this process, before it queues for its turn behind the chat's
    earlier ones: recorded at once, so that a later message of the chat in another process waits
    for it (``begin_turn``). Nothing on a single-process store."""
    if not database.shared:
        return
    async with database.unit_of_work() as uow:
        await uow.inbound.arrive(channel, external_id, inbound_id, now=datetime.now(UTC))
        await uow.commit()


async def arrive_in_order(database: Store[UnitOfWork], channel: str, external_id: str, inbound_id: int, *,
                          window: int = 0, gap_patience: float = 0.0) -> None:
    """A numbered message reached this process: record its arrival (at once, so that a later
    message of the identity in another process waits for it), then return once no earlier message
    of the identity is waiting (or after ``PATIENCE``). The wait of ``begin_turn``, done by the
    channel before the turn, where it holds up this chat alone rather than a slot for turns that
    other chats need. Nothing on a single-process store.

    Args:
        window: where messages are numbered across identities without gaps (Telegram's update
            ids) and at most ``window`` of them are out at once, first wait until the ``window``
            numbers before this one have all arrived somewhere: one of them may be this identity's
            earlier message, still on its way to another process (or not yet recorded by this
            one). 0: no such wait.
        gap_patience: how long a gap is waited for (seconds); past it the missing number is taken
            as one that never comes (dropped by the platform, or lost in a connection that failed:
            then redelivered, and answered late rather than lost, see ``accept_inbound``).
    """
    if not database.shared:
        return
    async with database.unit_of_work() as uow:
        await uow.inbound.arrive(channel, external_id, inbound_id, now=datetime.now(UTC))
        await uow.commit()
        if window:
            await _wait_while(uow, lambda: uow.inbound.missing_before(channel, inbound_id, window), gap_patience)
        await _wait_for_earlier(uow, channel, external_id, inbound_id)


async def settled(database: Store[UnitOfWork], channel: str, external_id: str, inbound_id: int) -> None:
    """The process is done with a message recorded by ``arrived``, whether a turn took it or not
    (a staff member's message, an update no turn reads): later ones need not wait for it."""
    if not database.shared:
        return
    async with database.unit_of_work() as uow:
        await uow.inbound.settle(channel, external_id, inbound_id)
        await uow.commit()


async def _wait_for_earlier(uow: UnitOfWork, channel: str, external_id: str, inbound_id: int) -> None:
    # Arrivals are real-world events: timed by the wall clock, whatever clock the turns run on.
    await _wait_while(uow, lambda: uow.inbound.earlier_waiting(
        channel, external_id, inbound_id, patience_since=datetime.now(UTC) - PATIENCE), PATIENCE.total_seconds())


async def _wait_while(uow: UnitOfWork, waiting: Callable[[], Awaitable[bool]], seconds: float) -> None:
    """Poll ``waiting`` until it says False, or for ``seconds`` at most; no transaction stays open
    between polls. Polled, not waited on: what is waited for may be another process's, which may
    not even have reached its turn's lock."""
    give_up = time.monotonic() + seconds
    for delay in _polls():
        if not await waiting():
            return
        await uow.commit()
        if time.monotonic() >= give_up:
            return
        await asyncio.sleep(delay)


async def accept_inbound(uow: UnitOfWork, channel: str, external_id: str, inbound_id: int | str, now: datetime
                         ) -> bool:
    """Whether the message is new (and now marked handled, in the turn's unit of work).

    Args:
        inbound_id: an int, the channel's increasing ids (Telegram's update ids), kept as a cursor
            per identity; a str, a key the channel repeats when it delivers a message again
            (WeChat's ``MsgId``, or sender and time of an event), kept in the idempotency store.
    """
    if isinstance(inbound_id, int):
        if uow.inbound.shared:  # the arrival records tell a redelivery from a late arrival
            return await uow.inbound.take(channel, external_id, inbound_id, now=datetime.now(UTC))
        return await uow.residents.accept_inbound(channel, external_id, inbound_id)
    # A retry arriving meanwhile waits for this turn's outcome on the key's unique index.
    return await uow.idempotency.put_new(_owner(channel), inbound_id, _HANDLED, at=now)


async def handled(uow: UnitOfWork, channel: str, key: str) -> bool:
    """Whether a turn has taken the message with this key (a read; ``accept_inbound`` records it)."""
    return await uow.idempotency.get(_owner(channel), key) is not None


def _owner(channel: str) -> str:
    return f"inbound:{channel}"

"""The polling loop every channel's sender runs over its outbox, and the base class those senders share.

A pass sends what is due; when a pass found nothing, the loop waits for a wake-up (something was
queued in this process) or the poll interval (something queued by another process), whichever
comes first. On stop it makes one last, short pass so that what the last turns queued goes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from backend.ports import OutboxItem, UnitOfWork
from backend.store.base import Store
from backend.store.outbox import presence_name

SHUTDOWN_PASS_SECONDS = 5
# How often a busy sender makes sure the others still know it alive (a round trip each time): a
# lost presence is noticed within this long.
CONFIRM_SECONDS = 0.5


def sender_owner(channel: str, instance: str | None = None) -> str:
    """The name a channel's sender leases outbox items under.

    ``instance`` names the process for good (``Config.instance_name``: ``YIMEN_INSTANCE``, or the
    host name and the HTTP port), so that a process started again after a crash takes back its
    predecessor's leases at once, as its own. Without one, a name of this process alone.
    """
    if instance:
        return f"{instance}:{channel}"
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}:{channel}"


@dataclass(frozen=True, slots=True)
class Present:
    """A sender known to the others by ``owner``; ``confirm`` says whether it still is."""

    owner: str
    confirm: Callable[[], Awaitable[bool]]


@contextlib.asynccontextmanager
async def present(database: Store[UnitOfWork], owner: str, log: logging.Logger) -> AsyncIterator[Present]:
    """Hold the sender's presence while it runs; yields the owner to lease as.

    The presence tells other processes this sender is alive (see ``Lease``). A name a live
    process holds already (two processes given one ``YIMEN_INSTANCE``) is not shared: this one
    leases under a name of its own instead, so that no item is ever leased to both.
    """
    async with database.presence(presence_name(owner)) as held:
        if held:
            yield Present(owner, held.confirm)
            return
    unique = f"{owner}:{uuid4().hex[:8]}"
    log.warning("another live process sends as this instance; sending under a name of its own")
    async with database.presence(presence_name(unique)) as held:
        yield Present(unique, held.confirm)


class AtMostEvery:
    """``check``, asked again only ``seconds`` after it last said True (at once after a False)."""

    def __init__(self, seconds: float, check: Callable[[], Awaitable[bool]]) -> None:
        self._seconds = seconds
        self._check = check
        self._at = float("-inf")
        self._answer = False

    async def __call__(self) -> bool:
        now = time.monotonic()
        if not self._answer or now - self._at >= self._seconds:
            self._answer, self._at = await self._check(), now
        return self._answer


async def poll_outbox(drain_once: Callable[[], Awaitable[int]], wake: asyncio.Event, stop: asyncio.Event, *,
                      idle_poll: float, log: logging.Logger,
                      present: Callable[[], Awaitable[bool]] | None = None) -> None:
    """Run ``drain_once`` until ``stop`` is set, then once more, briefly.

    ``present``, asked before each pass: whether the others still know this sender alive. While
    they do not (the connection holding its presence was lost), its leases look free to them and
    they may be sending its items: it makes no pass until it is present again.
    """
    while not stop.is_set():
        wake.clear()
        try:
            sent = await drain_once() if present is None or await present() else 0
        except Exception:  # the database or the network is away; try again shortly
            log.exception("outbox pass failed")
            sent = 0
        if sent == 0:
            waker = asyncio.ensure_future(wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waker, stopper}, timeout=idle_poll, return_when=asyncio.FIRST_COMPLETED)
            waker.cancel()
            stopper.cancel()
    try:
        await asyncio.wait_for(drain_once(), timeout=SHUTDOWN_PASS_SECONDS)
    except Exception:  # a timeout included: what is left goes at the next start
        log.warning("outbox not fully drained at shutdown; the rest goes at the next start")


class PollingSender(ABC):
    """What every channel's sender shares: its settings of leasing and giving up, woken when
    something is queued here, and run as a present owner over the polling loop; a channel's own
    is its pass (``drain_once``)."""

    def __init__(
        self,
        database: Store[UnitOfWork],
        *,
        channel: str,
        clock: Callable[[], datetime],
        max_attempts: int,
        idle_poll: float,
        lease: timedelta,
        owner: str | None,
        on_give_up: Callable[[OutboxItem], Awaitable[None]] | None,
        log: logging.Logger,
    ) -> None:
        """The settings of one channel's sender.

        Args:
            database: the store whose outbox it drains.
            channel: the outbox channel, which names the sender when ``owner`` does not.
            clock: now, for leases and retries.
            max_attempts: sends of one item before it is given up.
            idle_poll: seconds between passes while nothing is woken.
            lease: how long the items of one pass are this sender's.
            owner: the name to lease under (``sender_owner``); None: a name of this process alone.
            on_give_up: told of each item given up.
            log: the channel's logger.
        """
        self.database = database
        self.clock = clock
        self.max_attempts = max_attempts
        self.idle_poll = idle_poll
        # Senders of several processes share the outbox by leasing its items (see OutboxRepository.due);
        # ``run`` may change the name (see ``present``).
        self.owner = owner or sender_owner(channel)
        self.lease = lease
        # Told of each item given up (caseworkers are alerted: a resident did not get a message).
        self.on_give_up = on_give_up
        self._log = log
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set, then finish what is due (briefly) and return."""
        async with present(self.database, self.owner, self._log) as presence:
            self.owner = presence.owner
            await poll_outbox(self.drain_once, self._wake, stop, idle_poll=self.idle_poll, log=self._log,
                              present=AtMostEvery(CONFIRM_SECONDS, presence.confirm))

    @abstractmethod
    async def drain_once(self) -> int:
        """One pass over what is due; returns how many items went out."""

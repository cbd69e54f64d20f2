"""Updates of one chat strictly in order, different chats at the same time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)
# Told of an update of a chat (its id as text, the update id) as it arrives, and when it is done.
Arrivals = Callable[[str, int], Awaitable[None]]


class _ChatLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class ChatOrderedProcessor(BaseUpdateProcessor):
    """One lock per chat with updates in flight; a chat's lock goes when its last update is done.

    asyncio locks wake waiters first-in first-out and updates reach this processor in the
    order they were fetched, so a chat's updates run in order. The table holds only chats
    with work in hand, so it cannot grow without bound.

    Across processes (a database server, webhooks behind a load balancer) the database orders a
    chat's updates: ``ready`` records each update as it reaches this process and returns once the
    chat's earlier updates, wherever they went, are done (bot/runner/inbound.py), and ``settled``
    says this one is done, whether or not a turn took it. ``ready`` is awaited before the chat's
    lock here is asked for: an earlier update sent again to this process (the process it first
    reached died) must not queue behind a later one that is waiting for it.
    """

    def __init__(self, max_concurrent_updates: int = 512, *, ready: Arrivals | None = None,
                 settled: Arrivals | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, _ChatLock] = {}
        self._ready = ready
        self._settled = settled

    @property
    def chats_in_flight(self) -> int:
        return len(self._locks)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        key = chat.id if chat is not None else 0
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = _ChatLock()
        entry.users += 1
        # An update without a chat is recorded too (under no identity): a later update may be
        # looking for its number among those that arrived.
        numbered = (str(chat.id) if chat is not None else "", update.update_id) if isinstance(update, Update) else None
        try:
            if self._ready is not None and numbered is not None:
                await self._ready(*numbered)
            async with entry.lock:
                await coroutine
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[key]
            if self._settled is not None and numbered is not None:
                await self._settle(numbered)

    async def _settle(self, numbered: tuple[str, int]) -> None:
        try:
            await self._settled(*numbered)  # type: ignore[misc]  # checked by the caller
        except Exception:  # noqa: BLE001 - a later update then waits out its patience, no more
            log.warning("an update's arrival record could not be closed", exc_info=True)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

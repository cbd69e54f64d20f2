"""One lock per key (a browser, a chat, a follower) held only while someone uses it.

A resident's turns must not overlap: two quick posts from one browser, or WeChat's retry of a push
still being answered, would otherwise run two turns over one session. A lock per key is made on
first use and dropped when its last user is done, so the table stays as small as the work in hand.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class KeyedLocks:
    def __init__(self) -> None:
        self._held: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._held.get(key, (asyncio.Lock(), 0))
        self._held[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._held[key]
            if users == 1:
                del self._held[key]
            else:
                self._held[key] = (lock, users - 1)

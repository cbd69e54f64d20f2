"""Telegram's flood limits as token buckets: about one message a second per chat with short
bursts, thirty a second in all (``telegram.constants.FloodLimit``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from telegram.constants import FloodLimit


class TokenBucket:
    """``capacity`` sends at once, refilled at ``rate`` a second."""

    __slots__ = ("capacity", "rate", "tokens", "stamp", "clock")

    def __init__(self, capacity: float, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity, self.rate, self.clock = capacity, rate, clock
        self.tokens = capacity
        self.stamp = clock()

    def wait(self) -> float:
        """Seconds until a send is allowed, taking the token when it is allowed now."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    @property
    def full(self) -> bool:
        return self.tokens + (self.clock() - self.stamp) * self.rate >= self.capacity


class FloodLimits:
    """Waits as long as needed before each send to a chat.

    The buckets are a little stricter than the limits they keep (one burst less, 3% slower):
    requests arrive at Telegram a moment after they leave, and a 429 costs far more than the
    margin. A broadcast still goes at 97% of the 30 messages a second.
    """

    MARGIN = 0.97

    def __init__(
        self,
        *,
        per_chat_burst: float = 3,
        per_chat_rate: float = FloodLimit.MESSAGES_PER_SECOND_PER_CHAT,
        overall_rate: float = FloodLimit.MESSAGES_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._chat_burst = max(1.0, per_chat_burst - 1)
        self._chat_rate = per_chat_rate * self.MARGIN
        self._clock = clock
        self._overall = TokenBucket(max(1.0, overall_rate - 1), overall_rate * self.MARGIN, clock)
        self._chats: dict[str, TokenBucket] = {}

    @property
    def overall_rate(self) -> float:
        """Messages a second this sender keeps to in all (its margin included)."""
        return self._overall.rate

    async def acquire(self, chat: str) -> None:
        bucket = self._chats.get(chat)
        if bucket is None:
            self._prune()
            bucket = self._chats[chat] = TokenBucket(self._chat_burst, self._chat_rate, self._clock)
        while (delay := bucket.wait()) > 0:
            await asyncio.sleep(delay)
        while (delay := self._overall.wait()) > 0:
            await asyncio.sleep(delay)

    def _prune(self) -> None:
        # A full bucket is the same as no bucket: forget it, so the table stays small.
        if len(self._chats) > 1000:
            for chat in [c for c, b in self._chats.items() if b.full]:
                del self._chats[chat]

"""Flood limits: token buckets per chat and overall, as Telegram enforces them on sends and edits."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tests.fakes.telegram_api.errors import ApiError


@dataclass
class _Bucket:
    """A token bucket for flood limits."""

    capacity: float
    rate: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last look."""
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)

    def wait(self) -> float:
        """Seconds until one token is available."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass(frozen=True)
class FloodRates:
    """The limits in force for one call: burst and refill per second, per chat and overall."""

    chat_burst: float
    chat_rate: float
    global_burst: float
    global_rate: float


class FloodLimiter:
    """The per-chat and global buckets; a call without a token in both gets 429 and a line in `violations`."""

    def __init__(self) -> None:
        self._chat_buckets: dict[int, _Bucket] = {}
        self._global_bucket: _Bucket | None = None

    def take(self, chat_id: int, method: str, now: float, rates: FloodRates, violations: list[str]) -> None:
        """Spend one per-chat and one global token, or raise 429 and record the violation."""
        bucket = self._chat_buckets.get(chat_id)
        if bucket is None:
            bucket = self._chat_buckets[chat_id] = _Bucket(rates.chat_burst, rates.chat_rate, rates.chat_burst, now)
        if self._global_bucket is None:
            self._global_bucket = _Bucket(rates.global_burst, rates.global_rate, rates.global_burst, now)
        overall = self._global_bucket
        bucket.refill(now)
        overall.refill(now)
        if bucket.tokens >= 1 and overall.tokens >= 1:
            bucket.tokens -= 1
            overall.tokens -= 1
            return
        retry_after = max(1, math.ceil(max(bucket.wait(), overall.wait()) - 1e-9))
        limits = []
        if bucket.tokens < 1:
            limits.append(f"{rates.chat_rate:g}/s per chat (burst {rates.chat_burst:g})")
        if overall.tokens < 1:
            limits.append(f"{rates.global_rate:g}/s overall (burst {rates.global_burst:g})")
        violations.append(
            f"{method} to chat {chat_id} at t={now:.3f} exceeded {' and '.join(limits)}; retry after {retry_after}s"
        )
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

"""Fault injection: the faults queued for the next calls of a method and the random ones."""

from __future__ import annotations

import random
from dataclasses import dataclass

_ERROR_KINDS = ("429", "500", "502", "403", "drop", "drop_after", "slow")


@dataclass
class _Fault:
    """A queued fault for the next calls of one method."""

    kind: str
    times: int
    retry_after: int


class FaultPlan:
    """Which calls fail and how: queued faults per method first, then a seeded random share."""

    def __init__(self) -> None:
        self._faults_next: dict[str, list[_Fault]] = {}
        self._fail_rate = 0.0
        self._fail_methods: set[str] | None = None
        self._fail_kinds: tuple[str, ...] = ()
        self._fail_retry_after = 1
        self._rng = random.Random(0)

    def fail(self, rate: float, methods: set[str] | None, kinds: tuple[str, ...], retry_after: int, seed: int) -> None:
        """Fail a random `rate` of calls (to `methods`, or all) with one of `kinds`, drawn from a `seed`."""
        unknown = set(kinds) - set(_ERROR_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {_ERROR_KINDS}")
        self._fail_rate = rate
        self._fail_methods = {method.lower() for method in methods} if methods is not None else None
        self._fail_kinds = tuple(kinds)
        self._fail_retry_after = retry_after
        self._rng = random.Random(seed)

    def fail_next(self, method: str, kind: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Fail the next `times` calls of `method` with `kind`: 429 500 502 403 drop drop_after slow."""
        if kind not in _ERROR_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {_ERROR_KINDS}")
        self._faults_next.setdefault(method.lower(), []).append(_Fault(kind, times, retry_after))

    def clear(self) -> None:
        """Forget all queued and random faults."""
        self._faults_next.clear()
        self._fail_rate = 0.0
        self._fail_methods = None

    def pick(self, method: str) -> tuple[str, int] | None:
        """The fault for this call, if any, and its retry_after."""
        queued = self._faults_next.get(method.lower())
        if queued:
            fault = queued[0]
            fault.times -= 1
            if fault.times <= 0:
                queued.pop(0)
            return fault.kind, fault.retry_after
        if self._fail_rate > 0 and (self._fail_methods is None or method.lower() in self._fail_methods):
            if self._rng.random() < self._fail_rate:
                return self._rng.choice(self._fail_kinds), self._fail_retry_after
        return None

"""Faults the emulator's API answers with: planned ones first, then a share at random."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass
class _Planned:
    outcome: int | str
    times: int
    path: str | None


class FaultPlan:
    def __init__(self, seed: int = 7) -> None:
        self._planned: list[_Planned] = []
        self._random = random.Random(seed)
        self.rate = 0.0
        # What a random fault is: -1 (system busy) or a dropped connection.
        self.random_outcomes: tuple[int | str, ...] = (-1, "drop")

    def fail_next(self, outcome: int | str, times: int = 1, path: str | None = None) -> None:
        self._planned.append(_Planned(outcome, times, path))

    def clear(self) -> None:
        """Forget the planned faults not yet taken."""
        self._planned.clear()

    def take(self, path: str) -> int | str | None:
        """The fault for a call to ``path``, or None."""
        for planned in self._planned:
            if planned.path is None or planned.path in path:
                planned.times -= 1
                if planned.times <= 0:
                    self._planned.remove(planned)
                return planned.outcome
        if path.endswith("/token") or self.rate <= 0:
            return None
        if self._random.random() < self.rate:
            return self._random.choice(self.random_outcomes)
        return None

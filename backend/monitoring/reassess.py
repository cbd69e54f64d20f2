"""Households assessed again after their events: before and after, today, under the pack's rules.

This is the CPU-heavy part of trigger evaluation, and it needs no database: the households'
facts go in as JSON and verdicts come out. So a large evaluation hands it to worker processes
(:class:`Assessors`) while the database reads the next households and writes the last ones;
a small one runs it in the process, where starting workers would cost more than it saves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from backend.monitoring.workers import Workers, done
from backend.policy.assess import assess
from backend.policy.codes import SEVERITY, Layer
from backend.policy.errors import UnknownRegion
from backend.policy.household import Household
from backend.policy.outcome import Assessment
from backend.policy.pack import Pack, load_pack


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a household stood when it was last assessed: layer, resilience level, hardship types."""

    layer: str
    resilience_level: int
    types: tuple[str, ...]

    @classmethod
    def of(cls, assessment: Assessment) -> Standing:
        return cls(assessment.layer.value, assessment.resilience.level, tuple(t.value for t in assessment.types))


@dataclass(frozen=True, slots=True)
class Change:
    """A household's facts before and after its events were applied.

    ``standing``: the assessment of ``before`` as stored, when it was made under the parameters
    in force today; it is then what ``before`` assesses to, and ``before`` is assessed again only
    for the trace of a household that worsened.
    """

    household_id: int
    before: dict[str, Any]
    after: dict[str, Any]
    standing: Standing | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """A changed household assessed: its new facts and standing, and what got worse.

    ``error`` (the gist, without personal data) when its facts could not be assessed.
    """

    household_id: int
    household: dict[str, Any] | None = None
    layer: str = ""
    resilience_level: int = 0
    types: tuple[str, ...] = ()
    worsened: tuple[str, ...] = ()
    # before, after, worsened, new_types and the assessment's trace; only when something worsened.
    trace: dict[str, Any] | None = None
    error: str | None = None


def assess_changes(pack: Pack, on: date, changes: Sequence[Change]) -> list[Verdict]:
    """Assess each household before and after its change, with the parameters in force on ``on``."""
    verdicts = []
    for change in changes:
        try:
            household = Household.model_validate(change.after)
            after = assess(household, on, pack)
            if change.standing is not None:
                worse = worsened(change.standing, after)
                before = assess(Household.model_validate(change.before), on, pack) if worse else None
            else:
                before = assess(Household.model_validate(change.before), on, pack)
                worse = worsened(Standing.of(before), after)
        except (ValidationError, UnknownRegion) as error:
            verdicts.append(Verdict(change.household_id, error=_why(error)))
            continue
        verdicts.append(Verdict(
            change.household_id,
            household=household.model_dump(mode="json"),
            layer=after.layer.value,
            resilience_level=after.resilience.level,
            types=tuple(t.value for t in after.types),
            worsened=worse,
            trace=_trace(before, after, worse) if worse and before is not None else None,
        ))
    return verdicts


def worsened(before: Standing, after: Assessment) -> tuple[str, ...]:
    """What got worse: the layer (more severe), the resilience level (weaker), new hardship types."""
    worse = []
    if SEVERITY[after.layer] < SEVERITY[Layer(before.layer)]:
        worse.append("layer")
    if after.resilience.level < before.resilience_level:
        worse.append("resilience_level")
    if {t.value for t in after.types} - set(before.types):
        worse.append("types")
    return tuple(worse)


def _snapshot(assessment: Assessment) -> dict[str, Any]:
    return {
        "layer": assessment.layer.value,
        "resilience_level": assessment.resilience.level,
        "resilience_total": str(assessment.resilience.total),
        "types": [t.value for t in assessment.types],
        "benefit_estimate": str(assessment.benefit_estimate),
    }


def _trace(before: Assessment, after: Assessment, worse: Sequence[str]) -> dict[str, Any]:
    return {
        "before": _snapshot(before),
        "after": _snapshot(after),
        "worsened": list(worse),
        "new_types": [t.value for t in after.types if t not in before.types],
        "assessment": after.as_json()["trace"],
    }


def _why(error: Exception) -> str:
    """An error's gist without the values that caused it (they are personal data)."""
    if isinstance(error, ValidationError):
        return "invalid " + ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors(include_input=False))
    return str(error)


# ---------------------------------------------------------------------------- worker processes

_worker_pack: Pack | None = None


def _load_pack(name: str, root: str) -> None:
    global _worker_pack
    _worker_pack = load_pack(name, Path(root))


def _ready() -> None:
    """A worker's first task, so that it starts before there is work for it."""


def _assess_in_worker(on: date, changes: Sequence[Change]) -> list[Verdict]:
    assert _worker_pack is not None, "the worker's initializer loads the pack"
    return assess_changes(_worker_pack, on, changes)


class Assessors:
    """Assess batches in the process, or in ``processes`` worker processes that load the pack
    from its directory (so a pack changed only in memory must be assessed in the process)."""

    def __init__(self, pack: Pack, on: date, processes: int = 0) -> None:
        self._pack, self._on = pack, on
        self.processes = processes
        self._workers = Workers(processes, _load_pack, (pack.name, str(pack.directory.parent))) if processes else None
        # Each worker starts (and loads the pack) at its first task: give them one now.
        for _ in range(processes):
            self._workers.submit(_ready)

    def submit(self, changes: Sequence[Change]) -> asyncio.Future[list[Verdict]]:
        """The verdicts of ``changes``, in their order, when they are ready."""
        if self._workers is None:
            return done(assess_changes(self._pack, self._on, changes))
        return self._workers.submit(_assess_in_worker, self._on, list(changes))

    def close(self) -> None:
        if self._workers is not None:
            self._workers.close()
            self._workers = None

"""Households replayed and assessed again after their events: before and after, today, under the
pack's rules.

This is the CPU-heavy part of trigger evaluation, and it needs no database: the households'
stored facts and events go in, and what is to be written comes out, the new facts already as
JSON text. So a large evaluation hands it to worker processes (:class:`Assessors`) while the
database reads the next households and writes the last ones; a small one runs it in the
process, where starting workers would cost more than it saves.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from pydantic import ValidationError

from backend.monitoring.records import FeedEvent
from backend.monitoring.replay import Firing, Pending, Rules, replay
from backend.monitoring.workers import Workers, done
from backend.policy.assess import assess
from backend.policy.codes import SEVERITY, Layer
from backend.policy.errors import UnknownRegion
from backend.policy.household import Household
from backend.policy.outcome import Assessment
from backend.policy.pack import Pack, load_pack


# Not slotted: it is pickled for worker processes, which slots make 2-3 times slower.
@dataclass(frozen=True)
class Standing:
    """Where a household stood when it was last assessed: layer, resilience level, hardship types."""

    layer: str
    resilience_level: int
    types: tuple[str, ...]

    @classmethod
    def of(cls, assessment: Assessment) -> Standing:
        return cls(assessment.layer.value, assessment.resilience.level, tuple(t.value for t in assessment.types))


# Not slotted: it is pickled for worker processes, which slots make 2-3 times slower.
@dataclass(frozen=True)
class Outcome:
    """A household some rule fired for, replayed and assessed: what is written, and what got worse.

    ``error`` (the gist, without personal data) when its facts could not be assessed; nothing
    is then written for it.
    """

    household_id: int
    firings: tuple[Firing, ...]  # in the pack's order of rules
    household_json: str = ""  # the new facts
    monthly_income: Decimal = Decimal(0)
    layer: str = ""
    resilience_level: int = 0
    types: tuple[str, ...] = ()
    assessed_at: datetime | None = None  # not before the applied events were imported
    # Person id → member index, when a death changed the indexes.
    members: dict[int, int] = field(default_factory=dict)
    worsened: tuple[str, ...] = ()
    # before, after, worsened, new_types, the applied events and the assessment's trace, as JSON
    # text (read back, a trace costs the process more than all else of its outcome); only when
    # something worsened.
    trace_json: str | None = None
    error: str | None = None


def reassess(pack: Pack, on: date, now: datetime, rules: Rules,
             batch: Sequence[tuple[Pending, Standing | None]]) -> list[Outcome]:
    """Replay each household's events; assess those some rule fired for, with the parameters in
    force on ``on``, after the events and (unless ``standing`` says it) before them.

    ``standing``: the household's stored assessment, when it was made under the parameters in
    force on ``on``; the facts before are then assessed again only for the trace of a household
    that worsened.
    """
    outcomes = []
    for pending, standing in batch:
        replayed = replay(rules, pending)
        if replayed is None:
            continue
        firings, state = tuple(replayed.firings), replayed.state
        try:
            household = Household.model_validate(state.data)
            after = assess(household, on, pack)
            if standing is not None:
                worse = worsened(standing, after)
                before = _assess_json(pending.household_json, on, pack) if worse else None
            else:
                before = _assess_json(pending.household_json, on, pack)
                worse = worsened(Standing.of(before), after)
        except (ValidationError, UnknownRegion) as error:
            outcomes.append(Outcome(pending.household_id, firings, error=_why(error)))
            continue
        trace = json.dumps(_trace(before, after, worse, pending.events)) if worse and before is not None else None
        outcomes.append(Outcome(
            pending.household_id,
            firings,
            household_json=household.model_dump_json(),
            monthly_income=state.income(),
            layer=after.layer.value,
            resilience_level=after.resilience.level,
            types=tuple(t.value for t in after.types),
            # Not before the events it applied were imported: those are then never applied twice.
            assessed_at=max([now, *(e.imported_at for e in pending.events)]),
            members=state.members if state.moved else {},
            worsened=worse,
            trace_json=trace,
        ))
    return outcomes


def _assess_json(text: str, on: date, pack: Pack) -> Assessment:
    return assess(Household.model_validate(json.loads(text)), on, pack)


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


def _snapshot(assessment: Assessment) -> dict[str, object]:
    return {
        "layer": assessment.layer.value,
        "resilience_level": assessment.resilience.level,
        "resilience_total": str(assessment.resilience.total),
        "types": [t.value for t in assessment.types],
        "benefit_estimate": str(assessment.benefit_estimate),
    }


def _trace(before: Assessment, after: Assessment, worse: Sequence[str],
           applied: Sequence[FeedEvent]) -> dict[str, object]:
    return {
        "before": _snapshot(before),
        "after": _snapshot(after),
        "worsened": list(worse),
        "new_types": [t.value for t in after.types if t not in before.types],
        "events": [{"id": e.id, "kind": e.kind, "occurred_on": e.occurred_on.isoformat(),
                    "amount": None if e.amount is None else str(e.amount), "grade": e.grade} for e in applied],
        "assessment": after.as_json()["trace"],
    }


def _why(error: Exception) -> str:
    """An error's gist without the values that caused it (they are personal data)."""
    if isinstance(error, ValidationError):
        return "invalid " + ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors(include_input=False))
    return str(error)


# ---------------------------------------------------------------------------- worker processes

_worker: tuple[Pack, date, datetime, Rules] | None = None


def _start(name: str, root: str, on: date, now: datetime, rules: Rules) -> None:
    global _worker
    _worker = (load_pack(name, Path(root)), on, now, rules)


def _ready() -> None:
    """A worker's first task, so that it starts before there is work for it."""


def _reassess_in_worker(batch: Sequence[tuple[Pending, Standing | None]]) -> list[Outcome]:
    assert _worker is not None, "the worker's initializer loads the pack"
    return reassess(*_worker, batch)


class Assessors:
    """Replay and assess batches in the process, or in ``processes`` worker processes that load the
    pack from its directory (so a pack changed only in memory must be assessed in the process)."""

    def __init__(self, pack: Pack, on: date, now: datetime, rules: Rules, processes: int = 0) -> None:
        self._context = (pack, on, now, rules)
        self.processes = processes
        self._workers: Workers | None = None
        if processes:
            self._workers = workers = Workers(processes, _start,
                                              (pack.name, str(pack.directory.parent), on, now, rules))
            # Each worker starts (and loads the pack) at its first task: give them one now.
            for _ in range(processes):
                workers.submit(_ready)

    def submit(self, batch: Sequence[tuple[Pending, Standing | None]]) -> asyncio.Future[list[Outcome]]:
        """The outcomes of the households of ``batch`` some rule fired for, in its order, when ready."""
        if self._workers is None:
            return done(reassess(*self._context, batch))
        return self._workers.submit(_reassess_in_worker, list(batch))

    def close(self) -> None:
        if self._workers is not None:
            self._workers.close()
            self._workers = None

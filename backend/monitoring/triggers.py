"""Trigger evaluation: department events, taken as a set, alert the offices of households that worsened.

One pass, in one transaction:

1. The pending events (``evaluated`` false) are matched against the pack's trigger rules with a
   fixed number of grouped statements, however many events there are: the spending within a
   window by a window sum, and the events a per-person test may fire on in one scan. A rule's
   window ends on the day of the evaluation (the injected clock): an event dated before it counts
   for nothing, however late a department sends it, and an event of the other rules fires only when
   it is dated within ``trigger_event_days`` of that day. Only the
   households those name are read further.
2. Those households are taken in batches. Each one's events not yet applied to its facts are
   replayed in the order they happened on a copy of its Household JSON; a per-person test is
   checked against the facts just before its event (was the grade lower, was that the only
   earner ...). A household some rule fired for is assessed again, before and after, with
   today's parameters, and its new facts, layer, level, types and a history entry
   (``trigger:<rule>``) are written in bulk.
3. When the layer or the resilience level worsened or a hardship type appeared, an alert is
   raised for the household's office for each rule that fired, unless the same rule alerted the
   same household within ``alert_window_days``.
4. Every pending event is marked evaluated. Events of households nothing fired for stay
   unapplied; they are applied when something fires for the household later.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from backend.monitoring.reassess import Assessors, Outcome, Standing
from backend.monitoring.records import (
    Candidate,
    FeedEvent,
    NewAlert,
    Reassessed,
    RegistryHousehold,
    RegistryPerson,
    TriggersUnitOfWork,
)
from backend.monitoring.replay import Firing, Pending, Rules
from backend.monitoring.vocabulary import (
    ASSISTANCE_EXIT,
    DEATH,
    DISABILITY_ASSESSED,
    DISASTER_LOSS,
    INCOME_CHANGE,
    LEFT_SCHOOL,
    OUT_OF_POCKET,
    UNEMPLOYED,
)
from backend.monitoring.workers import worth_starting
from backend.policy.pack import Pack
from backend.policy.parameters import ParameterNotInForce
from backend.policy.triggers import TriggerTest
from backend.store.base import Store

if TYPE_CHECKING:
    from backend.crypto import IdHasher

log = logging.getLogger(__name__)

T = TriggerTest
BATCH = 500
# From this many pending events, worker processes replay and assess the households
# (see backend.monitoring.reassess).
PARALLEL_FROM = 20_000
CENT, BASIS_POINT = Decimal("0.01"), Decimal("0.0001")
# The pending events each per-person test may fire on (medical rows only when marked serious).
_CANDIDATE_KINDS: dict[TriggerTest, tuple[str, ...]] = {
    T.DISABILITY: (DISABILITY_ASSESSED,),
    T.EARNER_LOST: (DEATH,),
    T.ONLY_EARNER_UNEMPLOYED: (UNEMPLOYED,),
    T.DISASTER_LOSS: (DISASTER_LOSS,),
    T.LEFT_SCHOOL: (LEFT_SCHOOL,),
    T.INCOME_FALL_AFTER_EXIT: (INCOME_CHANGE,),
}


@dataclass(frozen=True, slots=True)
class EvaluationSummary:
    """What one evaluation did."""

    events: int = 0  # pending events evaluated
    households: int = 0  # households assessed again (some rule fired)
    fired: int = 0  # (household, rule) pairs that fired
    worsened: int = 0  # households whose layer or level worsened or that gained a hardship type
    alerts: int = 0  # alerts raised
    suppressed: int = 0  # alerts not raised: the same rule alerted the household within the window
    skipped: int = 0  # households whose facts could not be assessed (logged)
    busy: bool = False  # another evaluation was running: nothing was done


@dataclass(slots=True)
class _Pass:
    """What one evaluation knows once the grouped statements ran."""

    pack: Pack
    on: date
    now: datetime
    rules: Rules
    found: dict[int, dict[str, Firing]]  # household → rule id → firing, decided in SQL
    candidates: dict[int, Candidate]  # event id → candidate of a per-person test
    counts: Counter[str] = field(default_factory=Counter)
    # Date of a stored assessment → whether the parameters in force then are today's.
    same_parameters: dict[date, bool] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.pack.regions.timezone)


async def evaluate(database: Store[TriggersUnitOfWork], pack: Pack, *, now: datetime, hasher: IdHasher | None = None,
                   batch: int = BATCH, processes: int | None = None,
                   parallel_from: int = PARALLEL_FROM) -> EvaluationSummary:
    """Evaluate every pending feed event against ``pack``'s triggers, as a set.

    Args:
        database: the connected database.
        pack: the policy pack; its ``triggers.yaml`` rules and today's parameters apply.
        now: the time of the evaluation (alerts, deadlines and history are stamped with it).
        hasher: accepted so every monitoring entry point takes the same arguments; evaluation
            needs none (feed rows were matched to persons when they were imported).
        batch: households read, assessed and written per round.
        processes: worker processes that assess while the database reads and writes (0: none);
            by default one per core once ``parallel_from`` events are pending.

    Raises:
        ParameterNotInForce: a trigger's parameter has no value today.
    """
    del hasher
    on = now.astimezone(ZoneInfo(pack.regions.timezone)).date()
    # Every history entry and alert names a household read in this transaction, under its lock.
    async with database.unit_of_work(references_kept=True, bulk=True) as uow:
        pending = await uow.triggers.begin()
        if pending is None:
            return EvaluationSummary(busy=True)
        counts: Counter[str] = Counter()
        if pack.triggers and pending:
            if processes is None:
                processes = worth_starting(pending, worth_from=parallel_from)
            rules = _rules(pack, on)
            # Started now, the workers load the pack while the grouped statements run.
            assessors = Assessors(pack, on, now, rules, processes)
            try:
                run = await _match(uow, pack, on, now, rules)
                households = sorted(set(run.found) | {c.household_id for c in run.candidates.values()})
                await _reassess_all(uow, run, households, batch, assessors)
            finally:
                assessors.close()
            counts = run.counts
        events = await uow.triggers.mark_evaluated()
        await uow.commit()
    return EvaluationSummary(events, households=counts["households"], fired=counts["fired"],
                             worsened=counts["worsened"], alerts=counts["alerts"],
                             suppressed=counts["suppressed"], skipped=counts["skipped"])


def _rules(pack: Pack, on: date) -> Rules:
    """The pack's trigger rules with the values of their parameters on ``on``."""
    rules = pack.triggers.rules
    return Rules(
        rules,
        {rule.id: {role: pack.parameter(name, on).value for role, name in rule.parameters.items()} for rule in rules},
        int(pack.parameter("working_age_min", on).value),
        on,
    )


async def _match(uow: TriggersUnitOfWork, pack: Pack, on: date, now: datetime, rules: Rules) -> _Pass:
    """Run the grouped statements: the rules decided in SQL, and the candidates of the others."""
    values = rules.values
    found: dict[int, dict[str, Firing]] = defaultdict(dict)
    for rule in pack.triggers.of(T.MEDICAL_SPENDING):
        own = values[rule.id]
        days = int(own["days"])
        for hit in await uow.triggers.spending_over(OUT_OF_POCKET, days=days, amount=own["amount"], share=own["share"],
                                                      on=on):
            income = hit.monthly_income * 12
            share = (hit.spent / income).quantize(BASIS_POINT) if income > 0 else None
            found[hit.household_id].setdefault(rule.id, Firing(rule, {
                "spent": str(hit.spent.quantize(CENT)), "days": days, "until": hit.until.isoformat(),
                "share": None if share is None else str(share), "amount": str(own["amount"]),
            }))
    kinds = sorted({kind for rule in rules.rules for kind in _CANDIDATE_KINDS.get(rule.test, ())})
    candidates: dict[int, Candidate] = {}
    if kinds:
        serious = OUT_OF_POCKET if pack.triggers.of(T.EARNER_LOST) else None
        # Only recent events fire: a department's late backlog from months ago updates the facts
        # when something recent fires, and never alerts on its own.
        since = on - timedelta(days=int(pack.parameter("trigger_event_days", on).value))
        for candidate in await uow.triggers.candidates(kinds, serious_kind=serious, exit_kind=ASSISTANCE_EXIT,
                                                       income_kind=INCOME_CHANGE, since=since, until=on):
            candidates[candidate.event_id] = candidate
    # Disaster losses are summed per household here: the candidate scan already holds every one.
    losses: dict[int, Decimal] = defaultdict(Decimal)
    for candidate in candidates.values():
        if candidate.kind == DISASTER_LOSS and candidate.amount:
            losses[candidate.household_id] += candidate.amount
    for rule in pack.triggers.of(T.DISASTER_LOSS):
        for household_id, loss in losses.items():
            if loss >= values[rule.id]["amount"]:
                found[household_id].setdefault(rule.id, Firing(rule, {"loss": str(loss.quantize(CENT))}))
    per_event = {c.event_id: c for c in candidates.values() if c.kind != DISASTER_LOSS}
    return _Pass(pack, on, now, rules, dict(found), per_event)


async def _reassess_all(uow: TriggersUnitOfWork, run: _Pass, households: Sequence[int], batch: int,
                        assessors: Assessors) -> None:
    """Read, replay, assess and write the households, ``batch`` at a time.

    With worker processes, the database reads the next batches while earlier ones are replayed
    and assessed; the batches are still written in order.
    """
    in_flight: deque[tuple[dict[int, str], asyncio.Future[list[Outcome]]]] = deque()
    for start in range(0, len(households), batch):
        offices, pending = await _read_batch(uow, run, households[start:start + batch])
        in_flight.append((offices, assessors.submit(pending)))
        while len(in_flight) > assessors.processes:
            offices, outcomes = in_flight.popleft()
            await _write(uow, run, offices, await outcomes)
    while in_flight:
        offices, outcomes = in_flight.popleft()
        await _write(uow, run, offices, await outcomes)


async def _read_batch(uow: TriggersUnitOfWork, run: _Pass,
                      ids: Sequence[int]) -> tuple[dict[int, str], list[tuple[Pending, Standing | None]]]:
    """One batch of households with their persons and unapplied events, as the replay takes them,
    and the office of each household (for its alerts)."""
    persons: dict[int, list[RegistryPerson]] = defaultdict(list)
    for person in await uow.triggers.persons(ids):
        persons[person.household_id].append(person)
    events: dict[int, list[FeedEvent]] = defaultdict(list)
    for event in await uow.triggers.unapplied(ids):
        events[event.household_id].append(event)
    candidates = run.candidates
    offices, batch = {}, []
    for row in await uow.triggers.households(ids):
        offices[row.id] = row.office
        own = events[row.id]
        pending = Pending(row.id, row.household_json, tuple(persons[row.id]), tuple(own), run.found.get(row.id, {}),
                          {e.id: candidates[e.id] for e in own if e.id in candidates})
        batch.append((pending, _standing(run, row)))
    return offices, batch


def _standing(run: _Pass, row: RegistryHousehold) -> Standing | None:
    """The household's stored assessment, if it was made under the parameters in force today."""
    if row.layer is None or row.resilience_level is None or row.assessed_at is None:
        return None
    on = row.assessed_at.astimezone(run.zone).date()
    same = run.same_parameters.get(on)
    if same is None:
        try:
            same = run.same_parameters[on] = run.pack.at(on).values == run.pack.at(run.on).values
        except ParameterNotInForce:
            same = run.same_parameters[on] = False
    return Standing(row.layer, row.resilience_level, row.types) if same else None


async def _write(uow: TriggersUnitOfWork, run: _Pass, offices: Mapping[int, str], outcomes: Sequence[Outcome]) -> None:
    """Store the batch's new facts and history; raise the alerts of the households that worsened."""
    deadline = run.now + timedelta(hours=float(run.pack.parameter("alert_deadline_hours", run.on).value))
    saved: list[Reassessed] = []
    raised: list[NewAlert] = []
    for outcome in outcomes:
        run.counts["fired"] += len(outcome.firings)
        if outcome.error is not None or outcome.assessed_at is None:
            run.counts["skipped"] += 1
            log.warning("registry household %s cannot be assessed after its events: %s", outcome.household_id,
                        outcome.error)
            continue
        # What is written is the outcome's fields of the same names, caused by the first rule that fired.
        written = {f.name: getattr(outcome, f.name) for f in fields(Reassessed) if f.name != "cause"}
        saved.append(Reassessed(**written, cause=f"trigger:{outcome.firings[0].rule.id}"))
        if outcome.worsened:
            run.counts["worsened"] += 1
            raised += [NewAlert(outcome.household_id, offices[outcome.household_id], f.rule.id, f.reason(),
                                outcome.trace_json or "{}", deadline) for f in outcome.firings]
    run.counts["households"] += len(saved)
    await uow.triggers.save(saved, at=run.now)
    if raised:
        window = timedelta(days=float(run.pack.parameter("alert_window_days", run.on).value))
        recent = await uow.alerts.recent(sorted({a.household_id for a in raised}), since=run.now - window)
        fresh = [a for a in raised if (a.household_id, a.trigger) not in recent]
        run.counts["suppressed"] += len(raised) - len(fresh)
        run.counts["alerts"] += await uow.alerts.add_many(fresh, at=run.now)

"""Trigger evaluation: department events, taken as a set, alert the offices of households that worsened.

One pass, in one transaction:

1. The pending events (``evaluated`` false) are matched against the pack's trigger rules with a
   fixed number of grouped statements, however many events there are: the spending within a
   window by a window sum, and the events a per-person test may fire on in one scan. Only the
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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from backend.monitoring.changes import HouseholdState, add_months
from backend.monitoring.id_numbers import age_on
from backend.monitoring.reassess import Assessors, Change, Standing, Verdict
from backend.monitoring.records import Candidate, FeedEvent, NewAlert, Reassessed, RegistryHousehold, RegistryPerson
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
from backend.policy.triggers import TriggerRule, TriggerTest

if TYPE_CHECKING:
    from backend.db.database import Database
    from backend.intake import IdHasher
    from backend.ports import UnitOfWork

log = logging.getLogger(__name__)

T = TriggerTest
BATCH = 500
# From this many pending events, worker processes assess the households (see backend.monitoring.reassess).
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
# Tests decided on the household's facts as each event is replayed, by the kinds they look at.
_PER_EVENT: dict[TriggerTest, tuple[str, ...]] = {
    T.DISABILITY: (DISABILITY_ASSESSED,),
    T.EARNER_LOST: (DEATH, OUT_OF_POCKET),
    T.ONLY_EARNER_UNEMPLOYED: (UNEMPLOYED,),
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


@dataclass(frozen=True, slots=True)
class Firing:
    """A rule that fired for a household, and what the alert's reason shows."""

    rule: TriggerRule
    params: dict[str, Any]

    def reason(self) -> dict[str, Any]:
        return {"rule": self.rule.id, "test": self.rule.test.value, "params": self.params}


@dataclass(slots=True)
class _Pass:
    """What one evaluation knows once the grouped statements ran."""

    pack: Pack
    on: date
    now: datetime
    values: dict[str, dict[str, Decimal]]  # rule id → role → value on ``on``
    found: dict[int, dict[str, Firing]]  # household → rule id → firing, decided in SQL
    candidates: dict[int, Candidate]  # event id → candidate of a per-person test
    working_age_min: int  # below it, a child who leaves school is a child, not unemployed
    counts: Counter[str] = field(default_factory=Counter)
    # Date of a stored assessment → whether the parameters in force then are today's.
    same_parameters: dict[date, bool] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.pack.regions.timezone)


async def evaluate(database: Database, pack: Pack, *, now: datetime, hasher: IdHasher | None = None,
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
    async with database.unit_of_work(references_kept=True) as uow:
        pending = await uow.triggers.begin()
        if pending is None:
            return EvaluationSummary(busy=True)
        counts: Counter[str] = Counter()
        if pack.triggers and pending:
            if processes is None:
                processes = worth_starting(pending, worth_from=parallel_from)
            # Started now, the workers load the pack while the grouped statements run.
            assessors = Assessors(pack, on, processes)
            try:
                run = await _match(uow, pack, on, now)
                households = sorted(set(run.found) | {c.household_id for c in run.candidates.values()})
                await _reassess_all(uow, run, households, batch, assessors)
            finally:
                assessors.close()
            counts = run.counts
        events = await uow.triggers.mark_evaluated()
        await uow.commit()
    return EvaluationSummary(events=events, **counts)


async def _match(uow: UnitOfWork, pack: Pack, on: date, now: datetime) -> _Pass:
    """Run the grouped statements: the rules decided in SQL, and the candidates of the others."""
    rules = pack.triggers.rules
    values = {rule.id: {role: pack.parameter(name, on).value for role, name in rule.parameters.items()}
              for rule in rules}
    found: dict[int, dict[str, Firing]] = defaultdict(dict)
    for rule in pack.triggers.of(T.MEDICAL_SPENDING):
        own = values[rule.id]
        days = int(own["days"])
        for hit in await uow.triggers.spending_over(OUT_OF_POCKET, days=days, amount=own["amount"], share=own["share"]):
            income = hit.monthly_income * 12
            share = (hit.spent / income).quantize(BASIS_POINT) if income > 0 else None
            found[hit.household_id].setdefault(rule.id, Firing(rule, {
                "spent": str(hit.spent.quantize(CENT)), "days": days, "until": hit.until.isoformat(),
                "share": None if share is None else str(share), "amount": str(own["amount"]),
            }))
    kinds = sorted({kind for rule in rules for kind in _CANDIDATE_KINDS.get(rule.test, ())})
    candidates: dict[int, Candidate] = {}
    if kinds:
        serious = OUT_OF_POCKET if pack.triggers.of(T.EARNER_LOST) else None
        for candidate in await uow.triggers.candidates(kinds, serious_kind=serious, exit_kind=ASSISTANCE_EXIT,
                                                       income_kind=INCOME_CHANGE):
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
    working_age_min = int(pack.parameter("working_age_min", on).value)
    return _Pass(pack, on, now, values, dict(found), per_event, working_age_min)


@dataclass(frozen=True, slots=True)
class _Replayed:
    """A household some rule fired for, with its events applied."""

    row: RegistryHousehold
    state: HouseholdState
    firings: dict[str, Firing]
    applied: list[FeedEvent]


async def _reassess_all(uow: UnitOfWork, run: _Pass, households: Sequence[int], batch: int,
                        assessors: Assessors) -> None:
    """Replay, assess and write the households, ``batch`` at a time.

    With worker processes, the database reads and replays the next batches while earlier ones
    are assessed; the batches are still written in order.
    """
    in_flight: deque[tuple[list[_Replayed], asyncio.Future[list[Verdict]]]] = deque()
    for start in range(0, len(households), batch):
        replayed = await _replay_batch(uow, run, households[start:start + batch])
        in_flight.append((replayed, assessors.submit([
            Change(r.row.id, r.row.household, r.state.data, _standing(run, r.row)) for r in replayed
        ])))
        while len(in_flight) > assessors.processes:
            replayed, verdicts = in_flight.popleft()
            await _write(uow, run, replayed, await verdicts)
    while in_flight:
        replayed, verdicts = in_flight.popleft()
        await _write(uow, run, replayed, await verdicts)


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


async def _replay_batch(uow: UnitOfWork, run: _Pass, ids: Sequence[int]) -> list[_Replayed]:
    """Read one batch of households with their persons and events, and replay the events."""
    persons: dict[int, dict[int, RegistryPerson]] = defaultdict(dict)
    for person in await uow.triggers.persons(ids):
        persons[person.household_id][person.id] = person
    events: dict[int, list[FeedEvent]] = defaultdict(list)
    for event in await uow.triggers.unapplied(ids):
        events[event.household_id].append(event)
    replayed = []
    for row in await uow.triggers.households(ids):
        outcome = _replay(run, row, persons[row.id], events[row.id])
        if outcome is not None:
            replayed.append(_Replayed(row, *outcome))
    return replayed


async def _write(uow: UnitOfWork, run: _Pass, replayed: Sequence[_Replayed], verdicts: Sequence[Verdict]) -> None:
    """Store the batch's new facts and history; raise the alerts of the households that worsened."""
    order = {rule.id: i for i, rule in enumerate(run.pack.triggers.rules)}
    deadline = run.now + timedelta(hours=float(run.pack.parameter("alert_deadline_hours", run.on).value))
    saved: list[Reassessed] = []
    raised: list[NewAlert] = []
    for item, verdict in zip(replayed, verdicts, strict=True):
        row, state, applied = item.row, item.state, item.applied
        run.counts["fired"] += len(item.firings)
        if verdict.household is None:
            run.counts["skipped"] += 1
            log.warning("registry household %s cannot be assessed after its events: %s", row.id, verdict.error)
            continue
        ranked = sorted(item.firings.values(), key=lambda f: order[f.rule.id])
        saved.append(Reassessed(
            household_id=row.id,
            household=verdict.household,
            monthly_income=state.income(),
            layer=verdict.layer,
            resilience_level=verdict.resilience_level,
            types=verdict.types,
            cause=f"trigger:{ranked[0].rule.id}",
            # Not before the events it applied were imported: those are then never applied twice.
            assessed_at=max([run.now, *(e.imported_at for e in applied)]),
            members=state.members if state.moved else {},
        ))
        if verdict.worsened:
            run.counts["worsened"] += 1
            trace = _with_events(verdict.trace or {}, applied)
            raised += [NewAlert(row.id, row.office, f.rule.id, f.reason(), trace, deadline) for f in ranked]
    run.counts["households"] += len(saved)
    await uow.triggers.save(saved, at=run.now)
    if raised:
        window = timedelta(days=float(run.pack.parameter("alert_window_days", run.on).value))
        recent = await uow.alerts.recent(sorted({a.household_id for a in raised}), since=run.now - window)
        fresh = [a for a in raised if (a.household_id, a.trigger) not in recent]
        run.counts["suppressed"] += len(raised) - len(fresh)
        run.counts["alerts"] += await uow.alerts.add_many(fresh, at=run.now)


def _replay(run: _Pass, row: RegistryHousehold, persons: Mapping[int, RegistryPerson],
            events: Sequence[FeedEvent]) -> tuple[HouseholdState, dict[str, Firing], list[FeedEvent]] | None:
    """Apply the household's events in order, checking each per-person test just before its event.

    None when no rule fired for the household (its facts are then left as they are).
    """
    firings = dict(run.found.get(row.id, {}))
    state = HouseholdState(row.household, {p.id: p.member for p in persons.values()},
                           working_age_min=run.working_age_min)
    rules = run.pack.triggers.rules
    for event in events:
        candidate = run.candidates.get(event.id) if event.pending else None
        if candidate is not None:
            for rule in rules:
                if rule.id in firings or event.kind not in _PER_EVENT.get(rule.test, ()):
                    continue
                params = _check(rule, event, candidate, state, persons.get(event.person_id), run.values[rule.id])
                if params is not None:
                    firings[rule.id] = Firing(rule, params)
        state.apply(event)
    if not firings:
        return None
    return state, firings, list(events)


def _check(rule: TriggerRule, event: FeedEvent, candidate: Candidate, state: HouseholdState,
           person: RegistryPerson | None, values: Mapping[str, Decimal]) -> dict[str, Any] | None:
    """Whether a per-person test fires on ``event`` given the facts just before it: the reason's
    parameters, or None."""
    member = state.member(event.person_id)
    if member is None or person is None:
        return None  # not (or no longer) a member of the household
    age = age_on(person.birth_date, event.occurred_on)
    test = rule.test
    if test is T.DISABILITY:
        grade, previous = event.grade, member.get("disability_grade")
        if grade is None or grade > values["grade"] or (previous is not None and previous <= grade):
            return None
        return {"grade": grade, "previous": previous}
    if test is T.EARNER_LOST:
        if not person.earner or not values["min_age"] <= age <= values["max_age"]:
            return None
        if event.kind == OUT_OF_POCKET and member.get("health") == "serious":
            return None  # the illness was known already
        return {"cause": "death" if event.kind == DEATH else "serious_illness", "age": age}
    if test is T.ONLY_EARNER_UNEMPLOYED:
        if not person.earner or member.get("work") != "employed" or state.employed_others(event.person_id):
            return None
        return {"age": age}
    if test is T.LEFT_SCHOOL:
        return {"age": age} if age <= values["max_age"] else None
    if test is T.INCOME_FALL_AFTER_EXIT:
        months = int(values["months"])
        exit_on, after = candidate.exit_on, event.amount
        if exit_on is None or after is None or event.occurred_on >= add_months(exit_on, months):
            return None
        before = state.income()
        if after >= before:
            return None
        return {"exit_on": exit_on.isoformat(), "months": months, "before": str(before.quantize(CENT)),
                "after": str(after.quantize(CENT))}
    return None


def _with_events(trace: Mapping[str, Any], applied: Sequence[FeedEvent]) -> dict[str, Any]:
    """An alert's trace: the assessments before and after, and the events that were applied."""
    events = [{"id": e.id, "kind": e.kind, "occurred_on": e.occurred_on.isoformat(),
               "amount": None if e.amount is None else str(e.amount), "grade": e.grade} for e in applied]
    return {key: value for key, value in trace.items() if key != "assessment"} | {
        "events": events, "assessment": trace.get("assessment")}

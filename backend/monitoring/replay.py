"""A household's pending events replayed on its facts, with the per-person trigger tests checked
just before each event (was the grade lower, was that the only earner ...).

Everything here is plain data in and out, so that it runs in a worker process beside the
assessment (backend.monitoring.reassess) as well as in the evaluating process.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from backend.monitoring.changes import HouseholdState, add_months
from backend.monitoring.records import AlertReason, Candidate, FeedEvent, RegistryPerson
from backend.monitoring.vocabulary import (
    DEATH,
    DISABILITY_ASSESSED,
    INCOME_CHANGE,
    LEFT_SCHOOL,
    OUT_OF_POCKET,
    UNEMPLOYED,
)
from backend.policy.triggers import TriggerRule, TriggerTest
from id_numbers import age_on

T = TriggerTest
CENT = Decimal("0.01")
# Tests decided on the household's facts as each event is replayed, by the kinds they look at.
_PER_EVENT: dict[TriggerTest, tuple[str, ...]] = {
    T.DISABILITY: (DISABILITY_ASSESSED,),
    T.EARNER_LOST: (DEATH, OUT_OF_POCKET),
    T.ONLY_EARNER_UNEMPLOYED: (UNEMPLOYED,),
    T.LEFT_SCHOOL: (LEFT_SCHOOL,),
    T.INCOME_FALL_AFTER_EXIT: (INCOME_CHANGE,),
}


# Not slotted: it is pickled for worker processes, which slots make 2-3 times slower.
@dataclass(frozen=True)
class Firing:
    """A rule that fired for a household, and what the alert's reason shows."""

    rule: TriggerRule
    params: dict[str, object]

    def reason(self) -> AlertReason:
        return {"rule": self.rule.id, "test": self.rule.test.value, "params": self.params}


@dataclass(frozen=True, slots=True)
class Rules:
    """The pack's trigger rules with their parameter values today (rule id → role → value)."""

    rules: tuple[TriggerRule, ...]
    values: dict[str, dict[str, Decimal]]
    working_age_min: int  # below it, a child who leaves school is a child, not unemployed
    on: date  # the day of the evaluation, where every rule's window ends


# Not slotted: it is pickled for worker processes, which slots make 2-3 times slower.
@dataclass(frozen=True)
class Pending:
    """A household to replay: its stored facts (JSON text), persons and unapplied events, what the
    grouped statements already decided for it, and the candidates among its events."""

    household_id: int
    household_json: str
    persons: tuple[RegistryPerson, ...]
    events: tuple[FeedEvent, ...]  # in the order they happened
    found: dict[str, Firing]  # rule id → firing decided in SQL
    candidates: dict[int, Candidate]  # event id → candidate of a per-person test


@dataclass(slots=True)
class Replayed:
    """A household some rule fired for, with its events applied."""

    state: HouseholdState
    firings: list[Firing]  # in the pack's order of rules


def replay(rules: Rules, pending: Pending) -> Replayed | None:
    """Apply the household's events in order, checking each per-person test just before its event.

    None when no rule fired for the household (its facts are then left as they are).
    """
    firings = dict(pending.found)
    persons = {p.id: p for p in pending.persons}
    state = HouseholdState(json.loads(pending.household_json), {p.id: p.member for p in pending.persons},
                           working_age_min=rules.working_age_min)
    for event in pending.events:
        candidate = pending.candidates.get(event.id) if event.pending else None
        if candidate is not None:
            for rule in rules.rules:
                if rule.id in firings or event.kind not in _PER_EVENT.get(rule.test, ()):
                    continue
                params = _check(rule, event, candidate, state, persons.get(event.person_id), rules.values[rule.id],
                                rules.on)
                if params is not None:
                    firings[rule.id] = Firing(rule, params)
        state.apply(event)
    if not firings:
        return None
    return Replayed(state, [firings[rule.id] for rule in rules.rules if rule.id in firings])


def _check(rule: TriggerRule, event: FeedEvent, candidate: Candidate, state: HouseholdState,
           person: RegistryPerson | None, values: Mapping[str, Decimal], on: date) -> dict[str, object] | None:
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
        if event.occurred_on < add_months(on, -months) or event.occurred_on > on:
            return None  # the fall is older than the window that ends today (or dated after it)
        before = state.income()
        if after >= before:
            return None
        return {"exit_on": exit_on.isoformat(), "months": months, "before": str(before.quantize(CENT)),
                "after": str(after.quantize(CENT))}
    return None


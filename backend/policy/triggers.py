"""Monitoring triggers as data (``<pack>/triggers.yaml``): which tests raise an alert, with which parameters.

A trigger rule names a *test* that Yimen computes over department feed events (the tests and the
feed kinds they read are fixed in :mod:`backend.monitoring.triggers`) and binds each of the test's
parameter roles to a dated parameter of ``parameters.yaml``; the thresholds therefore change by
date, with a source, like every other figure of the pack::

    triggers:
      - id: medical_spending
        test: medical_spending
        parameters: {amount: trigger_medical_amount, share: trigger_medical_income_share,
                     days: trigger_medical_days}

Rules are evaluated in file order; their ids name alerts (``alerts.trigger``) and the
assessment history (``trigger:<id>``). A pack with triggers also needs the parameters
``alert_window_days`` and ``alert_deadline_hours``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from backend.policy.errors import pack_error
from backend.policy.parameters import Parameter
from backend.policy.yamlfile import read_yaml

FILENAME = "triggers.yaml"
# An id goes into "trigger:<id>" (64 characters at most) and into message keys.
_ID = re.compile(r"^[a-z][a-z0-9_]{0,55}$")
# Parameters every pack with triggers must have, read by the alert lifecycle.
ALERT_PARAMETERS = ("alert_window_days", "alert_deadline_hours")


class TriggerTest(StrEnum):
    """The tests a trigger rule may name; each is computed in backend/monitoring/triggers.py."""

    MEDICAL_SPENDING = "medical_spending"  # out-of-pocket spending in a window, by amount or share of income
    DISABILITY = "disability"  # a disability grade newly assessed or raised into the severe grades
    EARNER_LOST = "earner_lost"  # death or serious illness of a working-age earner
    ONLY_EARNER_UNEMPLOYED = "only_earner_unemployed"  # the household's only earner lost their job
    DISASTER_LOSS = "disaster_loss"  # a disaster loss of at least an amount
    LEFT_SCHOOL = "left_school"  # a child left school
    INCOME_FALL_AFTER_EXIT = "income_fall_after_exit"  # income fell within months of leaving assistance


# The parameter roles each test needs, all of them numbers.
ROLES: dict[TriggerTest, tuple[str, ...]] = {
    TriggerTest.MEDICAL_SPENDING: ("amount", "share", "days"),
    TriggerTest.DISABILITY: ("grade",),
    TriggerTest.EARNER_LOST: ("min_age", "max_age"),
    TriggerTest.ONLY_EARNER_UNEMPLOYED: (),
    TriggerTest.DISASTER_LOSS: ("amount",),
    TriggerTest.LEFT_SCHOOL: ("max_age",),
    TriggerTest.INCOME_FALL_AFTER_EXIT: ("months",),
}


# Not slotted: it is pickled for worker processes, which slots make 2-3 times slower.
@dataclass(frozen=True)
class TriggerRule:
    """One rule of ``triggers.yaml``: its id, its test, and the parameter bound to each role."""

    id: str
    test: TriggerTest
    parameters: Mapping[str, str]


# Not slotted: it is pickled for worker processes, which slots make 2-3 times slower.
@dataclass(frozen=True)
class TriggerRules:
    """Everything in ``triggers.yaml``, in file order; empty for a pack without the file."""

    rules: tuple[TriggerRule, ...] = ()

    def of(self, test: TriggerTest) -> tuple[TriggerRule, ...]:
        return tuple(rule for rule in self.rules if rule.test is test)

    def __bool__(self) -> bool:
        return bool(self.rules)


def parse_triggers(data: object, path: Path, parameters: Mapping[str, Parameter]) -> TriggerRules:
    """Validate ``triggers.yaml`` against the pack's parameters.

    Raises:
        PackError: an unknown test or role, a missing role, a repeated or malformed id, or a
            parameter the pack lacks or holds as a list (the file and key are named).
    """
    if not isinstance(data, dict):
        raise pack_error(path, "(top)", "must be a mapping with a list of triggers")
    for extra in sorted(set(data) - {"triggers"}):
        raise pack_error(path, str(extra), "unknown key (only triggers)")
    raw_rules = data.get("triggers")
    if not isinstance(raw_rules, list):
        raise pack_error(path, "triggers", "missing, or not a list")
    for needed_name in ALERT_PARAMETERS:
        if needed_name not in parameters:
            raise pack_error(path.parent / "parameters.yaml", needed_name,
                             f"missing parameter (needed by {path.name})")
    rules: list[TriggerRule] = []
    for i, raw in enumerate(raw_rules):
        key = f"triggers[{i}]"
        if not isinstance(raw, dict):
            raise pack_error(path, key, "must be a mapping with id, test and parameters")
        for extra in sorted(set(raw) - {"id", "test", "parameters"}):
            raise pack_error(path, f"{key}.{extra}", "unknown key (id, test, parameters)")
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not _ID.match(rule_id):
            raise pack_error(path, f"{key}.id", f"{rule_id!r} is not an id (lower case, digits, _; 56 at most)")
        if any(rule.id == rule_id for rule in rules):
            raise pack_error(path, f"{key}.id", f"{rule_id!r} is given twice")
        try:
            test = TriggerTest(str(raw.get("test")))
        except ValueError:
            known = ", ".join(t.value for t in TriggerTest)
            raise pack_error(path, f"{key}.test", f"unknown test {raw.get('test')!r} (known: {known})") from None
        bound = raw.get("parameters") or {}
        if not isinstance(bound, dict):
            raise pack_error(path, f"{key}.parameters", "must map roles to parameter names")
        needed = ROLES[test]
        for role in sorted(set(bound) - set(needed)):
            raise pack_error(path, f"{key}.parameters.{role}", f"test {test.value} has no role {role!r}")
        for role in needed:
            name = bound.get(role)
            where = f"{key}.parameters.{role}"
            if not isinstance(name, str) or not name:
                raise pack_error(path, where, f"missing: test {test.value} needs a parameter for {role}")
            if name not in parameters:
                raise pack_error(path, where, f"unknown parameter {name!r}")
            if parameters[name].is_list:
                raise pack_error(path, where, f"{name!r} is a list of numbers, not a number")
        rules.append(TriggerRule(rule_id, test, {role: str(bound[role]) for role in needed}))
    return TriggerRules(tuple(rules))


def load_triggers(directory: Path, parameters: Mapping[str, Parameter]) -> TriggerRules:
    """The triggers of the pack in ``directory``; none when it has no ``triggers.yaml``."""
    path = directory / FILENAME
    if not path.exists():
        return TriggerRules()
    return parse_triggers(read_yaml(path), path, parameters)

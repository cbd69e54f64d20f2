"""Rules as data: which checks make a layer, which facts make a type, an assistance or a service.

The pack file ``rules.yaml`` holds them; this module parses them into frozen values and
evaluates them against a mapping of facts. The checks and facts themselves are computed
in :mod:`backend.policy.facts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TypeVar

from backend.application import HardshipType
from backend.policy.codes import (
    HOUSEHOLD_FACTS,
    LATE_FACTS,
    OUTCOME_FACTS,
    QUANTITIES,
    Assistance,
    Check,
    Layer,
    Service,
)
from backend.policy.errors import pack_error
from backend.policy.parameters import Formula, parse_formula

E = TypeVar("E", bound=Enum)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class MatchRule:
    """Matches when every ``when_all`` fact holds and, if any are listed, at least one ``when_any``."""

    id: str
    when_all: tuple[str, ...] = ()
    when_any: tuple[str, ...] = ()

    def matched(self, facts: Mapping[str, bool]) -> tuple[str, ...] | None:
        """The facts that made it match, or None when it does not."""
        for name in self.when_all:
            if not facts[name]:
                return None
        if not self.when_any:
            return self.when_all
        hits = tuple([name for name in self.when_any if facts[name]])
        return self.when_all + hits if hits else None

    def facts(self) -> tuple[str, ...]:
        return self.when_all + self.when_any


@dataclass(frozen=True, slots=True)
class LayerRule:
    """A layer and the checks it needs: all of them (``all``) or at least one (``any``)."""

    layer: Layer
    checks: tuple[Check, ...]
    needs_all: bool
    # Plain strings: enum members hash through Python code, which shows in the engine's hot loop.
    id: str = field(init=False)
    check_ids: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", f"layer.{self.layer.value}")
        object.__setattr__(self, "check_ids", tuple(c.value for c in self.checks))

    def failed(self, results: Mapping[str, bool]) -> tuple[str, ...]:
        """The ids of the checks that keep the household out of this layer; empty when it qualifies."""
        if self.needs_all:
            return tuple([c for c in self.check_ids if not results[c]])
        for check in self.check_ids:
            if results[check]:
                return ()
        return self.check_ids


@dataclass(frozen=True, slots=True)
class AssistanceRule:
    """Refer to this assistance when the rule matches; ``emergency`` marks the case an emergency."""

    code: Assistance
    rule: MatchRule
    emergency: bool = False


@dataclass(frozen=True, slots=True)
class ServiceRule:
    """Recommend these services at this level (1 most urgent … 4) when the rule matches."""

    rule: MatchRule
    level: int
    services: tuple[Service, ...]
    service_ids: tuple[str, ...] = field(init=False)  # plain strings, for the engine's hot loop

    def __post_init__(self) -> None:
        object.__setattr__(self, "service_ids", tuple(s.value for s in self.services))


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything in ``rules.yaml``."""

    layers: tuple[LayerRule, ...]
    types: tuple[tuple[HardshipType, MatchRule], ...]
    assistance: tuple[AssistanceRule, ...]
    services: tuple[ServiceRule, ...]
    benefits: Mapping[Layer, Formula]


def _names(raw: object, path: Path, key: str, allowed: Iterable[str]) -> tuple[str, ...]:
    allowed = set(allowed)
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise pack_error(path, key, "must be a list of names")
    unknown = [x for x in raw if x not in allowed]
    if unknown:
        raise pack_error(path, key, f"unknown fact {unknown[0]!r} (known: {', '.join(sorted(allowed))})")
    return tuple(raw)


def _match(raw: object, path: Path, key: str, rule_id: str, allowed: Iterable[str]) -> MatchRule:
    if not isinstance(raw, dict):
        raise pack_error(path, key, "must be a mapping with when_all and/or when_any")
    allowed = tuple(allowed)
    rule = MatchRule(
        id=rule_id,
        when_all=_names(raw.get("when_all"), path, f"{key}.when_all", allowed),
        when_any=_names(raw.get("when_any"), path, f"{key}.when_any", allowed),
    )
    if not rule.facts():
        raise pack_error(path, key, "needs when_all or when_any")
    return rule


def _enum(enum: type[E], raw: object, path: Path, key: str) -> E:
    try:
        return enum(raw)
    except ValueError:
        known = ", ".join(e.value for e in enum)
        raise pack_error(path, key, f"unknown {enum.__name__.lower()} {raw!r} (known: {known})") from None


def _section(data: Mapping[str, object], name: str, kind: type[_T], path: Path) -> _T:
    value = data.get(name)
    if not isinstance(value, kind):
        raise pack_error(path, name, f"missing, or not a {'mapping' if kind is dict else 'list'}")
    return value


def parse_rules(data: object, path: Path, parameters: Iterable[str]) -> Rules:
    """Validate ``rules.yaml``: every layer, type, assistance, service, fact and parameter must be known."""
    if not isinstance(data, dict):
        raise pack_error(path, "(top)", "must be a mapping")
    layers_raw = _section(data, "layers", dict, path)
    layers = []
    for layer in Layer:
        if layer is Layer.NONE:
            continue
        raw = layers_raw.get(layer.value)
        key = f"layers.{layer.value}"
        if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in ("all", "any"):
            raise pack_error(path, key, "missing, or not one of {all: [checks]} / {any: [checks]}")
        mode, checks = next(iter(raw.items()))
        names = _names(checks, path, f"{key}.{mode}", (c.value for c in Check))
        if not names:
            raise pack_error(path, key, "lists no checks")
        layers.append(LayerRule(layer, tuple(Check(c) for c in names), needs_all=mode == "all"))
    for extra in set(layers_raw) - {layer.value for layer in Layer}:
        raise pack_error(path, f"layers.{extra}", "unknown layer")

    types = []
    for name, raw in _section(data, "types", dict, path).items():
        kind = _enum(HardshipType, name, path, f"types.{name}")
        types.append((kind, _match(raw, path, f"types.{name}", f"type.{kind}", HOUSEHOLD_FACTS)))

    assistance = []
    for i, raw in enumerate(_section(data, "assistance", list, path)):
        key = f"assistance[{i}]"
        if not isinstance(raw, dict):
            raise pack_error(path, key, "must be a mapping")
        code = _enum(Assistance, raw.get("code"), path, f"{key}.code")
        rule = _match(raw, path, key, f"assistance.{code}", HOUSEHOLD_FACTS + OUTCOME_FACTS)
        assistance.append(AssistanceRule(code, rule, emergency=bool(raw.get("emergency", False))))

    services = []
    seen: set[str] = set()
    for i, raw in enumerate(_section(data, "services", list, path)):
        key = f"services[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or raw["id"] in seen:
            raise pack_error(path, key, "needs a unique id")
        seen.add(raw["id"])
        level = raw.get("level")
        if level not in (1, 2, 3, 4):
            raise pack_error(path, f"{key}.level", f"must be 1, 2, 3 or 4, not {level!r}")
        codes = raw.get("services")
        if not isinstance(codes, list) or not codes:
            raise pack_error(path, f"{key}.services", "must list at least one service")
        rule = _match(raw, path, key, f"service.{raw['id']}", HOUSEHOLD_FACTS + OUTCOME_FACTS + LATE_FACTS)
        rule_services = tuple(_enum(Service, c, path, f"{key}.services[{j}]") for j, c in enumerate(codes))
        services.append(ServiceRule(rule, level, rule_services))

    benefits: dict[Layer, Formula] = {}
    known = set(parameters) | set(QUANTITIES)
    for name, text in _section(data, "benefits", dict, path).items():
        layer = _enum(Layer, name, path, f"benefits.{name}")
        try:
            formula = parse_formula(str(text))
        except ValueError as error:
            raise pack_error(path, f"benefits.{name}", str(error)) from None
        unknown = [n for n in formula.names if n not in known]
        if unknown:
            raise pack_error(path, f"benefits.{name}", f"unknown parameter or quantity {unknown[0]!r}")
        benefits[layer] = formula
    return Rules(tuple(layers), tuple(types), tuple(assistance), tuple(services), benefits)

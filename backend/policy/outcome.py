"""What an assessment returns: frozen values, with a JSON form for the CLI and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import partial
from types import MappingProxyType
from typing import Any, NamedTuple

from backend.application import HardshipType
from backend.policy.codes import Assistance, Check, Dimension, Layer, Service
from backend.policy.parameters import ParameterValue


class RuleEvaluation(NamedTuple):
    """One rule as evaluated: its id, the inputs it read, the parameters it used and its outcome.

    ``outcome`` is a bool for a test, and a value (an amount, a layer, a list) for a computation.
    A NamedTuple rather than a frozen dataclass: an assessment builds about fifty of these, and a
    frozen dataclass's ``__init__`` costs three times as much.
    """

    rule: str
    outcome: object
    inputs: Mapping[str, object]
    parameters: Mapping[str, ParameterValue]


# NamedTuple's own __new__ is Python code; going straight to tuple.__new__ halves the cost of the
# fifty or so entries each assessment adds. Call as ``evaluation((rule, outcome, inputs, parameters))``.
evaluation = partial(tuple.__new__, RuleEvaluation)


@dataclass(frozen=True, slots=True)
class ServiceRecommendation:
    """A service the rules recommend for the household, at its urgency level (1 most)."""

    service: Service
    level: int


@dataclass(frozen=True, slots=True)
class DimensionScore:
    """A resilience dimension: its score 0–100, its weight and what it adds to the total."""

    dimension: Dimension
    score: Decimal
    weight: Decimal
    contribution: Decimal


@dataclass(frozen=True, slots=True)
class Resilience:
    total: Decimal
    level: int
    dimensions: tuple[DimensionScore, ...]

    def score(self, dimension: Dimension) -> Decimal:
        return next(d.score for d in self.dimensions if d.dimension is dimension)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A layer more severe than the one given, and the checks the household failed for it."""

    layer: Layer
    failed: tuple[Check, ...]


@dataclass(frozen=True, slots=True)
class Assessment:
    """A household evaluated under a pack on a date; ``benefit_estimate`` is monthly, CNY, an estimate."""

    pack: str
    on: date
    layer: Layer
    types: tuple[HardshipType, ...]
    assistance: tuple[Assistance, ...]
    services: tuple[ServiceRecommendation, ...]
    service_level: int | None
    emergency: bool
    benefit_estimate: Decimal
    resilience: Resilience
    refusals: tuple[Refusal, ...]
    office: str | None
    trace: tuple[RuleEvaluation, ...]
    # Every fact the rules saw, by name (charity projects are matched on them too).
    facts: Mapping[str, bool] = field(default_factory=dict, repr=False)

    def as_json(self) -> dict[str, object]:
        """A JSON-ready dict: amounts as strings (no float rounding), dates ISO, codes as strings."""
        shown: dict[int, dict[str, str]] = {}
        return {
            "pack": self.pack,
            "date": self.on.isoformat(),
            "office": self.office,
            "layer": self.layer.value,
            "types": [t.value for t in self.types],
            "assistance": [a.value for a in self.assistance],
            "services": [{"service": s.service.value, "level": s.level} for s in self.services],
            "service_level": self.service_level,
            "emergency": self.emergency,
            "benefit_estimate": {
                "amount": str(self.benefit_estimate),
                "currency": "CNY",
                "period": "month",
                "estimate": True,
            },
            "resilience": {
                "total": str(self.resilience.total),
                "level": self.resilience.level,
                "dimensions": {
                    d.dimension.value: {
                        "score": str(d.score),
                        "weight": str(d.weight),
                        "contribution": str(d.contribution),
                    }
                    for d in self.resilience.dimensions
                },
            },
            "not_eligible": [{"layer": r.layer.value, "failed": [c.value for c in r.failed]} for r in self.refusals],
            "trace": [
                {
                    "rule": str(e.rule),
                    "outcome": plain(e.outcome),
                    "inputs": plain(e.inputs),
                    "parameters": {name: _parameter_json(p, shown) for name, p in e.parameters.items()},
                }
                for e in self.trace
            ],
        }


def _parameter_json(value: ParameterValue, shown: dict[int, dict[str, str]]) -> dict[str, str]:
    """A parameter value as JSON, built once per assessment however many rules used it."""
    found = shown.get(id(value))
    if found is None:
        found = shown[id(value)] = {"value": str(value.value), "since": value.since.isoformat(), "source": value.source}
    return found


def plain(value: Any) -> Any:
    """A JSON-ready copy: Decimal to str, dates to ISO, enums to their value, tuples to lists."""
    kind = type(value)
    # Exact types first: the trace holds thousands of these, and ABC isinstance checks are slow.
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is Decimal:
        return str(value)
    if kind is dict or kind is MappingProxyType:
        return {str(k): plain(v) for k, v in value.items()}
    if kind is tuple or kind is list:
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value._value_
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return str(value)

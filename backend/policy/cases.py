"""Policy tests as data: case files of a household, a date and the expected outcome (OpenFisca style).

A case file (``<pack>/cases/*.yaml``) is a list of cases::

    - name: dibao — per-capita income one fen below the standard
      date: 2025-06-01
      household: {members: [...], assets: {...}, housing: {...}}   # as for ``yimen assess``
      expected:
        layer: dibao
        types: []                 # compared as sets
        assistance: []
        emergency: false
        benefit: 0.01             # monthly estimate, to the fen
        resilience_level: 3
        # optional:
        resilience_total: 68
        resilience_scores: {income: 20, housing: 100}
        services: {resource_linkage: 3}
        service_level: 3
        checks: {dibao.income: true}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date  # noqa: F401  (pydantic resolves the annotations at runtime)
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend.application import HardshipType
from backend.policy.codes import Assistance, Check, Dimension, Layer, Service
from backend.policy.errors import pack_error
from backend.policy.household import Household
from backend.policy.outcome import Assessment
from backend.policy.yamlfile import read_yaml


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Expected(_Strict):
    """What a case expects; the optional parts are checked only when given."""

    layer: Layer
    types: frozenset[HardshipType]
    assistance: frozenset[Assistance]
    emergency: bool
    benefit: Decimal
    resilience_level: int = Field(ge=1, le=3)
    resilience_total: Decimal | None = None
    resilience_scores: dict[Dimension, Decimal] = {}
    services: dict[Service, int] | None = None
    service_level: int | None = Field(default=None, ge=1, le=4)
    checks: dict[Check, bool] = {}


class Case(_Strict):
    name: str = Field(min_length=1)
    date: date
    household: Household
    expected: Expected


@dataclass(frozen=True, slots=True)
class CaseFile:
    path: Path
    cases: tuple[Case, ...]


def load_cases(directory: Path) -> list[CaseFile]:
    """Every ``*.yaml`` case file under ``directory``; a malformed case raises PackError naming file and case."""
    files = []
    for path in sorted(directory.glob("*.yaml")):
        raw = read_yaml(path)
        if not isinstance(raw, list):
            raise pack_error(path, "(top)", "a case file is a list of cases")
        cases = []
        for i, item in enumerate(raw):
            try:
                cases.append(Case.model_validate(item))
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(x) for x in first["loc"])
                name = item.get("name", "?") if isinstance(item, dict) else "?"
                raise pack_error(path, f"[{i}] {name}: {where}", first["msg"]) from None
        files.append(CaseFile(path, tuple(cases)))
    return files


def differences(expected: Expected, result: Assessment) -> list[str]:
    """How ``result`` differs from ``expected``, one line per difference; empty when it matches."""
    found: list[str] = []

    def differ(what: str, want: object, got: object) -> None:
        if want != got:
            found.append(f"{what}: expected {want}, got {got}")

    differ("layer", expected.layer.value, result.layer.value)
    differ("types", sorted(expected.types), sorted(result.types))
    differ("assistance", sorted(expected.assistance), sorted(result.assistance))
    differ("emergency", expected.emergency, result.emergency)
    differ("benefit", expected.benefit, result.benefit_estimate)
    differ("resilience level", expected.resilience_level, result.resilience.level)
    if expected.resilience_total is not None:
        differ("resilience total", expected.resilience_total, result.resilience.total)
    for dimension, points in expected.resilience_scores.items():
        differ(f"resilience {dimension.value}", points, result.resilience.score(dimension))
    if expected.services is not None:
        got = {s.service.value: s.level for s in result.services}
        differ("services", {k.value: v for k, v in expected.services.items()}, got)
    if expected.service_level is not None:
        differ("service level", expected.service_level, result.service_level)
    outcomes = {str(e.rule): e.outcome for e in result.trace}
    for check, passed in expected.checks.items():
        differ(f"check {check.value}", passed, outcomes.get(check.value))
    return found

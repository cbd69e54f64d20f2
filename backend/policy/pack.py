"""Policy packs: one directory per region of dated parameters, rules and region data, checked at load.

A pack directory holds:

- ``parameters.yaml``: dated parameters with a source per value (a number, or a list of
  numbers), or formulas over them;
- ``rules.yaml``: which checks make each layer, which facts make types, assistance and services,
  and the benefit formula per layer;
- ``resilience.yaml``: resilience weights, level bounds and dimension scoring;
- ``routing.yaml``: social-work stations and the offices they serve, programme queues;
- ``regions.yaml``: districts and their street offices;
- ``decisions.yaml``: the standard reasons of a rejection, payment, review and appeal as the
  resident is told them (see :mod:`backend.policy.decisions`);
- ``triggers.yaml`` (optional): monitoring triggers and the parameters they use (see
  :mod:`backend.policy.triggers`);
- ``cases/*.yaml``: the pack's tests (see :mod:`backend.policy.cases`).

Anything missing, duplicated, unknown or inconsistent fails at load with a :class:`PackError`
that names the file and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from backend.policy.codes import LIST_PARAMETERS, PARAMETERS, Assistance, Layer
from backend.policy.decisions import FILENAME as DECISIONS_FILE
from backend.policy.decisions import DecisionRules, parse_decisions
from backend.policy.errors import PackError, pack_error
from backend.policy.parameters import (
    Parameter,
    ParameterList,
    ParameterNotInForce,
    ParameterSet,
    ParameterValue,
    parse_formula,
    resolve,
)
from backend.policy.regions import PACKS, RegionTree, parse_regions
from backend.policy.resilience import ResilienceRules, parse_resilience
from backend.policy.rules import Rules, parse_rules
from backend.policy.triggers import TriggerRules, load_triggers
from backend.policy.yamlfile import read_yaml

__all__ = ["PACKS", "Pack", "PackError", "ParameterList", "ParameterNotInForce", "ParameterValue", "load_pack"]


@dataclass(frozen=True, slots=True)
class Station:
    """A social-work station (社工站) and the street offices it serves."""

    code: str
    names: dict[str, str]
    offices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Queue:
    """A programme queue and the layers or assistance that send a case to it."""

    code: str
    layers: tuple[Layer, ...]
    assistance: tuple[Assistance, ...]


@dataclass(frozen=True, slots=True)
class RoutingRules:
    """Everything in ``routing.yaml``; deadlines and amounts are dated parameters instead."""

    stations: tuple[Station, ...]
    queues: tuple[Queue, ...]
    station_service_levels: tuple[int, ...]

    def station_for(self, office: str) -> Station | None:
        return next((s for s in self.stations if office in s.offices), None)


@dataclass(frozen=True, slots=True)
class Pack:
    """A loaded, checked policy pack. Build with :func:`load_pack`."""

    name: str
    directory: Path
    regions: RegionTree
    parameters: Mapping[str, Parameter]
    rules: Rules
    resilience: ResilienceRules
    routing: RoutingRules
    triggers: TriggerRules = TriggerRules()
    decisions: DecisionRules | None = None
    _by_date: dict[date, ParameterSet] = field(default_factory=dict, repr=False, compare=False)

    def parameter(self, name: str, on: date) -> ParameterValue:
        """The value of ``name`` in force on ``on``, with its date and source.

        Raises:
            KeyError: the pack has no such parameter.
            ParameterNotInForce: before the first date, or after the parameter ended.
        """
        return resolve(self.parameters, name, on, {})

    def parameter_list(self, name: str, on: date) -> ParameterList:
        """The list of numbers ``name`` holds on ``on``, with its date and source.

        Raises:
            KeyError: the pack has no such parameter.
            TypeError: the parameter is a number, not a list.
            ParameterNotInForce: before the first date, or after the parameter ended.
        """
        parameter = self.parameters.get(name)
        if parameter is None:
            raise KeyError(f"no parameter {name!r} in this pack")
        return parameter.own_list(on)

    def at(self, on: date) -> ParameterSet:
        """Every parameter resolved for ``on``, computed once per date (the engine's hot path)."""
        found = self._by_date.get(on)
        if found is None:
            memo: dict[str, ParameterValue] = {}
            for name in PARAMETERS:
                resolve(self.parameters, name, on, memo)
            for name, parameter in self.parameters.items():
                if parameter.is_list:
                    continue  # Not a number; read with parameter_list.
                try:
                    resolve(self.parameters, name, on, memo)
                except ParameterNotInForce:
                    pass  # Not one the engine needs; asking for it by name still raises.
            found = self._by_date[on] = ParameterSet(on, memo)
        return found


def _number(raw: object, path: Path, key: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise pack_error(path, key, f"value must be a number, not {raw!r}")
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        raise pack_error(path, key, f"value must be a number, not {raw!r}") from None


def _numbers(raw: list[object], path: Path, key: str) -> tuple[Decimal, ...]:
    return tuple(_number(item, path, f"{key}.{i}") for i, item in enumerate(raw))


def _date(raw: object, path: Path, key: str) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise pack_error(path, key, f"{raw!r} is not a date (YYYY-MM-DD)") from None


def _parameter(name: str, raw: object, path: Path) -> Parameter:
    if not isinstance(raw, dict):
        raise pack_error(path, name, "must be a mapping with description, unit and values or formula")
    description, unit = str(raw.get("description") or ""), str(raw.get("unit") or "")
    if not description:
        raise pack_error(path, f"{name}.description", "missing")
    if ("values" in raw) == ("formula" in raw):
        raise pack_error(path, name, "needs either values or formula, not both or neither")
    if "formula" in raw:
        try:
            formula = parse_formula(str(raw["formula"]))
        except ValueError as error:
            raise pack_error(path, f"{name}.formula", str(error)) from None
        return Parameter(name, description, unit, formula=formula)
    values = raw["values"]
    if not isinstance(values, dict) or not values:
        raise pack_error(path, f"{name}.values", "must map dates to {value, source}")
    dated: dict[date, ParameterValue | ParameterList | None] = {}
    for key, item in values.items():
        where = f"{name}.values.{key}"
        since = _date(key, path, where)
        if since in dated:
            raise pack_error(path, where, f"date {since.isoformat()} is given twice")
        if not isinstance(item, dict) or "value" not in item:
            raise pack_error(path, where, "must be a mapping with value and source")
        if item["value"] is None:
            dated[since] = None  # The parameter ends on this date, as in OpenFisca.
            continue
        source = str(item.get("source") or "").strip()
        if not source:
            raise pack_error(path, f"{where}.source", "missing: every value needs the source it comes from")
        raw_value = item["value"]
        if isinstance(raw_value, list):
            dated[since] = ParameterList(_numbers(raw_value, path, f"{where}.value"), since, source)
        else:
            dated[since] = ParameterValue(_number(raw_value, path, f"{where}.value"), since, source)
    kinds = {type(v) for v in dated.values() if v is not None}
    if len(kinds) > 1:
        raise pack_error(path, f"{name}.values", "every value must be a number, or every value a list of numbers")
    starts = tuple(sorted(dated))
    return Parameter(name, description, unit, starts=starts, values=tuple(dated[d] for d in starts))


def _check_formulas(parameters: Mapping[str, Parameter], path: Path) -> None:
    """Every formula names known parameters, and none depends on itself."""
    for name, parameter in parameters.items():
        if parameter.formula is None:
            continue
        for used in parameter.formula.names:
            if used not in parameters:
                raise pack_error(path, f"{name}.formula", f"unknown parameter {used!r}")
            if parameters[used].is_list:
                raise pack_error(path, f"{name}.formula", f"{used!r} is a list of numbers, not a number")
    state: dict[str, int] = {}

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise pack_error(path, f"{name}.formula", f"depends on itself ({' → '.join(chain + (name,))})")
        state[name] = 1
        formula = parameters[name].formula
        for used in formula.names if formula else ():
            visit(used, chain + (name,))
        state[name] = 2

    for name in parameters:
        visit(name, ())


def parse_parameters(data: object, path: Path) -> dict[str, Parameter]:
    """Validate ``parameters.yaml``; every parameter the engine reads must be there."""
    if not isinstance(data, dict):
        raise pack_error(path, "(top)", "must be a mapping of parameter names")
    parameters = {str(name): _parameter(str(name), raw, path) for name, raw in data.items()}
    for name in PARAMETERS + LIST_PARAMETERS:
        if name not in parameters:
            raise pack_error(path, name, "missing parameter")
    for name in PARAMETERS:
        if parameters[name].is_list:
            raise pack_error(path, f"{name}.values", "must be a number, not a list")
    for name in LIST_PARAMETERS:
        if not parameters[name].is_list:
            raise pack_error(path, f"{name}.values", "must be a list of numbers")
    _check_formulas(parameters, path)
    return parameters


def parse_routing(data: object, path: Path, regions: RegionTree) -> RoutingRules:
    """Validate ``routing.yaml``: every office named must exist in the region tree."""
    if not isinstance(data, dict):
        raise pack_error(path, "(top)", "must be a mapping")
    offices = regions.office_codes()
    stations: list[Station] = []
    for i, raw in enumerate(data.get("social_work_stations") or []):
        key = f"social_work_stations[{i}]"
        if not isinstance(raw, dict) or not raw.get("code") or not isinstance(raw.get("offices"), list):
            raise pack_error(path, key, "needs a code, a name and a list of offices")
        names = raw.get("name")
        if not isinstance(names, dict) or not {"zh_CN", "en"} <= names.keys():
            raise pack_error(path, f"{key}.name", "needs zh_CN and en")
        for j, office in enumerate(raw["offices"]):
            if office not in offices:
                raise pack_error(path, f"{key}.offices[{j}]", f"unknown office {office!r}")
            if any(office in s.offices for s in stations):
                raise pack_error(path, f"{key}.offices[{j}]", f"office {office!r} already has a station")
        stations.append(Station(str(raw["code"]), {str(k): str(v) for k, v in names.items()}, tuple(raw["offices"])))
    for office in sorted(offices - {o for s in stations for o in s.offices}):
        raise pack_error(path, "social_work_stations", f"office {office!r} has no social-work station")
    queues: list[Queue] = []
    raw_queues = data.get("queues")
    if not isinstance(raw_queues, dict) or not raw_queues:
        raise pack_error(path, "queues", "missing, or not a mapping")
    for code, raw in raw_queues.items():
        key = f"queues.{code}"
        if not isinstance(raw, dict):
            raise pack_error(path, key, "must be a mapping with layers and/or assistance")
        try:
            layers = tuple(Layer(x) for x in raw.get("layers") or ())
        except ValueError as error:
            raise pack_error(path, f"{key}.layers", str(error)) from None
        try:
            assistance = tuple(Assistance(x) for x in raw.get("assistance") or ())
        except ValueError as error:
            raise pack_error(path, f"{key}.assistance", str(error)) from None
        if not layers and not assistance:
            raise pack_error(path, key, "names no layer and no assistance")
        queues.append(Queue(str(code), layers, assistance))
    levels = data.get("station_service_levels")
    if not isinstance(levels, list) or not set(levels) <= {1, 2, 3, 4}:
        raise pack_error(path, "station_service_levels", "must list service levels 1–4")
    return RoutingRules(tuple(stations), tuple(queues), tuple(levels))


def load_pack(name: str = "demo", root: Path = PACKS) -> Pack:
    """Load and check the pack ``root/name``; the first problem found raises PackError with file and key."""
    directory = root / name
    if not directory.is_dir():
        raise PackError(f"{directory}: no such policy pack")
    regions_path = directory / "regions.yaml"
    regions = parse_regions(read_yaml(regions_path), regions_path, name)
    parameters_path = directory / "parameters.yaml"
    parameters = parse_parameters(read_yaml(parameters_path), parameters_path)
    rules_path = directory / "rules.yaml"
    # A benefit formula computes with numbers: a list parameter is no name it may use.
    numbers = [key for key, parameter in parameters.items() if not parameter.is_list]
    rules = parse_rules(read_yaml(rules_path), rules_path, numbers)
    resilience_path = directory / "resilience.yaml"
    resilience = parse_resilience(read_yaml(resilience_path), resilience_path)
    routing_path = directory / "routing.yaml"
    routing = parse_routing(read_yaml(routing_path), routing_path, regions)
    triggers = load_triggers(directory, parameters)
    decisions_path = directory / DECISIONS_FILE
    decisions = parse_decisions(read_yaml(decisions_path), decisions_path, parameters)
    return Pack(name, directory, regions, parameters, rules, resilience, routing, triggers, decisions)

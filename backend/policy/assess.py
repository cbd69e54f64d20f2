"""Evaluate a household under a policy pack on a date: layer, types, assistance, services, trace.

Pure and deterministic: no I/O, no clock. Every rule evaluated leaves a :class:`RuleEvaluation`
in the trace with its inputs, the parameters it used (value, since, source) and its outcome.

This is the engine's hot path (the target is thousands of households a second with the full
trace), hence the precomputed constants and plain-string keys: enum members hash through
Python code, and ``.value`` is a property call.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal
from types import MappingProxyType

from backend.application import HardshipType
from backend.policy.codes import SEVERITY, Check, Layer, Service
from backend.policy.errors import UnknownRegion
from backend.policy.facts import Figures, measure
from backend.policy.household import Household
from backend.policy.outcome import Assessment, Refusal, RuleEvaluation, ServiceRecommendation, evaluation
from backend.policy.pack import Pack
from backend.policy.parameters import ParameterSet, ParameterValue
from backend.policy.resilience import score

ZERO, CENT, BASIS_POINT = Decimal(0), Decimal("0.01"), Decimal("0.0001")
_NO_PARAMETERS: Mapping[str, ParameterValue] = MappingProxyType({})
_NONE = Layer.NONE
_LAYERS: tuple[tuple[Layer, str], ...] = tuple((layer, f"layer_{layer.value}") for layer in Layer)
_TYPES: tuple[tuple[HardshipType, str, str], ...] = tuple((k, k.value, f"type_{k.value}") for k in HardshipType)
_SERVICES: dict[str, tuple[int, Service]] = {s.value: (i, s) for i, s in enumerate(Service)}
_CHECKS: dict[str, Check] = {c.value: c for c in Check}
_RIGID_MEDICAL = ("rigid_share_threshold_medical", "rigid_medical_share")
_RIGID_OTHER = ("rigid_share_threshold", "rigid_medical_share")
(
    _SAVINGS, _VEHICLES, _HOMES, _NO_INCOME, _NO_SUPPORTER, _UNABLE_MEMBERS, _DIBAO, _MARGINAL, _RIGID_INCOME,
    _RIGID_SHARE, _WATCH_INCOME, _WATCH_HEALTH, _WATCH_UNEMPLOYMENT,
) = (c.value for c in Check)


def _down(value: Decimal) -> Decimal:
    """An amount shown to the fen, rounded down so that a value below a line never shows at it."""
    return value.quantize(CENT, ROUND_DOWN)


def _up(value: Decimal) -> Decimal:
    """An amount shown to the fen, rounded up so that a value above a limit never shows at it."""
    return value.quantize(CENT, ROUND_UP)


def _check_region(household: Household, pack: Pack) -> str | None:
    region = household.region
    if region is None:
        return None
    district = pack.regions.district_of(region.office)
    if district is None:
        raise UnknownRegion(f"region.office: unknown office {region.office!r} in policy pack {pack.name!r}")
    if district.code != region.district:
        raise UnknownRegion(
            f"region.district: office {region.office!r} is in district {district.code!r}, not {region.district!r}"
        )
    return region.office


def _checks(f: Figures, p: ParameterSet, trace: list[RuleEvaluation]) -> dict[str, bool]:
    """The elementary checks the pack's layer rules combine, each traced; keyed by check id."""
    per_capita = f.per_capita_income
    shown = _down(per_capita)
    results: dict[str, bool] = {}
    add = trace.append
    value = p.value

    def record(check: str, passed: bool, inputs: dict[str, object], used: Mapping[str, ParameterValue]) -> None:
        results[check] = passed
        add(evaluation((check, passed, inputs, used)))

    used = p.subset("savings_limit_per_person")
    record(
        _SAVINGS,
        f.savings <= used["savings_limit_per_person"].value * f.members,  # savings ÷ members ≤ limit, exactly
        {"savings": f.savings, "members": f.members, "savings_per_person": _up(f.savings / f.members)},
        used,
    )
    record(_VEHICLES, f.vehicles <= value("max_vehicles"), {"vehicles": f.vehicles}, p.subset("max_vehicles"))
    record(_HOMES, f.homes <= value("max_homes"), {"homes": f.homes}, p.subset("max_homes"))
    record(_NO_INCOME, not f.household_income, {"household_income": f.household_income}, _NO_PARAMETERS)
    # Not known (not asked) is not "no one": the check passes only when the answer was no.
    record(_NO_SUPPORTER, f.able_supporter is False, {"able_supporter": f.able_supporter}, _NO_PARAMETERS)
    record(
        _UNABLE_MEMBERS,
        not f.able_members,
        {"able_members": f.able_members, "members": f.members},
        p.subset("elderly_age", "child_age", "severe_disability_grade"),
    )
    record(_DIBAO, per_capita < value("dibao_standard"), {"per_capita_income": shown}, p.subset("dibao_standard"))
    record(
        _MARGINAL,
        per_capita < value("marginal_line"),
        {"per_capita_income": shown},
        p.subset("marginal_line", "marginal_multiple", "dibao_standard"),
    )
    record(
        _RIGID_INCOME,
        per_capita < value("rigid_income_line"),
        {"per_capita_income": shown},
        p.subset("rigid_income_line"),
    )
    annual = f.household_income * 12
    medical_rule = f.rigid_total > 0 and f.medical >= value("rigid_medical_share") * f.rigid_total
    names = _RIGID_MEDICAL if medical_rule else _RIGID_OTHER
    used = p.subset(*names)
    threshold = used[names[0]].value
    if annual:
        # spending ÷ annual income > threshold, compared without dividing so the line is exact.
        passed = f.rigid_total > threshold * annual
        share: Decimal | None = (f.rigid_total / annual).quantize(BASIS_POINT)
    else:
        passed, share = f.rigid_total > 0, None  # any spending with no income qualifies
    record(
        _RIGID_SHARE,
        passed,
        {
            "rigid_total": f.rigid_total,
            "medical": f.medical,
            "annual_income": annual,
            "share": share,
            "medical_rule": medical_rule,
            "threshold": threshold,
        },
        used,
    )
    record(
        _WATCH_INCOME,
        per_capita < value("watch_income_line"),
        {"per_capita_income": shown},
        p.subset("watch_income_line", "watch_multiple", "dibao_standard"),
    )
    record(
        _WATCH_HEALTH,
        f.serious > 0 or f.severe_disabled > 0,
        {"serious": f.serious, "severe_disabled": f.severe_disabled},
        p.subset("severe_disability_grade"),
    )
    record(
        _WATCH_UNEMPLOYMENT,
        f.unemployed > 0 and f.employed == 0,
        {"working_age": f.working_age, "employed": f.employed, "unemployed": f.unemployed},
        p.subset("working_age_min", "working_age_max"),
    )
    return results


def assess(household: Household, on: date, pack: Pack) -> Assessment:
    """Evaluate ``household`` under ``pack`` with the parameters in force on ``on``.

    Args:
        household: the household part of an application.
        on: the date whose parameters apply.
        pack: a loaded policy pack.

    Raises:
        UnknownRegion: the household names an office the pack does not have.
        ParameterNotInForce: ``on`` is before the pack's parameters start.
    """
    office = _check_region(household, pack)
    params = pack.at(on)
    rules = pack.rules
    f = measure(household, params)
    trace: list[RuleEvaluation] = [
        evaluation(
            (
                "income",
                f.household_income,
                {
                    "members": f.members,
                    "member_income": f.member_income,
                    "other_income": f.other_income,
                    "household_income": f.household_income,
                    "per_capita_income": _down(f.per_capita_income),
                },
                _NO_PARAMETERS,
            )
        )
    ]
    add = trace.append
    checks = _checks(f, params, trace)

    # Layers, most severe first: the first that qualifies is the household's; each one above it
    # is refused with the checks it failed.
    layer = _NONE
    refusals: list[Refusal] = []
    for rule in rules.layers:
        failed = rule.failed(checks)
        add(evaluation((rule.id, not failed, {"needs": "all" if rule.needs_all else "any", "checks": rule.check_ids,
                                               "failed": failed}, _NO_PARAMETERS)))
        if layer is _NONE:
            if failed:
                refusals.append(Refusal(rule.layer, tuple([_CHECKS[c] for c in failed])))
            else:
                layer = rule.layer
    add(evaluation(("layer", layer, {"severity": SEVERITY[layer]}, _NO_PARAMETERS)))

    # Types: those the resident declared, and those the answers show.
    facts: dict[str, bool] = dict(f.facts)
    found = tuple([kind for kind, rule in rules.types if rule.matched(facts) is not None])
    present = {kind._value_ for kind in f.declared_types}
    present.update(kind._value_ for kind in found)
    types = tuple([kind for kind, code, _ in _TYPES if code in present])
    add(evaluation(("types", types, {"declared": f.declared_types, "found": found}, _NO_PARAMETERS)))
    for each, name in _LAYERS:
        facts[name] = each is layer
    for _, code, name in _TYPES:
        facts[name] = code in present

    assistance = []
    emergency_by = []
    for item in rules.assistance:
        matched = item.rule.matched(facts)
        add(evaluation((item.rule.id, matched is not None, {"matched": matched or ()}, _NO_PARAMETERS)))
        if matched is not None:
            assistance.append(item.code)
            if item.emergency:
                emergency_by.append(item.code)
    emergency = bool(emergency_by)
    add(evaluation(("emergency", emergency, {"by": tuple(emergency_by)}, params.subset("emergency_deadline_hours"))))
    facts["emergency"] = emergency
    facts["any_hardship"] = bool(types)

    # Services: every matching rule adds its services; a service keeps its most urgent level.
    levels: dict[str, int] = {}
    for service_rule in rules.services:
        matched = service_rule.rule.matched(facts)
        level = service_rule.level
        add(
            evaluation(
                (
                    service_rule.rule.id,
                    matched is not None,
                    {"level": level, "services": service_rule.service_ids, "matched": matched or ()},
                    _NO_PARAMETERS,
                )
            )
        )
        if matched is not None:
            for service in service_rule.service_ids:
                if levels.get(service, 5) > level:
                    levels[service] = level
    services = tuple(
        [
            ServiceRecommendation(_SERVICES[code][1], level)
            for code, level in sorted(levels.items(), key=lambda item: (item[1], _SERVICES[item[0]][0]))
        ]
    )

    benefit = ZERO.quantize(CENT)
    formula = rules.benefits.get(layer)
    used: Mapping[str, ParameterValue] = _NO_PARAMETERS
    if formula is not None:
        quantities = {
            "members": Decimal(f.members),
            "household_income": f.household_income,
            "per_capita_income": f.per_capita_income,
        }
        used = params.subset(*(n for n in formula.names if n not in quantities))
        values = {n: quantities[n] if n in quantities else params.value(n) for n in formula.names}
        benefit = max(ZERO, formula.evaluate(values)).quantize(CENT, ROUND_HALF_UP)
    add(
        evaluation(
            (
                "benefit",
                benefit,
                {
                    "layer": layer,
                    "formula": formula.text if formula else None,
                    "members": f.members,
                    "household_income": f.household_income,
                    "per_capita_income": _down(f.per_capita_income),
                },
                used,
            )
        )
    )

    resilience, scored = score(f, params, pack.resilience)
    trace.extend(scored)
    return Assessment(
        pack=pack.name,
        on=on,
        layer=layer,
        types=types,
        assistance=tuple(assistance),
        services=services,
        service_level=min(levels.values()) if levels else None,
        emergency=emergency,
        benefit_estimate=benefit,
        resilience=resilience,
        refusals=tuple(refusals),
        office=office,
        trace=tuple(trace),
        facts=facts,
    )

"""Risk resilience (抗风险能力) on seven dimensions, each scored 0–100 by rules from ``resilience.yaml``.

Scores (all bands and points come from the pack; the demo's figures in brackets):

- income: per-capita income ÷ ``dibao_standard``, scored by bands (under 0.5 → 0 … 3 or more → 100);
- assets: savings per person ÷ ``savings_limit_per_person`` by bands, plus points for owning a home
  and a vehicle, at most 100;
- family: starts at 100, minus points by the share of dependants (60+, under 16, disability grade
  1–2 or unable to work), minus points for an elderly person living alone and for a single adult
  raising minors;
- health: starts at 100, minus points per member with a serious or chronic illness, a severe
  (grade 1–2) or other disability; never below 0;
- expenditure: rigid spending of 12 months ÷ 12 months of income, by bands (no spending → 100,
  any spending with no income → the last band);
- employment: employed share of working-age members who are not students, by bands; a household
  with nobody of working age gets a fixed score;
- housing: a score per housing status.

The total is the weighted sum (weights sum to 1), so it lies within 0–100; the level is the first
whose bound the total is below (1 = weakest).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from pathlib import Path
from types import MappingProxyType

from backend.application import HousingStatus
from backend.policy.codes import Dimension
from backend.policy.errors import pack_error
from backend.policy.facts import Figures
from backend.policy.outcome import DimensionScore, Resilience, RuleEvaluation, evaluation
from backend.policy.parameters import ParameterSet, ParameterValue

ZERO, HUNDRED, CENT = Decimal(0), Decimal(100), Decimal("0.01")
_NONE: Mapping[str, ParameterValue] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Band:
    """Applies to a measure below ``bound`` (or at most, when ``inclusive``); the last band has no bound."""

    bound: Decimal | None
    inclusive: bool
    value: Decimal


def band_value(bands: tuple[Band, ...], measure: Decimal | None) -> Decimal:
    """The value of the first band the measure falls in; ``None`` (infinite) falls in the last."""
    if measure is not None:
        for band in bands:
            if band.bound is None or measure < band.bound or (band.inclusive and measure == band.bound):
                return band.value
    return bands[-1].value


@dataclass(frozen=True, slots=True)
class ResilienceRules:
    """Everything in ``resilience.yaml``."""

    source: str
    weights: Mapping[Dimension, Decimal]
    levels: tuple[tuple[int, Decimal | None], ...]
    income_bands: tuple[Band, ...]
    asset_bands: tuple[Band, ...]
    asset_points: Mapping[str, Decimal]
    family_start: Decimal
    dependant_bands: tuple[Band, ...]
    family_points: Mapping[str, Decimal]
    health_start: Decimal
    health_points: Mapping[str, Decimal]
    expenditure_bands: tuple[Band, ...]
    employment_bands: tuple[Band, ...]
    employment_no_working_age: Decimal
    housing_scores: Mapping[HousingStatus, Decimal]
    # Derived once, for the hot path: (dimension, rule id, weight) in Dimension order, housing
    # scores by plain status string, and the level bounds as the trace shows them.
    ordered: tuple[tuple[Dimension, str, Decimal], ...] = field(init=False, repr=False)
    housing_by_status: Mapping[str, Decimal] = field(init=False, repr=False)
    bounds: Mapping[str, Decimal] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ordered = tuple((d, f"resilience.{d.value}", self.weights[d]) for d in Dimension)
        object.__setattr__(self, "ordered", ordered)
        housing_by_status = {k.value: v for k, v in self.housing_scores.items()}
        object.__setattr__(self, "housing_by_status", MappingProxyType(housing_by_status))
        bounds = {str(level): bound for level, bound in self.levels if bound is not None}
        object.__setattr__(self, "bounds", MappingProxyType(bounds))


def _number(raw: object, path: Path, key: str, low: Decimal | None = ZERO, high: Decimal | None = HUNDRED) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise pack_error(path, key, f"must be a number, not {raw!r}")
    try:
        value = Decimal(str(raw))
    except ArithmeticError:
        raise pack_error(path, key, f"must be a number, not {raw!r}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise pack_error(path, key, f"{value} is outside {low}–{high}")
    return value


def _bands(raw: object, path: Path, key: str) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        raise pack_error(path, key, "must be a non-empty list of bands")
    bands: list[Band] = []
    for i, item in enumerate(raw):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise pack_error(path, where, "must be a mapping")
        value = _number(item.get("score", item.get("points")), path, f"{where}.score")
        bounds = [k for k in ("below", "at_most") if k in item]
        last = i == len(raw) - 1
        if last != (not bounds) or len(bounds) > 1:
            raise pack_error(path, where, "every band but the last needs one of below / at_most; the last none")
        if bounds:
            bound = _number(item[bounds[0]], path, f"{where}.{bounds[0]}", low=None, high=None)
            if bands and bands[-1].bound is not None and bound <= bands[-1].bound:
                raise pack_error(path, where, "bounds must increase")
            bands.append(Band(bound, bounds[0] == "at_most", value))
        else:
            bands.append(Band(None, False, value))
    return tuple(bands)


def _points(raw: object, path: Path, key: str, names: tuple[str, ...]) -> dict[str, Decimal]:
    if not isinstance(raw, dict) or set(raw) != set(names):
        raise pack_error(path, key, f"must give exactly {', '.join(names)}")
    return {name: _number(raw[name], path, f"{key}.{name}") for name in names}


def _dimension(data: dict[str, object], dimension: Dimension, path: Path) -> dict[str, object]:
    found = data.get(dimension.value)
    if not isinstance(found, dict):
        raise pack_error(path, f"dimensions.{dimension.value}", "missing, or not a mapping")
    return found


def parse_resilience(data: object, path: Path) -> ResilienceRules:
    """Validate ``resilience.yaml``: seven weights summing to exactly 1, rising level bounds, sane bands."""
    if not isinstance(data, dict):
        raise pack_error(path, "(top)", "must be a mapping")
    raw_weights = data.get("weights")
    if not isinstance(raw_weights, dict):
        raise pack_error(path, "weights", "missing, or not a mapping")
    for name in raw_weights:
        if name not in {d.value for d in Dimension}:
            raise pack_error(path, f"weights.{name}", "unknown dimension")
    weights = {}
    for dimension in Dimension:
        if dimension.value not in raw_weights:
            raise pack_error(path, f"weights.{dimension.value}", "missing")
        weights[dimension] = _number(raw_weights[dimension.value], path, f"weights.{dimension.value}", high=Decimal(1))
    if sum(weights.values()) != 1:
        raise pack_error(path, "weights", f"must sum to 1, not {sum(weights.values())}")

    raw_levels = data.get("levels")
    if (not isinstance(raw_levels, list)
            or [x.get("level") if isinstance(x, dict) else None for x in raw_levels] != [1, 2, 3]):
        raise pack_error(path, "levels", "must list levels 1, 2 and 3 in order")
    levels: list[tuple[int, Decimal | None]] = []
    for i, item in enumerate(raw_levels):
        last = i == len(raw_levels) - 1
        if last != ("below" not in item):
            raise pack_error(path, f"levels[{i}]", "levels 1 and 2 need 'below'; level 3 takes the rest")
        bound = None if last else _number(item["below"], path, f"levels[{i}].below")
        if bound is not None and levels and levels[-1][1] is not None and bound <= levels[-1][1]:
            raise pack_error(path, f"levels[{i}].below", "bounds must increase")
        levels.append((item["level"], bound))

    dims = data.get("dimensions")
    if not isinstance(dims, dict):
        raise pack_error(path, "dimensions", "missing, or not a mapping")
    income = _dimension(dims, Dimension.INCOME, path)
    assets = _dimension(dims, Dimension.ASSETS, path)
    family = _dimension(dims, Dimension.FAMILY, path)
    health = _dimension(dims, Dimension.HEALTH, path)
    expenditure = _dimension(dims, Dimension.EXPENDITURE, path)
    employment = _dimension(dims, Dimension.EMPLOYMENT, path)
    housing = _dimension(dims, Dimension.HOUSING, path)
    raw_housing = housing.get("scores")
    if not isinstance(raw_housing, dict) or set(raw_housing) != {s.value for s in HousingStatus}:
        raise pack_error(path, "dimensions.housing.scores", f"must score exactly {', '.join(s for s in HousingStatus)}")
    return ResilienceRules(
        source=str(data.get("source") or ""),
        weights=weights,
        levels=tuple(levels),
        income_bands=_bands(income.get("bands"), path, "dimensions.income.bands"),
        asset_bands=_bands(assets.get("bands"), path, "dimensions.assets.bands"),
        asset_points=_points(assets.get("add"), path, "dimensions.assets.add", ("home", "vehicle")),
        family_start=_number(family.get("start"), path, "dimensions.family.start"),
        dependant_bands=_bands(family.get("dependants"), path, "dimensions.family.dependants"),
        family_points=_points(
            family.get("subtract"),
            path,
            "dimensions.family.subtract",
            ("elderly_living_alone", "single_adult_with_minors"),
        ),
        health_start=_number(health.get("start"), path, "dimensions.health.start"),
        health_points=_points(
            health.get("subtract_per_member"),
            path,
            "dimensions.health.subtract_per_member",
            ("serious", "chronic", "severe_disability", "disability"),
        ),
        expenditure_bands=_bands(expenditure.get("bands"), path, "dimensions.expenditure.bands"),
        employment_bands=_bands(employment.get("bands"), path, "dimensions.employment.bands"),
        employment_no_working_age=_number(
            employment.get("no_working_age"), path, "dimensions.employment.no_working_age"
        ),
        housing_scores={
            HousingStatus(k): _number(v, path, f"dimensions.housing.scores.{k}") for k, v in raw_housing.items()
        },
    )


def _clamp(value: Decimal) -> Decimal:
    return min(HUNDRED, max(ZERO, value))


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole if whole else None


def _shown(value: Decimal | None) -> Decimal | None:
    """A ratio as shown to people, to two places; the score uses the exact one."""
    return None if value is None else value.quantize(CENT)


def score(figures: Figures, params: ParameterSet, rules: ResilienceRules) -> tuple[Resilience, list[RuleEvaluation]]:
    """Score the seven dimensions, weight them, and grade the total; one trace entry per dimension."""
    dimensions: list[DimensionScore] = []
    trace: list[RuleEvaluation] = []
    ordered = iter(rules.ordered)

    def add(points: Decimal, inputs: dict[str, object], used: Mapping[str, ParameterValue]) -> None:
        dimension, rule_id, weight = next(ordered)  # dimensions are added in Dimension order
        contribution = (weight * points).quantize(CENT)
        dimensions.append(DimensionScore(dimension, points, weight, contribution))
        inputs["weight"] = weight
        inputs["contribution"] = contribution
        trace.append(evaluation((rule_id, points, inputs, used)))

    # income: per-capita income as a multiple of the dibao standard
    used = params.subset("dibao_standard")
    ratio = figures.per_capita_income / used["dibao_standard"].value
    add(
        band_value(rules.income_bands, ratio),
        {"per_capita_income": figures.per_capita_income.quantize(CENT, ROUND_DOWN), "ratio": _shown(ratio)},
        used,
    )

    # assets: savings per person as a multiple of the limit, plus a home and a vehicle
    used = params.subset("savings_limit_per_person")
    per_person = figures.savings / figures.members
    ratio = per_person / used["savings_limit_per_person"].value
    base = band_value(rules.asset_bands, ratio)
    added: dict[str, Decimal] = {}
    if figures.homes:
        added["home"] = rules.asset_points["home"]
    if figures.vehicles:
        added["vehicle"] = rules.asset_points["vehicle"]
    add(
        _clamp(base + sum(added.values(), ZERO)),
        {
            "savings_per_person": per_person.quantize(CENT, ROUND_UP),
            "ratio": _shown(ratio),
            "base": base,
            "added": added,
        },
        used,
    )

    # family structure: dependants, an elderly person alone, one adult raising minors
    ratio = Decimal(figures.dependants) / figures.members
    subtracted: dict[str, Decimal] = {}
    points = band_value(rules.dependant_bands, ratio)
    if points:
        subtracted["dependants"] = points
    family = rules.family_points
    if figures.facts["elderly_living_alone"] and family["elderly_living_alone"]:
        subtracted["elderly_living_alone"] = family["elderly_living_alone"]
    if figures.adults == 1 and figures.minors > 0 and family["single_adult_with_minors"]:
        subtracted["single_adult_with_minors"] = family["single_adult_with_minors"]
    add(
        _clamp(rules.family_start - sum(subtracted.values(), ZERO)),
        {
            "members": figures.members,
            "dependants": figures.dependants,
            "ratio": _shown(ratio),
            "start": rules.family_start,
            "subtracted": subtracted,
        },
        _NONE,
    )

    # health: points off per member for each condition
    counts: dict[str, int] = {}
    subtracted = {}
    for name, count in (
        ("serious", figures.serious),
        ("chronic", figures.chronic),
        ("severe_disability", figures.severe_disabled),
        ("disability", figures.other_disabled),
    ):
        if count:
            counts[name] = count
            if rules.health_points[name]:
                subtracted[name] = rules.health_points[name] * count
    add(
        _clamp(rules.health_start - sum(subtracted.values(), ZERO)),
        {"start": rules.health_start, "counts": counts, "subtracted": subtracted},
        _NONE,
    )

    # expenditure: rigid spending of 12 months over 12 months of income
    annual = figures.household_income * 12
    # With no income, any rigid spending is unbearable: it falls in the last band.
    share = ZERO if not figures.rigid_total else _ratio(figures.rigid_total, annual)
    add(
        band_value(rules.expenditure_bands, share),
        {"rigid_total": figures.rigid_total, "annual_income": annual, "share": _shown(share)},
        _NONE,
    )

    # employment: employed share of working-age members outside school
    if figures.working_age:
        share = Decimal(figures.employed) / figures.working_age
        points = band_value(rules.employment_bands, share)
    else:
        share, points = None, rules.employment_no_working_age
    add(points, {"working_age": figures.working_age, "employed": figures.employed, "share": _shown(share)}, _NONE)

    # housing: a score per status
    add(rules.housing_by_status[figures.housing._value_], {"status": figures.housing}, _NONE)

    # Rounded contributions could add up to a hair over 100 with odd weights; the scale stops at 100.
    total = min(HUNDRED, sum([d.contribution for d in dimensions], ZERO))
    level = next(lvl for lvl, bound in rules.levels if bound is None or total < bound)
    trace.append(evaluation(("resilience.total", level, {"total": total, "bounds": rules.bounds}, _NONE)))
    return Resilience(total, level, tuple(dimensions)), trace

"""The evaluation and its trace: inputs, parameters with dates and sources, outcomes, refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from backend.application import ApplicationV1
from backend.policy.assess import assess
from backend.policy.codes import Check, Layer
from backend.policy.errors import UnknownRegion
from backend.policy.household import Household
from backend.policy.pack import Pack, ParameterNotInForce, load_pack

ON = date(2025, 6, 1)


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack("demo")


def household(**changes: Any) -> Household:
    data: dict[str, Any] = {
        "members": [{"relation": "self", "age": 45, "health": "healthy", "work": "employed", "monthly_income": "600"}],
        "assets": {"savings": "0", "vehicles": 0, "homes": 1},
        "housing": {"status": "own"},
    }
    data.update(changes)
    return Household.model_validate(data)


def entry(result, rule: str):
    return next(e for e in result.trace if e.rule == rule)


def test_the_trace_records_inputs_parameters_and_outcome(pack: Pack) -> None:
    result = assess(household(), ON, pack)
    dibao = entry(result, "dibao.income")
    assert dibao.outcome is True
    assert dibao.inputs == {"per_capita_income": Decimal("600.00")}
    used = dibao.parameters["dibao_standard"]
    assert (used.value, used.since) == (Decimal(1000), date(2025, 1, 1))
    assert used.source
    assert entry(result, "layer").outcome is Layer.DIBAO


def test_every_check_and_rule_is_in_the_trace_once(pack: Pack) -> None:
    result = assess(household(), ON, pack)
    rules = [str(e.rule) for e in result.trace]
    assert len(rules) == len(set(rules))
    for check in Check:
        assert check.value in rules
    for layer in Layer:
        if layer is not Layer.NONE:
            assert f"layer.{layer.value}" in rules
    for expected in ("income", "layer", "types", "emergency", "benefit", "resilience.total"):
        assert expected in rules
    assert sum(r.startswith("assistance.") for r in rules) == len(pack.rules.assistance)
    assert sum(r.startswith("service.") for r in rules) == len(pack.rules.services)
    assert sum(r.startswith("resilience.") for r in rules) == 8


def test_the_trace_uses_the_parameters_of_the_date(pack: Pack) -> None:
    older = assess(household(), date(2024, 6, 1), pack)
    assert entry(older, "dibao.income").parameters["dibao_standard"].value == 900
    assert entry(older, "benefit").outcome == Decimal("300.00")
    assert older.benefit_estimate == Decimal("300.00")


def test_refusals_name_the_failed_checks_of_each_more_severe_layer(pack: Pack) -> None:
    result = assess(household(members=[{"relation": "self", "age": 45, "health": "healthy", "work": "employed",
                                        "monthly_income": "2500"}]), ON, pack)
    assert result.layer is Layer.NONE
    refusals = {r.layer: r.failed for r in result.refusals}
    assert list(refusals) == [Layer.TEKUN, Layer.DIBAO, Layer.DIBAO_MARGINAL, Layer.RIGID_EXPENSE, Layer.WATCH]
    assert refusals[Layer.DIBAO] == (Check.DIBAO_INCOME,)
    assert refusals[Layer.RIGID_EXPENSE] == (Check.RIGID_SHARE,)
    assert refusals[Layer.WATCH] == (Check.WATCH_INCOME, Check.WATCH_HEALTH, Check.WATCH_UNEMPLOYMENT)


def test_a_layer_is_refused_only_above_the_one_given(pack: Pack) -> None:
    result = assess(household(), ON, pack)
    assert [r.layer for r in result.refusals] == [Layer.TEKUN]


def test_the_benefit_is_rounded_to_the_fen_and_labelled_an_estimate(pack: Pack) -> None:
    members = [
        {"relation": "self", "age": 40, "health": "healthy", "work": "employed", "monthly_income": "1000"},
        {"relation": "spouse", "age": 40, "health": "healthy", "work": "employed", "monthly_income": "0"},
        {"relation": "child", "age": 9, "health": "healthy", "work": "student"},
    ]
    result = assess(household(members=members, other_income={"other": "0.005"}), ON, pack)
    assert result.benefit_estimate == Decimal("2000.00")  # 3,000 − 1,000.005 = 1,999.995 → 2,000.00 (half up)
    as_json = result.as_json()["benefit_estimate"]
    assert as_json == {"amount": "2000.00", "currency": "CNY", "period": "month", "estimate": True}


def test_an_unknown_office_is_refused(pack: Pack) -> None:
    with pytest.raises(UnknownRegion, match="atlantis"):
        assess(household(region={"district": "minghu", "office": "atlantis"}), ON, pack)
    with pytest.raises(UnknownRegion, match="region.district"):
        assess(household(region={"district": "minghu", "office": "songlin"}), ON, pack)
    assert assess(household(region={"district": "qingshan", "office": "songlin"}), ON, pack).office == "songlin"


def test_a_date_before_the_parameters_start_is_refused(pack: Pack) -> None:
    with pytest.raises(ParameterNotInForce, match="2023-06-01"):
        assess(household(), date(2023, 6, 1), pack)


def test_the_household_of_an_application() -> None:
    application = ApplicationV1.model_validate(
        {
            "locale": "zh_CN",
            "consent": {"version": 1, "given_at": datetime(2025, 6, 1, tzinfo=UTC)},
            "applicant": {
                "for_whom": "self", "name": "张三", "id_number": "11010519491231002X", "mobile": "13800138000"
            },
            "region": {"district": "minghu", "office": "hubin"},
            "members": [{"relation": "self", "age": 75, "health": "chronic", "work": "retired"}],
            "other_income": {"pension": "300"},
            "assets": {"savings": "1000", "vehicles": 0, "homes": 1},
            "rigid_spending": {"medical": "3000"},
            "housing": {"status": "own"},
            "hardship": {"types": ["illness"], "account": ""},
            "able_supporter": True,
            "submitted_at": datetime(2025, 6, 1, tzinfo=UTC),
        }
    )
    found = Household.from_application(application)
    assert found.members == application.members
    assert found.able_supporter is True
    assert found.region == application.region
    assert set(Household.model_fields) - {"region"} <= set(ApplicationV1.model_fields)


def test_the_json_form_is_plain_json(pack: Pack) -> None:
    import json

    result = assess(household(urgent_needs=["no_food"]), ON, pack).as_json()
    text = json.dumps(result, ensure_ascii=False)
    assert json.loads(text)["emergency"] is True
    assert set(result) >= {
        "layer", "types", "assistance", "services", "emergency", "benefit_estimate", "resilience", "trace"
    }
    assert set(result["resilience"]) == {"total", "level", "dimensions"}
    dibao = next(e for e in result["trace"] if e["rule"] == "dibao.income")
    assert dibao["parameters"]["dibao_standard"]["since"] == "2025-01-01"

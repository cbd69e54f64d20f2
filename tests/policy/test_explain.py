"""Every policy message exists in zh_CN and en and renders; the sentences say what the rules did."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from backend.application import HardshipType, HousingStatus
from backend.policy.assess import assess
from backend.policy.cases import load_cases
from backend.policy.codes import (
    HOUSEHOLD_FACTS,
    LATE_FACTS,
    OUTCOME_FACTS,
    Assistance,
    Check,
    Dimension,
    Layer,
    Service,
)
from backend.policy.explain import explain, rule_message
from backend.policy.household import Household
from backend.policy.pack import load_pack
from locales import SUPPORTED, Translations, read_catalog

PACK = load_pack("demo")
RESULTS = [assess(c.household, c.date, PACK) for f in load_cases(PACK.directory / "cases") for c in f.cases]


@pytest.fixture(scope="module")
def translations() -> Translations:
    return Translations()


def policy_keys(locale: str) -> set[str]:
    return {key for key in read_catalog(locale) if key.startswith("policy.")}


def test_both_locales_have_the_same_policy_keys() -> None:
    assert policy_keys("zh_CN") == policy_keys("en")


def names_needed() -> set[str]:
    needed = {f"policy.layer.{x}" for x in Layer} | {f"policy.type.{x}" for x in HardshipType}
    needed |= {f"policy.assistance.{x}" for x in Assistance} | {f"policy.service.{x}" for x in Service}
    needed |= {f"policy.dimension.{x}" for x in Dimension} | {f"policy.housing.{x}" for x in HousingStatus}
    needed |= {f"policy.check.{x}" for x in Check}
    needed |= {f"policy.fact.{x}" for x in HOUSEHOLD_FACTS + OUTCOME_FACTS + LATE_FACTS}
    needed |= {f"policy.parameter.{name}" for name in PACK.parameters}
    return needed


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_name_has_a_message_that_renders(translations: Translations, locale: str) -> None:
    messages = translations(locale)
    missing = names_needed() - policy_keys(locale)
    assert not missing, f"{locale} lacks {sorted(missing)}"
    for key in sorted(names_needed()):
        assert messages.render(key, value=parameter_value(key.split(".")[-1])
                               if key.startswith("policy.parameter.") else None)


def parameter_value(name: str) -> object:
    on = date(2025, 6, 1)
    if PACK.parameters[name].is_list:
        return PACK.parameter_list(name, on).items
    return PACK.parameter(name, on).value


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_trace_entry_of_every_case_renders(translations: Translations, locale: str) -> None:
    messages = translations(locale)
    used: set[str] = set()
    for result in RESULTS:
        for entry in result.trace:
            key, params = rule_message(entry)
            used.add(key)
            assert messages.render(key, **params)
        lines = explain(result, messages, PACK.regions)
        assert lines.count("") == 2 and all(line.strip(" -") for line in lines if line)  # two section breaks
    rule_keys = {k for k in policy_keys(locale) if k.startswith("policy.rule.")}
    assert rule_keys <= used, f"rule messages no case exercises: {sorted(rule_keys - used)}"


def sentences(household: dict[str, Any], on: date, locale: str, translations: Translations) -> list[str]:
    result = assess(Household.model_validate(household), on, PACK)
    return explain(result, translations(locale), PACK.regions)


HOUSEHOLD = {
    "members": [{"relation": "self", "age": 45, "health": "healthy", "work": "employed", "monthly_income": "600"}],
    "assets": {"savings": "0", "vehicles": 0, "homes": 1},
    "housing": {"status": "own"},
    "region": {"district": "minghu", "office": "hubin"},
}


def test_the_dibao_sentence_in_english(translations: Translations) -> None:
    lines = sentences(HOUSEHOLD, date(2025, 6, 1), "en", translations)
    assert ("- Per-capita income CN¥600.00 is below the dibao standard CN¥1,000.00 "
            "in force since January 1, 2025.") in lines
    assert any("Estimated benefit: CN¥400.00 a month (an estimate" in line for line in lines)
    assert any("Hubin Subdistrict" in line and "review" in line for line in lines)


def test_the_dibao_sentence_in_chinese(translations: Translations) -> None:
    lines = sentences(HOUSEHOLD, date(2025, 6, 1), "zh_CN", translations)
    assert "- 人均月收入 ¥600.00，低于自2025年1月1日起执行的低保标准 ¥1,000.00。" in lines
    assert any("湖滨街道" in line and "复核" in line for line in lines)


def test_the_2024_standard_is_named_with_its_own_date(translations: Translations) -> None:
    lines = sentences(HOUSEHOLD, date(2024, 6, 1), "en", translations)
    assert ("- Per-capita income CN¥600.00 is below the dibao standard CN¥900.00 "
            "in force since January 1, 2024.") in lines


def test_no_layer_explains_why_and_what_may_still_fit(translations: Translations) -> None:
    household = {**HOUSEHOLD, "members": [
        {"relation": "self", "age": 45, "health": "healthy", "work": "unemployed", "monthly_income": "0"},
        {"relation": "spouse", "age": 44, "health": "healthy", "work": "employed", "monthly_income": "6000"},
    ]}
    lines = sentences(household, date(2025, 6, 1), "en", translations)
    assert "- Layer: no assistance layer" in lines
    assert any(line.startswith("- Not minimum living allowance (低保): not met: per-capita income below the dibao")
               for line in lines)
    assert any(line.startswith("- Not monitored household (监测对象): none of these holds:") for line in lines)
    assert any("may help: employment assistance" in line for line in lines)
    assert any("ask for a review" in line for line in lines)


def test_resilience_contributions_are_explained(translations: Translations) -> None:
    lines = sentences(HOUSEHOLD, date(2025, 6, 1), "en", translations)
    assert any(line.startswith("- Resilience, income: per-capita income CN¥600.00 is 0.6 × the dibao standard") and
               "score 20 × weight 0.25 = 5" in line for line in lines)
    assert any(line.startswith("- Resilience total 68 of 100: level 3") for line in lines)


def test_parameters_are_listed_with_their_sources(translations: Translations) -> None:
    lines = sentences(HOUSEHOLD, date(2025, 6, 1), "zh_CN", translations)
    line = next(x for x in lines if x.startswith("- 低保标准每人每月 ¥1,000.00"))
    assert "自2025年1月1日起执行" in line and "来源：" in line and "issue #4" in line


ALONE_AT_80 = {
    "members": [{"relation": "self", "age": 80, "health": "chronic", "work": "retired", "monthly_income": "0"}],
    "assets": {"savings": "0", "vehicles": 0, "homes": 1},
    "housing": {"status": "own"},
    "region": {"district": "minghu", "office": "hubin"},
}


@pytest.mark.parametrize(("locale", "unknown", "asserted"), [
    ("zh_CN", "情况不明，需工作人员核实", "没有既负有法定义务又有能力"),
    ("en", "this is unknown and must be verified", "No one is both legally obliged and able"),
])
def test_a_supporter_nobody_was_asked_about_is_unknown_never_asserted(
    translations: Translations, locale: str, unknown: str, asserted: str
) -> None:
    lines = sentences({**ALONE_AT_80, "able_supporter": None}, date(2025, 6, 1), locale, translations)
    assert any(unknown in line for line in lines)
    assert not any(asserted in line for line in lines)
    # Not established is not met: no 特困 on a fact nobody gave.
    assert assess(Household.model_validate({**ALONE_AT_80, "able_supporter": None}), date(2025, 6, 1),
                  PACK).layer != "tekun"
    # Said "no" (asked), the same household is 特困, and the sentence says it.
    lines = sentences({**ALONE_AT_80, "able_supporter": False}, date(2025, 6, 1), locale, translations)
    assert any(asserted in line for line in lines)
    assert assess(Household.model_validate({**ALONE_AT_80, "able_supporter": False}), date(2025, 6, 1),
                  PACK).layer == "tekun"

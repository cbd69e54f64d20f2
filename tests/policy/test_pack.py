"""Loading a pack: parameters by date with sources, formulas, and every kind of broken pack refused."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from backend.policy.pack import PACKS, Pack, PackError, ParameterNotInForce, load_pack
from backend.policy.parameters import parse_formula
from backend.policy.regions import load_regions


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack("demo")


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A copy of the demo pack to break; returns the pack directory (name ``demo``)."""
    shutil.copytree(PACKS / "demo", tmp_path / "demo", ignore=shutil.ignore_patterns("cases", "__pycache__"))
    return tmp_path / "demo"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def refused(directory: Path) -> str:
    with pytest.raises(PackError) as raised:
        load_pack("demo", root=directory.parent)
    return str(raised.value)


# ---- parameters


def test_a_parameter_is_the_value_in_force_on_the_date_with_its_source(pack: Pack) -> None:
    before = pack.parameter("dibao_standard", date(2024, 12, 31))
    after = pack.parameter("dibao_standard", date(2025, 1, 1))
    assert (before.value, before.since) == (Decimal(900), date(2024, 1, 1))
    assert (after.value, after.since) == (Decimal(1000), date(2025, 1, 1))
    assert "issue #4" in after.source
    assert pack.parameter("rigid_income_line", date(2025, 6, 1)).value == 4000
    assert pack.parameter("rigid_income_line", date(2024, 6, 1)).value == 3500


def test_derived_parameters_follow_their_inputs(pack: Pack) -> None:
    tekun = pack.parameter("tekun_standard", date(2025, 6, 1))
    assert tekun.value == Decimal(1300)
    assert tekun.since == date(2025, 1, 1)  # the latest date among its inputs
    assert "tekun_factor * dibao_standard" in tekun.source and "issue #4" in tekun.source
    assert pack.parameter("tekun_standard", date(2024, 6, 1)).value == Decimal(1170)
    assert pack.parameter("savings_limit_per_person", date(2024, 6, 1)).value == Decimal(21600)
    assert pack.parameter("marginal_line", date(2025, 6, 1)).value == Decimal(1500)
    assert pack.parameter("watch_income_line", date(2025, 6, 1)).value == Decimal(2000)


def test_asking_before_the_first_date_names_the_parameter_and_the_date(pack: Pack) -> None:
    with pytest.raises(ParameterNotInForce, match=r"'dibao_standard'.*2023-12-31.*2024-01-01"):
        pack.parameter("dibao_standard", date(2023, 12, 31))
    with pytest.raises(ParameterNotInForce,
                       match=r"'tekun_standard' has no value on 2023-12-31: parameter 'tekun_factor'"):
        pack.parameter("tekun_standard", date(2023, 12, 31))
    with pytest.raises(KeyError):
        pack.parameter("no_such_parameter", date(2025, 1, 1))


def test_a_parameter_ended_with_null_is_not_in_force_after(broken: Path) -> None:
    edit(
        broken / "parameters.yaml",
        '    2024-01-01: {value: 3000, source: "Demo City choice',
        '    2026-01-01: {value: null}\n    2024-01-01: {value: 3000, source: "Demo City choice',
    )
    pack = load_pack("demo", root=broken.parent)
    assert pack.parameter("approval_threshold_amount", date(2025, 12, 31)).value == 3000
    with pytest.raises(ParameterNotInForce, match="ended 2026-01-01"):
        pack.parameter("approval_threshold_amount", date(2026, 1, 1))


def test_a_list_parameter_is_read_as_a_list_and_never_as_a_number(pack: Pack) -> None:
    milestones = pack.parameter_list("certificate_milestones_hours", date(2025, 6, 1))
    assert milestones.items == (Decimal(10), Decimal(50), Decimal(100), Decimal(200))
    assert milestones.since == date(2024, 1, 1) and "Demo City" in milestones.source
    with pytest.raises(TypeError, match="is a list"):
        pack.parameter("certificate_milestones_hours", date(2025, 6, 1))
    with pytest.raises(TypeError, match="not a list"):
        pack.parameter_list("dibao_standard", date(2025, 6, 1))
    with pytest.raises(ParameterNotInForce):
        pack.parameter_list("certificate_milestones_hours", date(2023, 12, 31))
    assert "certificate_milestones_hours" not in pack.at(date(2025, 6, 1)).values


def test_a_list_parameter_mixed_with_a_number_is_refused(broken: Path) -> None:
    edit(broken / "parameters.yaml", "    2024-01-01: {value: [10, 50, 100, 200],",
         "    2026-01-01: {value: 20, source: x}\n    2024-01-01: {value: [10, 50, 100, 200],")
    message = refused(broken)
    assert "certificate_milestones_hours.values" in message and "every value a list" in message


def test_a_list_item_must_be_a_number(broken: Path) -> None:
    edit(broken / "parameters.yaml", "{value: [10, 50, 100, 200],", "{value: [10, fifty],")
    assert "certificate_milestones_hours.values.2024-01-01.value.1" in refused(broken)


def test_a_formula_cannot_compute_with_a_list(broken: Path) -> None:
    edit(broken / "parameters.yaml", "formula: marginal_multiple * dibao_standard",
         "formula: marginal_multiple * certificate_milestones_hours")
    assert "is a list of numbers, not a number" in refused(broken)


def test_a_parameter_the_code_reads_as_a_list_must_be_one(broken: Path) -> None:
    edit(broken / "parameters.yaml", "{value: [10, 50, 100, 200],", "{value: 10,")
    assert "must be a list of numbers" in refused(broken)


def test_the_regions_still_load_on_their_own() -> None:
    tree = load_regions("demo")
    assert [o.code for d in tree.districts for o in d.offices] == [
        "hubin", "wenchang", "liuan", "qingfeng", "songlin", "shiqiao"
    ]
    assert tree.office("hubin").names == {"zh_CN": "湖滨街道", "en": "Hubin Subdistrict"}
    assert tree.district_of("shiqiao").code == "qingshan"


def test_the_pack_holds_what_routing_needs(pack: Pack) -> None:
    assert pack.parameter("emergency_deadline_hours", date(2025, 6, 1)).value == 24
    assert pack.parameter("approval_threshold_amount", date(2025, 6, 1)).value > 0
    assert pack.routing.station_for("liuan").code == "minghu_sws"
    assert pack.routing.station_service_levels == (1, 2)


# ---- formulas are parsed, never evaluated as code


@pytest.mark.parametrize(
    "text", ["__import__('os').system('true')", "a.b", "a ** 2", "f(a)", "[a]", "a if b else c", "'text'", "True"]
)
def test_a_formula_allows_only_arithmetic_on_names_and_numbers(text: str) -> None:
    with pytest.raises(ValueError):
        parse_formula(text)


def test_a_formula_computes_in_decimal() -> None:
    formula = parse_formula("(a - b) * 1.3 / 2 + -c")
    assert formula.names == ("a", "b", "c")
    assert formula.evaluate({"a": Decimal(10), "b": Decimal(4), "c": Decimal("0.1")}) == Decimal("3.8")


# ---- broken packs fail at load with the file and the key named


PARAMETERS, RESILIENCE, ROUTING, REGIONS, RULES = (
    "parameters.yaml", "resilience.yaml", "routing.yaml", "regions.yaml", "rules.yaml"
)


@pytest.mark.parametrize(("file", "edits", "named"), [
    pytest.param(PARAMETERS, [("rigid_income_line:", "rigid_income_line_renamed:")],
                 ["rigid_income_line", "missing"], id="a missing parameter"),
    pytest.param(PARAMETERS, [("    2025-01-01: {value: 1000,",
                               "    2025-01-01: {value: 1100, source: x}\n    2025-01-01: {value: 1000,")],
                 ["2025-01-01", "twice"], id="a date given twice"),
    pytest.param(PARAMETERS, [("    2025-01-01: {value: 1000,",
                               "    '2025-01-01': {value: 1100, source: x}\n    2025-01-01: {value: 1000,")],
                 ["dibao_standard.values.2025-01-01"], id="the same date written two ways"),
    pytest.param(PARAMETERS, [('2024-01-01: {value: 0, source: "Demo City reference rules (Yimen issue #4): '
                               'no vehicle"}', "2024-01-01: {value: 0}")],
                 ["max_vehicles.values.2024-01-01.source"], id="a value without a source"),
    pytest.param(PARAMETERS, [("{value: 1.5,", "{value: lots,")],
                 ["marginal_multiple.values.2024-01-01.value"], id="a value that is not a number"),
    pytest.param(PARAMETERS, [("formula: tekun_factor * dibao_standard", "formula: tekun_factor * dibao_standrd")],
                 ["tekun_standard.formula", "dibao_standrd"], id="a formula naming an unknown parameter"),
    pytest.param(PARAMETERS, [("formula: tekun_factor * dibao_standard", "formula: \"__import__('os')\"")],
                 ["tekun_standard.formula"], id="a formula that is code"),
    pytest.param(PARAMETERS, [("formula: marginal_multiple * dibao_standard",
                               "formula: marginal_multiple * watch_income_line"),
                              ("formula: watch_multiple * dibao_standard", "formula: watch_multiple * marginal_line")],
                 ["depends on itself"], id="formulas that depend on each other"),
    pytest.param(RESILIENCE, [("income: 0.25", "income: 0.26")], ["weights", "1.01"],
                 id="weights that do not sum to one"),
    pytest.param(RESILIENCE, [("  housing: 0.10\n", "")], ["weights.housing"], id="a missing weight"),
    pytest.param(RESILIENCE, [("{level: 2, below: 60}", "{level: 2, below: 30}")], ["levels[1].below"],
                 id="level bounds that do not rise"),
    pytest.param(ROUTING, [("offices: [hubin, wenchang, liuan]", "offices: [hubin, wenchang, liuan, atlantis]")],
                 ["social_work_stations[0].offices[3]", "atlantis"], id="an unknown office in routing"),
    pytest.param(ROUTING, [("offices: [hubin, wenchang, liuan]", "offices: [hubin, wenchang]")], ["liuan"],
                 id="an office without a station"),
    pytest.param(REGIONS, [("{code: songlin,", "{code: hubin,")], ["offices[1]", "hubin"],
                 id="a duplicate office in regions"),
    pytest.param(RULES, [("when_any: [type_disaster]\n", "when_any: [type_dissaster]\n")],
                 ["assistance[4].when_any", "type_dissaster"], id="an unknown fact in a rule"),
    pytest.param(RULES, [("all: [assets.savings, assets.vehicles, assets.homes, dibao.income]",
                          "all: [assets.savings, assets.vehicles, assets.homes, dibao.incme]")],
                 ["layers.dibao.all", "dibao.incme"], id="an unknown check in a layer"),
    pytest.param(RULES, [("  watch:\n    any: [watch.income, watch.health, watch.unemployment]\n", "")],
                 ["layers.watch"], id="a missing layer"),
    pytest.param(RULES, [("services: [skills]", "services: [juggling]")], ["services[4].services[0]", "juggling"],
                 id="an unknown service"),
    pytest.param(RULES, [("tekun: tekun_standard * members", "tekun: tekun_standard * households")],
                 ["benefits.tekun", "households"], id="a benefit formula naming something unknown"),
])
def test_a_broken_pack_is_refused_naming_the_file_and_the_key(
    broken: Path, file: str, edits: list[tuple[str, str]], named: list[str]
) -> None:
    for old, new in edits:
        edit(broken / file, old, new)
    message = refused(broken)
    assert file in message
    for fragment in named:
        assert fragment in message


def test_a_missing_file(broken: Path) -> None:
    (broken / "resilience.yaml").unlink()
    assert "resilience.yaml" in refused(broken)


def test_bad_yaml(broken: Path) -> None:
    (broken / "rules.yaml").write_text("layers: [unclosed\n", encoding="utf-8")
    assert "rules.yaml" in refused(broken)


def test_an_unknown_pack() -> None:
    with pytest.raises(PackError, match="nowhere"):
        load_pack("nowhere")


# ---- decisions.yaml


def test_the_decisions_file_gives_every_reason_in_every_locale_with_a_source(pack: Pack) -> None:
    assert pack.decisions is not None
    reason = pack.decisions.reason("income_above_line")
    assert reason is not None and set(reason.texts) == {"zh_CN", "en"} and "社会救助暂行办法" in reason.source
    assert pack.decisions.reason("too_rich") is None
    assert pack.parameter("payment_day", date(2026, 12, 1)).value == 10


@pytest.mark.parametrize(("old", "new", "named"), [
    ("    en: Your household's property (savings, vehicles or housing) is above the set limits.\n", "",
     "reasons.assets_above_limit.en"),
    ("  starts: month_after_approval", "  starts: next_year", "payment.starts"),
    ("    dibao: review_months_dibao", "    dibao: review_months_dibbo", "review_months_dibbo"),
    ("    dibao: review_months_dibao", "    dibaoo: review_months_dibao", "review.months.dibaoo"),
    ("appeal:\n", "appeals:\n", "appeals"),
])
def test_a_broken_decisions_file_is_refused_naming_the_key(broken: Path, old: str, new: str, named: str) -> None:
    edit(broken / "decisions.yaml", old, new)
    assert named in refused(broken)


def test_a_reason_without_a_source_is_refused(broken: Path) -> None:
    edit(broken / "decisions.yaml", '    source: "《最低生活保障审核确认办法》第十条: 申请人应当如实提交材料"\n', "")
    assert "reasons.documents_missing.source" in refused(broken)

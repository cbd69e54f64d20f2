"""Every case file of every shipped pack: the household on the date gives the expected outcome."""

from __future__ import annotations

from datetime import date

import pytest

from backend.policy.assess import assess
from backend.policy.cases import Case, differences, load_cases
from backend.policy.codes import Layer
from backend.policy.pack import PACKS, load_pack

PACK = load_pack("demo")
FILES = load_cases(PACK.directory / "cases")
CASES = [(f.path.name, case) for f in FILES for case in f.cases]


@pytest.mark.parametrize(("file", "case"), CASES, ids=[f"{file}: {case.name}" for file, case in CASES])
def test_case(file: str, case: Case) -> None:
    result = assess(case.household, case.date, PACK)
    assert not differences(case.expected, result), "\n".join(differences(case.expected, result))


def test_the_cases_cover_what_the_issue_asks() -> None:
    cases = [case for _, case in CASES]
    assert len(cases) >= 40
    assert {c.expected.layer for c in cases} == set(Layer)
    assert {c.expected.resilience_level for c in cases} == {1, 2, 3}
    assert {c.date for c in cases} >= {date(2024, 6, 1), date(2025, 6, 1)}
    assert any(c.expected.emergency for c in cases)
    assert any(len(c.expected.types) >= 3 for c in cases)
    # The same household on both parameter dates, with different results.
    by_household: dict[str, set[tuple[date, str]]] = {}
    for c in cases:
        by_household.setdefault(c.household.model_dump_json(), set()).add((c.date, c.expected.layer.value))
    assert any(len({layer for _, layer in found}) > 1 and len({d for d, _ in found}) > 1
               for found in by_household.values())


def test_case_names_are_unique() -> None:
    names = [case.name for _, case in CASES]
    assert len(names) == len(set(names))


def test_every_shipped_pack_loads_and_passes_its_cases() -> None:
    for directory in sorted(p for p in PACKS.iterdir() if p.is_dir() and (p / "parameters.yaml").exists()):
        pack = load_pack(directory.name)
        for case_file in load_cases(directory / "cases"):
            for case in case_file.cases:
                assert not differences(case.expected, assess(case.household, case.date, pack)), case.name

"""``yimen assess``: JSON out, sentences with --explain, and clear errors (exit 2) for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.policy.cli import assess_main

HOUSEHOLD = {
    "members": [
        {"relation": "self", "age": 71, "health": "chronic", "work": "retired"},
        {"relation": "grandchild", "age": 9, "health": "healthy", "work": "student"},
    ],
    "other_income": {"pension": 600},
    "assets": {"savings": 5000, "vehicles": 0, "homes": 1},
    "rigid_spending": {"medical": 8000},
    "housing": {"status": "own"},
    "hardship": {"types": ["illness"]},
    "region": {"district": "minghu", "office": "hubin"},
}


def write(tmp_path: Path, data: object, name: str = "household.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_prints_the_result_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert assess_main([write(tmp_path, HOUSEHOLD), "--date", "2025-06-01"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["layer"] == "dibao"
    assert result["benefit_estimate"] == {"amount": "1400.00", "currency": "CNY", "period": "month", "estimate": True}
    assert result["resilience"]["level"] in (1, 2, 3)
    assert set(result["resilience"]["dimensions"]) == {
        "income", "assets", "family", "health", "expenditure", "employment", "housing"
    }
    assert {"layer", "types", "assistance", "services", "emergency", "trace"} <= set(result)


def test_the_date_changes_the_parameters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assess_main([write(tmp_path, HOUSEHOLD), "--date", "2024-06-01"])
    assert json.loads(capsys.readouterr().out)["benefit_estimate"]["amount"] == "1200.00"


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        ("en", "Per-capita income CN¥300.00 is below the dibao standard CN¥1,000.00 in force since January 1, 2025."),
        ("zh_CN", "人均月收入 ¥300.00，低于自2025年1月1日起执行的低保标准 ¥1,000.00。"),
    ],
)
def test_explains_in_either_language(tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str,
                                     sentence: str) -> None:
    assert assess_main([write(tmp_path, HOUSEHOLD), "--date", "2025-06-01", "--lang", lang, "--explain"]) == 0
    assert sentence in capsys.readouterr().out


def test_accepts_a_whole_application(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    application = {
        "schema_version": 1,
        "locale": "zh_CN",
        "consent": {"version": 1, "given_at": "2025-06-01T02:00:00+00:00"},
        "applicant": {"for_whom": "self", "name": "王秀英", "id_number": "310104195507070048", "mobile": "13912345678"},
        "submitted_at": "2025-06-01T02:00:00+00:00",
        **HOUSEHOLD,
    }
    assert assess_main([write(tmp_path, application), "--date", "2025-06-01"]) == 0
    assert json.loads(capsys.readouterr().out)["layer"] == "dibao"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({**HOUSEHOLD, "members": [{"relation": "self", "age": 200, "health": "healthy", "work": "employed"}]},
         "members.0.age: Input should be less than or equal to 130"),
        ({key: value for key, value in HOUSEHOLD.items() if key != "assets"}, "assets: Field required"),
        ({**HOUSEHOLD, "housing": {"status": "castle"}}, "housing.status: Input should be"),
        ({**HOUSEHOLD, "pets": 3}, "pets: Extra inputs are not permitted"),
        ({**HOUSEHOLD, "region": {"district": "minghu", "office": "atlantis"}}, "unknown office 'atlantis'"),
        ("{not json", "not valid JSON"),
        ([1, 2], "(top)"),
    ],
)
def test_bad_input_names_the_field_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object, expected: str
) -> None:
    refused_in_one_line(tmp_path, capsys, content, expected)


def refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object, expected: str) -> None:
    """Exit 2 with ``expected`` on stderr, nothing on stdout, and no traceback."""
    assert assess_main([write(tmp_path, content), "--date", "2025-06-01"]) == 2
    captured = capsys.readouterr()
    assert expected in captured.err
    assert "Traceback" not in captured.err and not captured.out


def test_other_problems_exit_2_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, HOUSEHOLD)
    assert assess_main([str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert assess_main([path, "--region", "nowhere"]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert assess_main([path, "--date", "2023-06-01"]) == 2
    assert "2023-06-01" in capsys.readouterr().err
    assert assess_main([path, "--date", "June"]) == 2
    assert "not a date" in capsys.readouterr().err


def _member(**fields: object) -> dict:
    return {**HOUSEHOLD, "members": [{**HOUSEHOLD["members"][0], **fields}]}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"members": [{"relation": "self", "age": 71, "health": "healthy", "work": "retired", '
         '"monthly_income": 1e30}], "assets": {"savings": 0, "vehicles": 0, "homes": 0}, "housing": {"status": "own"}}',
         "members.0.monthly_income: Input should be less than 1000000000000"),
        ('{"members": [{"relation": "self", "age": 71, "health": "healthy", "work": "retired"}], '
         '"assets": {"savings": 1e27, "vehicles": 0, "homes": 0}, "housing": {"status": "own"}}',
         "assets.savings: Input should be less than 1000000000000"),
        ('{"assets": {"savings": ' + "9" * 100_000 + "}}", "a number of more than"),
        ("[" * 100_000 + "]" * 100_000, "nested deeper than"),
        ('{"assets": {"savings": 1e400}}', "assets.savings"),
        ('{"assets": {"savings": NaN}}', "NaN is not a JSON number"),
        (_member(age=True), "members.0.age: Input should be a valid integer"),
    ],
    ids=["income 1e30", "savings 1e27", "100,000 digits", "deep nesting", "1e400", "NaN", "age true"],
)
def test_amounts_and_numbers_no_household_has_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object, expected: str
) -> None:
    refused_in_one_line(tmp_path, capsys, content, expected)


def test_a_bad_member_is_not_also_reported_as_no_members(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert assess_main([write(tmp_path, _member(age=True)), "--date", "2025-06-01"]) == 2
    err = capsys.readouterr().err
    assert "members.0.age" in err and "at least 1 item" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_file_that_is_not_utf8_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"name": "\xe9"}')
    assert assess_main([str(path)]) == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and len(err.strip().splitlines()) == 1

"""Contracts between the parts: the application schema file, option values and statuses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pydantic

from backend.application import (
    ForWhom,
    HardshipType,
    Health,
    HousingStatus,
    MemberRelation,
    Relationship,
    UrgentNeed,
    Work,
    json_schema,
)
from backend.status import ApplicationStatus
from flows import intake
from flows.keys import APPLICATION_STATUSES

ROOT = Path(__file__).resolve().parent.parent


def _locked_pydantic() -> str | None:
    """The pydantic release constraints.txt pins, which the committed schema was written with."""
    pins = re.findall(r"^pydantic==(\S+)$", (ROOT / "constraints.txt").read_text(encoding="utf-8"), re.MULTILINE)
    return pins[0] if pins else None


def test_the_schema_file_is_the_schema_of_the_current_application_model():
    written = json.loads((ROOT / "docs" / "application.schema.json").read_text(encoding="utf-8"))
    # pydantic's JSON Schema output changes between releases (2.14 drops the decimals' pattern), so a
    # difference under another release than the locked one is the environment, not the model.
    locked = _locked_pydantic()
    if locked != pydantic.VERSION:
        cause = (f"pydantic {pydantic.VERSION} is installed, constraints.txt locks {locked}: install with "
                 "`python3 -m pip install -c constraints.txt -e '.[test]'`, or move the lock with .ci/lock "
                 "and run `yimen schema`")
    else:
        cause = "docs/application.schema.json is stale: run `yimen schema`"
    assert written == json_schema(), cause


def test_the_lock_pins_the_pydantic_the_schema_is_written_with():
    assert _locked_pydantic() is not None, "constraints.txt must pin pydantic (run .ci/lock)"


def test_flow_option_values_are_values_of_the_application_model():
    assert set(intake.RELATIONS) | {"self"} == {m.value for m in MemberRelation}
    assert set(intake.ADULT_WORK) | set(intake.MINOR_WORK) == {w.value for w in Work}
    assert set(intake.HARDSHIP_TYPES) == {h.value for h in HardshipType}
    assert set(intake.URGENT_NEEDS) == {u.value for u in UrgentNeed}
    assert {"healthy", "chronic", "serious"} == {h.value for h in Health}
    questions = intake.INTAKE.questions()
    assert set(questions["housing"].options) == {h.value for h in HousingStatus}
    assert set(questions["for_whom"].options) == {f.value for f in ForWhom}
    assert set(questions["relationship"].options) == {r.value for r in Relationship}


def test_statuses_residents_see_are_the_backend_statuses():
    assert set(APPLICATION_STATUSES) == {s.value for s in ApplicationStatus}

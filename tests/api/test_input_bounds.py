"""Malformed and out-of-range input is a 4xx JSON error naming the field, never a 500 and never stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.db.models import ApplicationRow
from tests.api.conftest import auth, create_body
from tests.cases.helpers import NOW

HOUSEHOLD: dict[str, Any] = {
    "members": [{"relation": "self", "age": 71, "health": "chronic", "work": "retired", "monthly_income": "0"}],
    "assets": {"savings": "5000", "vehicles": 0, "homes": 1},
    "housing": {"status": "own"},
}


def _application(change: Callable[[dict[str, Any]], None]) -> bytes:
    body = create_body()
    change(body["application"])
    return json.dumps(body, ensure_ascii=False).encode()


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(application: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = application
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value

    return change


def _raw_number(path: str, literal: str) -> bytes:
    """A body whose field holds a number literal json.dumps would not write (giant, 1e400)."""
    marker = "__NUMBER__"
    return _application(_set(path, marker)).replace(f'"{marker}"'.encode(), literal.encode())


def _assess(household: dict[str, Any]) -> bytes:
    return json.dumps({"household": household}).encode()


def _with_member(**fields: Any) -> dict[str, Any]:
    return {**HOUSEHOLD, "members": [{**HOUSEHOLD["members"][0], **fields}]}


# (probe, path, raw body, status, the field named or None for a body refused as a whole)
BODIES = [
    ("deep nesting", "/api/v1/applications", b"[" * 100_000 + b"]" * 100_000, 400, None),
    ("nesting past the contract", "/api/v1/applications", b"[" * 40 + b"]" * 40, 400, None),
    ("invalid UTF-8", "/api/v1/applications", b'{"resident": {"channel": "\xff\xfe"}}', 400, None),
    ("100,000-digit integer", "/api/v1/applications", _raw_number("assets.savings", "9" * 100_000), 400, None),
    ("NaN", "/api/v1/applications", _raw_number("assets.savings", "NaN"), 400, None),
    ("1e400 savings", "/api/v1/applications", _raw_number("assets.savings", "1e400"), 422,
     "application.assets.savings"),
    ("200 nines of savings", "/api/v1/applications", _raw_number("assets.savings", "9" * 200), 422,
     "application.assets.savings"),
    ("savings of 10^12", "/api/v1/applications", _application(_set("assets.savings", "1000000000000")), 422,
     "application.assets.savings"),
    ("an income with 100,000 decimal places", "/api/v1/applications",
     _application(_set("members.0.monthly_income", "1E-100000")), 422, "application.members.0.monthly_income"),
    ("29-digit income on /assess", "/api/v1/assess", _assess(_with_member(monthly_income="9" * 29)), 422,
     "household.members.0.monthly_income"),
    ("29-digit float income on /assess", "/api/v1/assess",
     _assess(_with_member(monthly_income=1e28)), 422, "household.members.0.monthly_income"),
    ("age true", "/api/v1/assess", _assess(_with_member(age=True)), 422, "household.members.0.age"),
    ("vehicles false", "/api/v1/applications", _application(_set("assets.vehicles", False)), 422,
     "application.assets.vehicles"),
    ("submitted in year 9999", "/api/v1/applications", _application(_set("submitted_at", "9999-12-31T23:59:59Z")),
     422, "application.submitted_at"),
    ("submitted tomorrow", "/api/v1/applications",
     _application(_set("submitted_at", (NOW + timedelta(days=1)).isoformat())), 422, "application.submitted_at"),
    ("submitted before the programme", "/api/v1/applications",
     _application(_set("submitted_at", "1999-12-31T23:59:59Z")), 422, "application.submitted_at"),
    ("submitted without a time zone", "/api/v1/applications",
     _application(_set("submitted_at", "2026-11-29T01:00:00")), 422, "application.submitted_at"),
    ("consent given in year 9999", "/api/v1/applications",
     _application(_set("consent.given_at", "9999-12-31T23:59:59Z")), 422, "application.consent.given_at"),
    ("unsupported locale", "/api/v1/applications", _application(_set("locale", "xx")), 422, "application.locale"),
    ("NUL in a name", "/api/v1/applications", _application(_set("applicant.name", "王\x00明")), 400,
     "application.applicant.name"),
    ("escape in a name", "/api/v1/applications", _application(_set("applicant.name", "王\x1b[2J明")), 422,
     "application.applicant.name"),
    ("newline in a name", "/api/v1/applications", _application(_set("applicant.name", "王\n明")), 422,
     "application.applicant.name"),
    ("escape in the account", "/api/v1/applications", _application(_set("hardship.account", "a\x07b")), 422,
     "application.hardship.account"),
    ("lone surrogate", "/api/v1/applications",
     _application(_set("applicant.name", "__S__")).replace(b"__S__", b"\\ud800"), 400,
     "application.applicant.name"),
    ("assessed in year 1", "/api/v1/assess", json.dumps({"household": HOUSEHOLD, "date": "0001-01-01"}).encode(),
     422, "date"),
    ("assessed in year 9999", "/api/v1/assess", json.dumps({"household": HOUSEHOLD, "date": "9999-12-31"}).encode(),
     422, "date"),
    ("a huge body", "/api/v1/applications", b'{"a": "' + b"x" * (3 * 1024 * 1024) + b'"}', 413, None),
]


@pytest.mark.parametrize(("path", "raw", "status", "field"), [b[1:] for b in BODIES], ids=[b[0] for b in BODIES])
async def test_a_malformed_body_is_a_4xx_naming_the_field(client, tokens, database, path, raw, status, field):
    response = await client.post(path, data=raw, headers=auth(tokens["bot"]) | {"Content-Type": "application/json"})
    assert response.status == status
    body = await response.json()
    assert body["error"] in {"bad_json", "invalid", "too_large"}
    if field is not None:
        assert [f["field"] for f in body["fields"]] == [field]
    async with database.engine.connect() as connection:
        assert (await connection.execute(select(func.count()).select_from(ApplicationRow))).scalar_one() == 0


async def test_a_member_refused_for_a_field_is_not_also_called_missing(client, tokens):
    response = await client.post("/api/v1/assess", json={"household": _with_member(age=True)},
                                 headers=auth(tokens["bot"]))
    assert [f["field"] for f in (await response.json())["fields"]] == ["household.members.0.age"]


async def test_times_within_the_clock_skew_and_multi_line_text_are_taken(client, tokens):
    body = create_body()
    body["application"]["submitted_at"] = (NOW + timedelta(minutes=4)).isoformat()
    body["application"]["hardship"]["account"] = "第一行\n第二行\t完"
    response = await client.post("/api/v1/applications", json=body, headers=auth(tokens["bot"]))
    assert response.status == 201, await response.text()


# (probe, path) of ids no database row can have, and of query numbers beyond the database's INTEGER
TOO_LARGE = "99999999999999999999"
PATHS = [
    ("task", f"/api/v1/tasks/{TOO_LARGE}"),
    ("task just past INTEGER", f"/api/v1/tasks/{2**31}"),
    ("task volunteer view", f"/api/v1/tasks/{TOO_LARGE}/volunteer-view"),
    ("volunteer", f"/api/v1/volunteers/{TOO_LARGE}"),
    ("alert", f"/api/v1/alerts/{TOO_LARGE}"),
    ("alert in other digits", "/api/v1/alerts/\u0661\u0662"),
]


@pytest.mark.parametrize("path", [p[1] for p in PATHS], ids=[p[0] for p in PATHS])
async def test_an_id_out_of_range_in_a_path_is_a_404(client, tokens, path):
    response = await client.get(path, headers=auth(tokens["wang"]))
    assert response.status == 404 and (await response.json())["error"] == "not_found"


async def test_posting_to_an_id_out_of_range_is_a_404(client, tokens):
    response = await client.post(f"/api/v1/alerts/{TOO_LARGE}/actions", json={"action": "acknowledge"},
                                 headers=auth(tokens["wang"]))
    assert response.status == 404
    response = await client.post(f"/api/v1/volunteers/{TOO_LARGE}/skills/driving/qualification",
                                 headers=auth(tokens["wang"]))
    assert response.status in (404, 422)


QUERIES = [
    ("case offset", f"/api/v1/applications?offset={TOO_LARGE}", "offset"),
    ("case offset just past INTEGER", f"/api/v1/applications?offset={2**31}", "offset"),
    ("alert offset", f"/api/v1/alerts?offset={TOO_LARGE}", "offset"),
    ("case limit", f"/api/v1/applications?limit={TOO_LARGE}", "limit"),
]


@pytest.mark.parametrize(("path", "field"), [q[1:] for q in QUERIES], ids=[q[0] for q in QUERIES])
async def test_a_query_number_out_of_range_is_a_422_naming_it(client, tokens, path, field):
    response = await client.get(path, headers=auth(tokens["wang"]))
    assert response.status == 422 and [f["field"] for f in (await response.json())["fields"]] == [field]


TEXT_PATHS = [
    ("case number", "/api/v1/applications/A%00B"),
    ("case history", "/api/v1/applications/%00/history"),
    ("fund", "/api/v1/funds/x%00y"),
    ("points account", "/api/v1/points/accounts/volunteer/%00"),
    ("project", "/api/v1/projects/%00/referrals"),
    ("surrogate in a case number", "/api/v1/applications/%ED%A0%80"),
    ("a long case number", "/api/v1/applications/" + "9" * 5000),
]


@pytest.mark.parametrize("path", [p[1] for p in TEXT_PATHS], ids=[p[0] for p in TEXT_PATHS])
async def test_a_name_in_a_path_no_row_can_have_is_a_4xx(client, tokens, path):
    response = await client.get(path, headers=auth(tokens["root"]))
    assert 400 <= response.status < 500, await response.text()
    assert (await response.json())["error"] in {"not_found", "forbidden", "invalid"}


@pytest.mark.parametrize("query", ["office=hub%00in", "assigned_to=%00", "x%00=1"])
async def test_nul_in_a_query_is_a_4xx_naming_the_parameter(client, tokens, query):
    response = await client.get(f"/api/v1/applications?{query}", headers=auth(tokens["root"]))
    assert response.status in (400, 422)
    assert (await response.json())["fields"][0]["field"] == query.split("=")[0].replace("%00", "")


async def test_a_chunked_body_past_the_limit_is_a_413_in_the_api_shape(client, tokens):
    async def chunks():
        for _ in range(40):
            yield b"x" * 65536

    response = await client.post("/api/v1/applications", data=chunks(), headers=auth(tokens["bot"]))
    assert response.status == 413 and (await response.json())["error"] == "too_large"

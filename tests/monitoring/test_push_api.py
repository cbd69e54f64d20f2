"""Departments push events signed with their own key: a good, a bad, a stale and a replayed request.

The rows go to the feed importer's ``ingest`` (backend.monitoring.feeds, built beside this); a
stand-in with its signature takes its place here, so these tests are about the door, not the
importer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import types
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from backend.crypto import IdHasher
from backend.db.database import Database
from backend.db.models import FeedKeyRow, FeedNonceRow
from backend.monitoring.push import NONCE_LIFETIME, rotate_key, seal, sign, unseal
from backend.web import init_app
from tests.api import conftest as api_fixtures
from tests.monitoring.seed import NOW

# The API's fixtures, bound here so that pytest finds them by name (an assignment, not an import, so
# that the tests' parameters of the same names do not read as redefinitions).
client, config, tokens = api_fixtures.client, api_fixtures.config, api_fixtures.tokens

KEY = "the-medical-departments-key"
SECRET = b"k"  # the test configuration's secret key
ROWS = [
    {"record_id": "M-1", "id_number": "110101199003074514", "kind": "out_of_pocket", "occurred_on": "2026-11-20",
     "amount": 12000},
    {"record_id": "M-2", "id_number": "110101199003074514", "kind": "out_of_pocket", "occurred_on": "2026-11-21",
     "amount": "bad"},
]


@dataclass
class RowError:
    line: int
    reason: str
    field: str | None = None


@dataclass
class ImportSummary:
    read: int
    inserted: int
    duplicates: int
    errors: list[RowError] = field(default_factory=list)


@dataclass
class StandIn:
    """``ingest`` as agreed: every call recorded; rows whose amount is not a number refused."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    async def ingest(self, database: Any, source: str, rows: Any, *, hasher: Any, now: Any, chunk: int = 10_000,
                     progress: Any = None) -> ImportSummary:
        taken = list(rows)
        self.calls.append({"source": source, "rows": taken, "hasher": hasher, "now": now})
        errors = [RowError(index, "amount is not a number", "amount") for index, row in taken
                  if not row.get("amount", "0").replace(".", "", 1).isdigit()]
        return ImportSummary(read=len(taken), inserted=len(taken) - len(errors), duplicates=0, errors=errors)


@pytest.fixture
def importer(monkeypatch: pytest.MonkeyPatch) -> StandIn:
    stand_in = StandIn()
    module = types.ModuleType("backend.monitoring.feeds")
    module.ingest = stand_in.ingest  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "backend.monitoring.feeds", module)
    return stand_in


@pytest.fixture
async def keyed(database) -> None:
    await rotate_key(database, "medical", secret_key=SECRET, now=NOW, new_key=lambda: KEY)


def _signed(rows: Any, *, key: str = KEY, at: float | None = None, body: bytes | None = None) -> tuple[bytes, dict]:
    raw = body if body is not None else json.dumps(rows, ensure_ascii=False).encode()
    timestamp = str(int(NOW.timestamp() if at is None else at))
    return raw, {"X-Yimen-Timestamp": timestamp, "X-Yimen-Signature": sign(key, timestamp, raw),
                 "Content-Type": "application/json"}


async def _push(client, rows: Any = ROWS, source: str = "medical", **kw: Any):
    raw, headers = _signed(rows, **kw)
    return await client.post(f"/api/v1/feeds/{source}/events", data=raw, headers=headers)


async def test_a_good_push_is_taken_and_its_bad_rows_reported(client, keyed, importer: StandIn) -> None:
    response = await _push(client)
    assert response.status == 202
    assert await response.json() == {"read": 2, "inserted": 1, "duplicates": 0, "errors": [
        {"index": 1, "reason": "amount is not a number", "field": "amount"}]}
    [call] = importer.calls
    assert call["source"] == "medical" and call["now"] == NOW and isinstance(call["hasher"], IdHasher)
    assert call["rows"] == [(0, {**ROWS[0], "amount": "12000"}), (1, ROWS[1])]


async def test_rows_that_are_not_rows_are_reported_by_index(client, keyed, importer: StandIn) -> None:
    rows = [ROWS[0], "M-2", {"record_id": "M-3", "detail": {"nested": True}}, {"record_id": "M-4", "serious": True,
                                                                              "grade": None}]
    body = await (await _push(client, rows)).json()
    assert body["read"] == 4 and body["inserted"] == 2
    assert [(e["index"], e["reason"]) for e in body["errors"]] == [
        (1, "not an object of field names and text or numbers"),
        (2, "not an object of field names and text or numbers"),
    ]
    assert importer.calls[0]["rows"][1] == (3, {"record_id": "M-4", "serious": "true", "grade": ""})


async def test_a_bad_signature_is_refused_and_logged_without_the_body(client, keyed, importer: StandIn,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    response = await _push(client, key="someone-elses-key")
    assert response.status == 401
    assert (await response.json())["error"] == "unauthorized"
    assert importer.calls == []
    assert "medical" in caplog.text and "127.0.0.1" in caplog.text
    assert "110101199003074514" not in caplog.text and "M-1" not in caplog.text


async def test_a_push_changed_after_signing_is_refused(client, keyed, importer: StandIn) -> None:
    raw, headers = _signed(ROWS)
    tampered = raw.replace(b"12000", b"99000")
    response = await client.post("/api/v1/feeds/medical/events", data=tampered, headers=headers)
    assert response.status == 401 and importer.calls == []


@pytest.mark.parametrize("headers", [{}, {"X-Yimen-Timestamp": "1"}, {"X-Yimen-Signature": "ab"},
                                     {"X-Yimen-Timestamp": "soon", "X-Yimen-Signature": "ab"}])
async def test_missing_or_malformed_signature_headers_are_refused(client, keyed, importer: StandIn,
                                                                  headers: dict) -> None:
    response = await client.post("/api/v1/feeds/medical/events", json=ROWS, headers=headers)
    assert response.status == 401 and importer.calls == []


@pytest.mark.parametrize("seconds", [-301, 301])
async def test_a_stale_push_is_refused(client, keyed, importer: StandIn, seconds: int) -> None:
    response = await _push(client, at=NOW.timestamp() + seconds)
    assert response.status == 401
    assert (await response.json())["error"] == "stale"
    assert importer.calls == []


@pytest.mark.parametrize("seconds", [-300, 300])
async def test_five_minutes_either_way_is_still_on_time(client, keyed, importer: StandIn, seconds: int) -> None:
    assert (await _push(client, at=NOW.timestamp() + seconds)).status == 202


async def test_a_replayed_push_is_refused(client, keyed, importer: StandIn) -> None:
    raw, headers = _signed(ROWS)
    first = await client.post("/api/v1/feeds/medical/events", data=raw, headers=headers)
    again = await client.post("/api/v1/feeds/medical/events", data=raw, headers=headers)
    assert (first.status, again.status) == (202, 409)
    assert (await again.json())["error"] == "replayed"
    assert len(importer.calls) == 1


async def test_a_source_without_a_key_or_unknown_is_refused(client, keyed, importer: StandIn) -> None:
    assert (await _push(client, source="hr")).status == 401
    assert (await _push(client, source="weather")).status == 404
    assert importer.calls == []


async def test_a_key_sealed_under_another_secret_is_refused(client, database, importer: StandIn) -> None:
    await rotate_key(database, "medical", secret_key=b"the secret before", now=NOW, new_key=lambda: KEY)
    response = await _push(client)
    assert response.status == 401 and "made again" in (await response.json())["message"]


async def test_a_bearer_token_is_no_signature(client, tokens, keyed, importer: StandIn) -> None:
    response = await client.post("/api/v1/feeds/medical/events", json=ROWS,
                                 headers={"Authorization": f"Bearer {tokens['root']}"})
    assert response.status == 401


async def test_a_signed_body_that_is_not_a_list_of_rows(client, keyed, importer: StandIn) -> None:
    assert (await _push(client, {"rows": ROWS})).status == 422
    assert (await _push(client, body=b"[{")).status == 400
    assert importer.calls == []


async def test_a_rotated_key_replaces_the_old_one(client, database, keyed, importer: StandIn) -> None:
    await rotate_key(database, "medical", secret_key=SECRET, now=NOW, new_key=lambda: "new-key")
    assert (await _push(client)).status == 401
    assert (await _push(client, key="new-key")).status == 202


async def test_signatures_are_forgotten_once_they_could_no_longer_be_replayed(config, database, keyed,
                                                                             importer: StandIn) -> None:
    now = [NOW]
    app = init_app(config, database=database, clock=lambda: now[0])
    async with TestClient(TestServer(app)) as later:
        assert (await _push(later)).status == 202
        now[0] = NOW + NONCE_LIFETIME + timedelta(seconds=1)
        assert (await _push(later, ROWS[:1], at=now[0].timestamp())).status == 202
    async with database.engine.connect() as connection:
        seen = (await connection.execute(select(FeedNonceRow.at))).scalars().all()
    assert seen == [now[0]]


async def test_keys_are_stored_sealed_with_the_installation_secret(database, keyed) -> None:
    async with database.engine.connect() as connection:
        cipher = await connection.scalar(select(FeedKeyRow.key_cipher).where(FeedKeyRow.source == "medical"))
    assert KEY not in cipher
    assert unseal(SECRET, "medical", cipher) == KEY
    with pytest.raises(ValueError, match="another secret"):
        unseal(b"another installation", "medical", cipher)
    with pytest.raises(ValueError):
        unseal(SECRET, "hr", cipher)  # bound to its source
    assert seal(SECRET, "medical", KEY) != seal(SECRET, "medical", KEY)  # a fresh nonce each time


async def test_an_unknown_source_gets_no_key(database) -> None:
    with pytest.raises(ValueError, match="unknown source 'weather'"):
        await rotate_key(database, "weather", secret_key=SECRET, now=NOW)


def test_the_command_prints_a_new_key_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("YIMEN_DATABASE_URL", url)
    monkeypatch.setenv("YIMEN_SECRET_KEY", "installation-secret")
    monkeypatch.setenv("YIMEN_DATA_DIR", str(tmp_path / "data"))
    assert main(["monitor", "key", "civil_affairs"]) == 0
    printed = capsys.readouterr().out
    key = printed.strip().rsplit(" ", 1)[-1]
    assert len(key) == 64 and "shown once" in printed

    async def stored() -> str:
        database = Database(url)
        await database.connect()
        try:
            async with database.unit_of_work() as uow:
                return await uow.feed_keys.get("civil_affairs") or ""
        finally:
            await database.dispose()

    assert unseal(b"installation-secret", "civil_affairs", asyncio.run(stored())) == key
    assert main(["monitor", "key", "civil_affairs"]) == 0
    assert capsys.readouterr().out.strip().rsplit(" ", 1)[-1] != key


@pytest.mark.parametrize(("body", "field"), [
    (b"[" * 100_000 + b"]" * 100_000, None),
    (b'[{"id_number": "\xff\xfe"}]', None),
    (b'[{"amount": ' + b"9" * 100_000 + b"}]", None),
    (b'[{"name": "a\\u0000b"}]', "0.name"),
    (b'[{"name": "\\udc00"}]', "0.name"),
    (b'[{"a": {"b": {"c": ' + b"[" * 30 + b"]" * 30 + b"}}}]", "0.a.b.c" + ".0" * 12),
], ids=["deep nesting", "invalid UTF-8", "giant number", "NUL", "lone surrogate", "nested past any row"])
async def test_a_validly_signed_push_that_is_no_json_we_take_is_a_400(client, keyed, importer: StandIn, body: bytes,
                                                                     field: str | None) -> None:
    response = await _push(client, body=body)
    assert response.status == 400
    answer = await response.json()
    assert answer["error"] == "bad_json"
    assert [f["field"] for f in answer.get("fields", [])] == ([field] if field else [])
    assert importer.calls == []


@pytest.mark.parametrize("stamp", ["²", "1" * 5000, "-1", "1.5"])
def test_a_correctly_signed_timestamp_that_is_no_unix_seconds_is_refused_not_an_error(stamp):
    from backend.monitoring.push import PushRefused, verify

    with pytest.raises(PushRefused) as refused:
        verify("key", stamp, sign("key", stamp, b"[]"), b"[]", datetime.now(UTC))
    assert refused.value.status == 401

"""What every response carries: no caching of personal data, HSTS over HTTPS, and JSON for the
errors aiohttp's parser answers itself (a broken request line or header)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from backend.config import Config
from backend.db.database import Database
from backend.serving import AppRunner
from backend.web import init_app
from tests.api.conftest import auth
from tests.cases.helpers import NOW


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/applications", "/api/v1/tasks/1", "/api/v1/nowhere"])
async def test_every_api_response_is_not_stored_by_a_cache(client, tokens, path):
    response = await client.get(path, headers=auth(tokens["wang"]))
    assert response.headers["Cache-Control"] == "no-store"


async def test_an_unauthenticated_refusal_is_not_stored_either(client):
    response = await client.get("/api/v1/applications")
    assert response.status == 401 and response.headers["Cache-Control"] == "no-store"


async def test_hsts_only_when_served_over_https(client, tokens):
    plain = await client.get("/api/v1/me", headers=auth(tokens["wang"]))
    assert "Strict-Transport-Security" not in plain.headers
    proxied = await client.get("/api/v1/me", headers=auth(tokens["wang"]) | {"X-Forwarded-Proto": "https"})
    assert proxied.headers["Strict-Transport-Security"].startswith("max-age=")
    health = await client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in health.headers and "Cache-Control" not in health.headers


@pytest.fixture
async def served(config: Config, database: Database) -> AsyncIterator[int]:
    """The application on a real socket, run as ``yimen serve`` runs it; its port."""
    runner = AppRunner(init_app(config, database=database, clock=lambda: NOW))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize("request_bytes", [
    b"GARBAGE\r\n\r\n",
    b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
    b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nBad\x01Name: 1\r\n\r\n",
], ids=["request line", "header without a colon", "control character in a header name"])
async def test_a_malformed_request_gets_the_api_json_error(served, request_bytes, caplog):
    caplog.set_level(logging.DEBUG)
    status, headers, body = await _raw(served, request_bytes)
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body) == {"error": "bad_request", "message": "the request line or a header is malformed"}
    # The client's mistake is a line in the log, not a traceback of ours.
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


async def test_the_access_log_names_the_path_without_its_query(served, caplog):
    """A query string may hold a WeChat follower's openid or a one-time code: never logged."""
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        status, _, _ = await _raw(served, b"GET /healthz?openid=o_private_1&code=ONE_TIME HTTP/1.1\r\n"
                                          b"Host: x\r\nConnection: close\r\n\r\n")
        await asyncio.sleep(0.05)  # the line is written as the response completes
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert status == 200 and any('"GET /healthz" 200' in line for line in lines), lines
    assert not any("o_private_1" in line or "ONE_TIME" in line for line in lines), lines

"""The bot apart from the API (``yimen serve --role bot``): submissions over HTTP, never twice."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from backend.api.client import ApiClient, ApiUnavailable
from backend.cases.ports import Role
from backend.config import ConfigError
from backend.crypto import IdHasher
from backend.db.models import ApplicationRow
from backend.intake import Duplicate, Submitted
from backend.web import init_app
from bot.app import build_conversations
from bot.remote_intake import RemoteIntake
from bot.serve import check_role
from locales import Translations
from tests.api.conftest import create_body
from tests.bot.transcript import HERE, Player, load
from tests.cases.helpers import NOW, add_staff
from tests.fakes.clock import FakeClock

ON_POSTGRES = bool(os.environ.get("YIMEN_TEST_DATABASE_URL"))


def test_a_split_that_cannot_work_is_refused_before_starting(config):
    with pytest.raises(ConfigError, match="YIMEN_API_URL"):
        check_role(config, "bot")
    with pytest.raises(ConfigError, match="database server"):
        check_role(replace(config, database_url="sqlite+aiosqlite:///x.db", api_url="http://a", api_token="t"), "bot")
    check_role(replace(config, database_url="postgresql+asyncpg://h/db", api_url="http://a", api_token="t"), "bot")


@pytest.fixture
async def api(config, database):
    """The API on a loopback port; ``drop_first`` makes it lose the response to the first create."""
    state = {"drop_first": False, "creates": 0}

    @web.middleware
    async def lose_a_response(request, handler):
        response = await handler(request)
        if request.path == "/api/v1/applications" and request.method == "POST":
            state["creates"] += 1
            if state["drop_first"] and state["creates"] == 1:
                # The application is stored; the bot never hears of it, as when a connection drops.
                request.transport.close()
        return response

    # Its own connection pool, as the API process of a split deployment has.
    app = init_app(config, clock=lambda: NOW)
    app.middlewares.append(lose_a_response)
    server = TestServer(app)
    await server.start_server()
    try:
        yield server, state
    finally:
        await server.close()


async def client_for(server, token) -> ApiClient:
    client = ApiClient(str(server.make_url("")), token, backoff=0.01)
    await client.start()
    return client


async def submit(intake, database, data, resident="tg-1"):
    async with database.unit_of_work() as uow:
        who = await uow.residents.identify("telegram", resident, now=NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        return await intake.submit(uow, data, resident_id=who.id, document_ids=[], now=NOW)


async def count(database) -> int:
    async with database.engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(ApplicationRow))


async def test_a_lost_response_is_retried_with_the_same_key_and_makes_one_application(api, tokens, database):
    server, state = api
    state["drop_first"] = True
    client = await client_for(server, tokens["bot"])
    try:
        intake = RemoteIntake(client, IdHasher(b"k"))
        outcome = await submit(intake, database, create_body()["application"])
    finally:
        await client.close()
    assert state["creates"] == 2
    assert isinstance(outcome, Submitted) and outcome.application.number == "YM20261129000001"
    assert outcome.application.status.value == "assigned"
    assert await count(database) == 1


async def test_a_retried_turn_stamps_a_new_time_and_still_gets_the_first_application(api, tokens, database):
    server, _ = api
    client = await client_for(server, tokens["bot"])
    try:
        intake = RemoteIntake(client, IdHasher(b"k"))
        data = create_body()["application"]
        first = await submit(intake, database, data)
        later = {**data, "submitted_at": "2026-11-29T02:05:00Z"}
        again = await submit(intake, database, later)
        other = await submit(intake, database, data, resident="tg-2")  # someone else, same household
    finally:
        await client.close()
    assert isinstance(again, Submitted) and again.application.number == first.application.number
    assert isinstance(other, Duplicate) and other.existing.number == first.application.number
    assert await count(database) == 1


async def test_an_api_that_refuses_is_reported_without_personal_data(api, tokens, database):
    server, _ = api
    client = await client_for(server, tokens["wang"] + "-revoked")
    try:
        with pytest.raises(ApiUnavailable, match="401") as refused:
            await submit(RemoteIntake(client, IdHasher(b"k")), database, create_body()["application"])
    finally:
        await client.close()
    assert "110105" not in str(refused.value)


@pytest.mark.skipif(not ON_POSTGRES, reason="the bot and the API share a database server only on PostgreSQL; "
                    "SQLite's single write lock would be held by the bot's turn while the API waits")
async def test_a_resident_applies_through_a_bot_that_submits_over_http(
    api, config, database, database_url
):
    server, state = api
    clock, translations = FakeClock(), Translations()
    # Only the bot's account: with no caseworker in the office the case stays assessed, as the transcript says.
    client = await client_for(server, (await add_staff(database, "bot", Role.BOT_SERVICE)).token)

    def make(db):
        return build_conversations(config, db, clock=clock, translations=translations,
                                   intake=RemoteIntake(client, IdHasher(config.secret_key)))

    try:
        player = Player(load(HERE / "happy_path_self.yaml"), "zh_CN", database_url, database, make, clock)
        await player.play()
    finally:
        await client.close()
    assert state["creates"] == 1 and await count(database) == 1


async def test_serve_role_api_answers_until_stopped(config, database, unused_tcp_port):
    import asyncio

    import aiohttp

    from bot.serve import serve

    stop = asyncio.Event()
    config = replace(config, http_port=unused_tcp_port)
    running = asyncio.create_task(serve(config, stop, role="api"))
    base = f"http://127.0.0.1:{unused_tcp_port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(f"{base}/healthz") as response:
                    assert response.status == 200
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        async with session.get(f"{base}/api/v1/me") as response:
            assert response.status == 401
        async with session.get(f"{base}/api/v1/openapi.json") as response:
            assert (await response.json())["info"]["title"] == "Yimen API"
    stop.set()
    await asyncio.wait_for(running, 10)

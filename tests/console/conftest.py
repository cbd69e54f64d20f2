"""The console over the test database: the API application with the console mounted, its clock
fixed, and staff who have console passwords."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from backend.config import Config
from backend.console.app import mount
from backend.db.database import Database
from backend.staff.accounts import set_password
from backend.web import init_app
from flows.intake import INTAKE
from flows.machine import question_states
from tests.cases.helpers import NOW, STAFF, add_staff

PASSWORD = "correct horse battery"
FUNNEL = (*question_states(INTAKE), "summary", "submitted")


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Config:
    return Config(database_url=database_url, locale="zh_CN", data_dir=tmp_path / "data", secret_key=b"k")


def console_application(config: Config, database: Database, clock=lambda: NOW, desk=None) -> web.Application:
    app = init_app(config, database=database, clock=clock)
    mount(app, desk=desk, funnel_steps=FUNNEL)
    return app


@pytest.fixture
async def client(config: Config, database: Database) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(console_application(config, database))) as client:
        yield client


@pytest.fixture
async def staff(database: Database) -> dict[str, object]:
    accounts = {}
    for name, (role, office) in STAFF.items():
        accounts[name] = (await add_staff(database, name, role, office)).user
        async with database.unit_of_work() as uow:
            await set_password(uow, name, PASSWORD)
            await uow.commit()
    return accounts


def csrf_in(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


async def sign_in(client: TestClient, username: str, password: str = PASSWORD, *, lang: str = "en"):
    """Sign in through the form, as a browser would; the response after the redirect."""
    client.session.cookie_jar.update_cookies({"yimen_console_lang": lang})
    page = await client.get("/console/sign-in")
    return await client.post("/console/sign-in", data={"csrf": csrf_in(await page.text()), "username": username,
                                                      "password": password, "next": "/console/queue"})


async def post_form(client: TestClient, path: str, referer: str, **fields: str):
    """Post a form of the page at ``referer`` with that page's CSRF token."""
    page = await client.get(referer)
    return await client.post(path, data={"csrf": csrf_in(await page.text()), **fields})


@pytest.fixture
async def aiohttp_client_for() -> AsyncIterator[object]:
    """Clients of applications built in the test: ``client = await aiohttp_client_for(app)``."""
    clients: list[TestClient] = []

    async def make(app: web.Application) -> TestClient:
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()

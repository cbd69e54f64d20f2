"""An API application over the test database, its clock fixed, and staff with tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from backend.cases.ports import Role
from backend.config import Config
from backend.db.database import Database
from backend.web import init_app
from tests.cases.helpers import NOW, STAFF, add_staff, payload


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Config:
    return Config(database_url=database_url, locale="zh_CN", data_dir=tmp_path / "data", secret_key=b"k")


@pytest.fixture
async def client(config: Config, database: Database) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(init_app(config, database=database, clock=lambda: NOW))) as client:
        yield client


@pytest.fixture
async def tokens(database: Database) -> dict[str, str]:
    """The office staff of every role, and the bot's service account."""
    accounts = {**STAFF, "bot": (Role.BOT_SERVICE, None)}
    return {name: (await add_staff(database, name, role, office)).token for name, (role, office) in accounts.items()}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create_body(serial: int = 1, office: str = "hubin", resident: str = "tg-1", **kw: Any) -> dict[str, Any]:
    return {"resident": {"channel": "telegram", "external_id": resident}, "application": payload(serial, office, **kw)}

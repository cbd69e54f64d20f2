"""A conversation runner over the test database, with a fake clock and counted ids."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from backend.config import Config
from backend.db.database import Database
from bot.app import build_conversations
from bot.conversations import Conversations
from locales import Translations
from tests.fakes.clock import Counter, FakeClock


@pytest.fixture(scope="session")
def translations() -> Translations:
    return Translations()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Config:
    return Config(
        database_url=database_url,
        locale="zh_CN",
        data_dir=tmp_path / "data",
        secret_key=b"test-key",
        max_document_bytes=64 * 1024,
    )


@pytest.fixture
def make_conversations(
    config: Config, clock: FakeClock, translations: Translations
) -> Callable[[Database], Conversations]:
    """Build a runner over a database: a new one per call, as after a process restart."""
    ids = Counter("doc")

    def make(database: Database) -> Conversations:
        return build_conversations(config, database, clock=clock, new_id=ids, translations=translations)

    return make


@pytest.fixture
def conversations(database: Database, make_conversations) -> Conversations:
    return make_conversations(database)

"""What the storage contract tests share: a fixed time, ID hashes, a committed resident."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from backend.application import ApplicationV1
from backend.db.database import Database

NOW = datetime(2026, 11, 29, 10, 0, 0, 123456, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def id_hash(id_number: str) -> str:
    """A stand-in for the keyed hash the intake service computes."""
    return hashlib.sha256(b"test-key:" + id_number.encode()).hexdigest()


def hashes_of(application: ApplicationV1) -> list[str]:
    """The ID hashes of every household member."""
    return [id_hash(n) for n in application.id_numbers()]


async def new_resident(db: Database, external_id: str = "u1", channel: str = "telegram") -> str:
    """A committed resident's id."""
    async with db.unit_of_work() as uow:
        resident = await uow.residents.identify(channel, external_id, now=NOW)
        await uow.commit()
    return resident.id

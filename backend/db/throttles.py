"""SQLAlchemy implementation of the throttles' counters (``backend/throttle.py``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ThrottleRow
from backend.db.records import record_of
from backend.db.sql import dialect_insert, rows_changed
from backend.throttle import Counter


class SqlThrottleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def hold(self, key: str, *, now: datetime) -> Counter:
        # The row exists before it is locked: two first guesses at once then wait for each other
        # on PostgreSQL (FOR UPDATE); on SQLite the unit of work already holds the write lock.
        await self._session.execute(
            dialect_insert(self._session, ThrottleRow.__table__).values(key=key, failures=0, blocks=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = (await self._session.execute(
            select(ThrottleRow.failures, ThrottleRow.since, ThrottleRow.blocked_until, ThrottleRow.blocks)
            .where(ThrottleRow.key == key).with_for_update()
        )).one()
        return record_of(Counter, row)

    async def put(self, key: str, counter: Counter, *, now: datetime) -> None:
        await self._session.execute(
            update(ThrottleRow).where(ThrottleRow.key == key).values(
                failures=counter.failures, since=counter.since, blocked_until=counter.blocked_until,
                blocks=counter.blocks, updated_at=now,
            )
        )

    async def purge(self, *, before: datetime) -> int:
        return await rows_changed(
            self._session,
            delete(ThrottleRow).where(
                ThrottleRow.updated_at < before,
                or_(ThrottleRow.blocked_until.is_(None), ThrottleRow.blocked_until < before),
            )
        )

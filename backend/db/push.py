"""SQLAlchemy implementation of the feed key port: departments' sealed keys and the signatures seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import FeedKeyRow, FeedNonceRow
from backend.db.sql import dialect_insert


class SqlFeedKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, source: str) -> str | None:
        return await self._session.scalar(select(FeedKeyRow.key_cipher).where(FeedKeyRow.source == source))

    async def put(self, source: str, cipher: str, *, at: datetime) -> None:
        statement = dialect_insert(self._session, FeedKeyRow.__table__).values(
            source=source, key_cipher=cipher, created_at=at
        )
        statement = statement.on_conflict_do_update(
            index_elements=["source"],
            set_={"key_cipher": statement.excluded.key_cipher, "created_at": statement.excluded.created_at},
        )
        connection = await self._session.connection()
        await connection.execute(statement)

    async def remember(self, source: str, nonce: str, *, at: datetime) -> bool:
        statement = (
            dialect_insert(self._session, FeedNonceRow.__table__)
            .values(source=source, nonce=nonce, at=at)
            .on_conflict_do_nothing(index_elements=["source", "nonce"])
        )
        connection = await self._session.connection()
        result = await connection.execute(statement)
        return result.rowcount == 1

    async def forget_before(self, cutoff: datetime) -> int:
        connection = await self._session.connection()
        result = await connection.execute(delete(FeedNonceRow).where(FeedNonceRow.at < cutoff))
        return int(result.rowcount or 0)

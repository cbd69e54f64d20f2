"""SQLAlchemy implementation of the idempotency store: responses replayed when a request's key comes again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend.cases.ports import StoredResponse
from backend.db.models import IdempotencyRow
from backend.db.records import record_of
from backend.db.sql import advisory_lock, dialect_insert, rows_changed


class SqlIdempotencyStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(self, owner: str, key: str) -> None:
        await advisory_lock(self._session, f"idempotency:{owner}:{key}")

    async def get(self, owner: str, key: str) -> StoredResponse | None:
        row = await self._session.get(IdempotencyRow, (owner, key))
        return record_of(StoredResponse, row, body=row.response) if row else None

    async def put(self, owner: str, key: str, response: StoredResponse, *, at: datetime) -> None:
        self._session.add(
            IdempotencyRow(
                owner=owner,
                key=key,
                request_hash=response.request_hash,
                status=response.status,
                response=response.body,
                created_at=at,
            )
        )
        await self._session.flush()

    async def put_new(self, owner: str, key: str, response: StoredResponse, *, at: datetime) -> bool:
        # One statement where a read and an insert would be two: the primary key decides.
        statement = dialect_insert(self._session, IdempotencyRow.__table__).values(
            owner=owner, key=key, request_hash=response.request_hash, status=response.status,
            response=response.body, created_at=at,
        ).on_conflict_do_nothing(index_elements=["owner", "key"])
        return await rows_changed(self._session, statement) == 1

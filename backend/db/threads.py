"""SQLAlchemy implementation of the thread port: the messages between the office and the resident."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.applications import application_id_of
from backend.db.models import ApplicationRow, CaseMessageRow, NotificationRow
from backend.db.records import record_of
from backend.store.threads import CaseMessage, Direction, MessageKind, SentNotice


def _message(row: CaseMessageRow, number: str) -> CaseMessage:
    return record_of(CaseMessage, row, number=number, direction=Direction(row.direction), kind=MessageKind(row.kind),
                     document_ids=tuple(row.document_ids or ()))


class SqlThreadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, number: str, *, direction: Direction, kind: MessageKind, author: str, body: str,
                  at: datetime, document_ids: tuple[str, ...] = ()) -> CaseMessage:
        row = CaseMessageRow(application_id=await application_id_of(self._session, number), direction=direction.value,
                             kind=kind.value, author=author, body=body, document_ids=list(document_ids), at=at,
                             read_at=None)
        self._session.add(row)
        await self._session.flush()
        return _message(row, number)

    async def messages(self, number: str) -> list[CaseMessage]:
        application_id = await application_id_of(self._session, number)
        rows = await self._session.scalars(
            select(CaseMessageRow).where(CaseMessageRow.application_id == application_id)
            .order_by(CaseMessageRow.at, CaseMessageRow.id)
        )
        return [_message(r, number) for r in rows]

    async def notices(self, number: str) -> list[SentNotice]:
        rows = await self._session.scalars(
            select(NotificationRow).where(NotificationRow.application_number == number)
            .order_by(NotificationRow.created_at, NotificationRow.id)
        )
        return [record_of(SentNotice, r, at=r.created_at) for r in rows]

    async def mark_read(self, number: str, *, at: datetime) -> int:
        application_id = await application_id_of(self._session, number)
        result = await self._session.execute(
            update(CaseMessageRow)
            .where(CaseMessageRow.application_id == application_id,
                   CaseMessageRow.direction == Direction.FROM_RESIDENT.value,
                   CaseMessageRow.read_at.is_(None))
            .values(read_at=at)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def unread(self, numbers: list[str]) -> set[str]:
        if not numbers:
            return set()
        rows = await self._session.scalars(
            select(ApplicationRow.number).distinct()
            .join(CaseMessageRow, CaseMessageRow.application_id == ApplicationRow.id)
            .where(ApplicationRow.number.in_(numbers),
                   CaseMessageRow.direction == Direction.FROM_RESIDENT.value,
                   CaseMessageRow.read_at.is_(None))
        )
        return set(rows)

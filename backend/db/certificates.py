"""SQLAlchemy implementation of the honour-certificate port, bound to one unit of work's session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import CertificateRow
from backend.db.records import record_of
from backend.points.ports import Certificate

# PostgreSQL's SQLSTATE for a unique violation; SQLite only says so in its message.
_UNIQUE_VIOLATION = "23505"


def _unique_violation(error: IntegrityError) -> bool:
    sqlstate: object = getattr(error.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate == _UNIQUE_VIOLATION
    return "UNIQUE constraint failed" in str(error.orig)


class SqlCertificateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, volunteer_id: int, milestone: int, at: datetime) -> int | None:
        row = CertificateRow(volunteer_id=volunteer_id, milestone_hours=milestone, issued_at=at)
        try:
            # Insert and let the unique constraint refuse a repeat: a read first would let two
            # concurrent awards both see none. The savepoint keeps the unit of work usable.
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError as error:
            if not _unique_violation(error):
                raise  # an unknown volunteer, say: a fault, not a repeat
            return None
        return row.id

    async def list(self, volunteer_id: int) -> list[Certificate]:
        rows = await self._session.scalars(
            select(CertificateRow).where(CertificateRow.volunteer_id == volunteer_id)
            .order_by(CertificateRow.milestone_hours)
        )
        return [record_of(Certificate, r, milestone=r.milestone_hours) for r in rows]

"""SQLAlchemy implementation of the audit log: who read or changed which case, when."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.cases.ports import AuditEntry
from backend.db.models import AuditRow
from backend.db.records import record_of


class SqlAuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, *, actor: str, action: str, target: str, details: Mapping[str, object],
                     at: datetime) -> None:
        self._session.add(AuditRow(actor=actor, action=action, target=target, details=dict(details), at=at))

    async def for_target(self, target: str) -> list[AuditEntry]:
        rows = await self._session.scalars(
            select(AuditRow).where(AuditRow.target == target).order_by(AuditRow.at, AuditRow.id)
        )
        return [record_of(AuditEntry, r) for r in rows]

"""SQLAlchemy implementation of conversation snapshots, their timers, and the content-free turn log."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import Executable

from backend.db.models import ConversationSessionRow, ConversationTurnRow
from backend.db.sql import run_core
from backend.ports import DueSession

_LOAD_SESSION = select(ConversationSessionRow.snapshot).where(
    ConversationSessionRow.resident_id == bindparam("resident_id"),
    ConversationSessionRow.flow == bindparam("flow"),
)
_LOG_TURN = insert(ConversationTurnRow)
_SESSION_FIELDS = ("snapshot", "state", "updated_at", "remind_at", "expire_at")


@lru_cache(maxsize=4)
def _save_session(dialect: str) -> Executable:
    """The session upsert for a dialect: insert, or replace the snapshot and timers."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ConversationSessionRow)
    return statement.on_conflict_do_update(
        index_elements=["resident_id", "flow"],
        set_={name: statement.excluded[name] for name in _SESSION_FIELDS},
    )


class SqlSessionRepository:
    """Conversation snapshots, their timers, and the content-free turn log."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Snapshots read in this unit of work and not written since: a turn's side paths and the
        # turn itself often read the same one. Only this repository writes sessions, and every
        # write forgets what it changes.
        self._read: dict[tuple[str, str], dict[str, object] | None] = {}

    async def load(self, resident_id: str, flow: str) -> dict[str, object] | None:
        """The saved snapshot, or None (a copy: the caller may change it)."""
        key = (resident_id, flow)
        if key in self._read:
            stored = self._read[key]
        else:
            # Selecting the column (not the entity) always reads the database, never a stale identity map.
            result = await run_core(self._session, _LOAD_SESSION, {"resident_id": resident_id, "flow": flow})
            stored = self._read[key] = result.scalar()
        return dict(stored) if stored is not None else None

    async def save(self, resident_id: str, flow: str, snapshot: dict[str, object], *, state: str, updated_at: datetime,
                   remind_at: datetime | None, expire_at: datetime | None) -> None:
        """Insert or replace the resident's session of ``flow``."""
        self._read.pop((resident_id, flow), None)
        dialect = self._session.get_bind().dialect.name
        await run_core(
            self._session,
            _save_session(dialect),
            {
                "resident_id": resident_id,
                "flow": flow,
                "snapshot": snapshot,
                "state": state,
                "updated_at": updated_at,
                "remind_at": remind_at,
                "expire_at": expire_at,
            },
        )

    async def delete(self, resident_id: str, flow: str) -> None:
        """Forget the session, if any."""
        self._read.pop((resident_id, flow), None)
        await self._session.execute(
            delete(ConversationSessionRow).where(
                ConversationSessionRow.resident_id == resident_id, ConversationSessionRow.flow == flow
            )
        )

    async def record_turn(self, resident_id: str, flow: str, *, turn: int, state_before: str, state_after: str,
                          event_kind: str, at: datetime) -> None:
        """Log a turn's step change (no content: the log feeds the intake funnel)."""
        await run_core(
            self._session,
            _LOG_TURN,
            {
                "resident_id": resident_id,
                "flow": flow,
                "turn": turn,
                "state_before": state_before,
                "state_after": state_after,
                "event_kind": event_kind,
                "at": at,
            },
        )

    async def due(self, now: datetime) -> list[DueSession]:
        """Sessions whose reminder or expiry time has come."""
        rows = await self._session.execute(
            select(ConversationSessionRow.resident_id, ConversationSessionRow.flow)
            .where((ConversationSessionRow.remind_at <= now) | (ConversationSessionRow.expire_at <= now))
            .order_by(ConversationSessionRow.resident_id, ConversationSessionRow.flow)
        )
        return [DueSession(resident_id=r.resident_id, flow=r.flow) for r in rows]

"""SQLAlchemy implementation of the console's credentials and sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ConsoleSessionRow, UserRow
from backend.db.sql import rows_changed
from backend.db.users import as_user
from backend.store.console import ConsoleSession, Credentials


class SqlConsoleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def credentials(self, username: str) -> Credentials | None:
        row = await self._session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            return None
        return Credentials(as_user(row), row.password_hash)

    async def set_password(self, username: str, password_hash: str) -> bool:
        user_id = await self._session.scalar(select(UserRow.id).where(UserRow.username == username))
        if user_id is None:
            return False
        await self._session.execute(
            update(UserRow).where(UserRow.id == user_id)
            .values(password_hash=password_hash)
        )
        # A new password ends every session signed in with the old one.
        await self._session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.user_id == user_id))
        return True

    async def add_session(self, token_hash: str, *, user_id: int, csrf: str, at: datetime,
                          expires_at: datetime) -> None:
        self._session.add(ConsoleSessionRow(token_hash=token_hash, user_id=user_id, csrf=csrf, created_at=at,
                                            expires_at=expires_at))

    async def session(self, token_hash: str, *, now: datetime) -> ConsoleSession | None:
        row = (await self._session.execute(
            select(UserRow, ConsoleSessionRow.csrf, ConsoleSessionRow.expires_at)
            .join(ConsoleSessionRow, ConsoleSessionRow.user_id == UserRow.id)
            .where(ConsoleSessionRow.token_hash == token_hash, ConsoleSessionRow.expires_at > now,
                   UserRow.active.is_(True))
        )).first()
        return ConsoleSession(as_user(row[0]), row[1], row[2]) if row else None

    async def end_session(self, token_hash: str) -> None:
        await self._session.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.token_hash == token_hash))

    async def purge(self, *, now: datetime) -> int:
        return await rows_changed(self._session, delete(ConsoleSessionRow).where(ConsoleSessionRow.expires_at <= now))

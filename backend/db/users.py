"""SQLAlchemy implementation of the staff's user port, bound to one unit of work's session."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.cases.lifecycle import OPEN
from backend.cases.ports import UNSET, DuplicateUser, Role, Unset, User
from backend.db.models import ApplicationRow, UserRow
from backend.db.records import record_of
from backend.db.sql import add_unique
from backend.ports import NotFound
from backend.store.users import NewUser

_OPEN = [s.value for s in OPEN]


def as_user(row: UserRow) -> User:
    """The port value of a user row."""
    return record_of(User, row, role=Role(row.role))


class SqlUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user: NewUser, *, at: datetime) -> User:
        row = UserRow(**{**asdict(user), "role": user.role.value}, active=True, created_at=at)
        taken = DuplicateUser(f"a user named {user.username!r} or with that Telegram id exists already")
        await add_unique(self._session, row, taken)
        return as_user(row)

    async def get(self, username: str) -> User | None:
        row = await self._session.scalar(select(UserRow).where(UserRow.username == username))
        return as_user(row) if row else None

    async def by_token_hash(self, token_hash: str) -> User | None:
        row = await self._session.scalar(
            select(UserRow).where(UserRow.token_hash == token_hash, UserRow.active.is_(True))
        )
        return as_user(row) if row else None

    async def list(self, office: str | None = None) -> list[User]:
        statement = select(UserRow).order_by(UserRow.id)
        if office is not None:
            statement = statement.where(UserRow.office == office)
        return [as_user(r) for r in await self._session.scalars(statement)]

    async def update(
        self,
        username: str,
        *,
        on_duty: bool | Unset = UNSET,
        active: bool | Unset = UNSET,
        token_hash: str | Unset = UNSET,
    ) -> User:
        values = {
            name: value
            for name, value in (("on_duty", on_duty), ("active", active), ("token_hash", token_hash))
            if value is not UNSET
        }
        if values:
            await self._session.execute(update(UserRow).where(UserRow.username == username).values(**values))
        user = await self.get(username)
        if user is None:
            raise NotFound(f"no user {username!r}")
        return user

    async def least_loaded(self, office: str, *, on_duty: bool = False) -> User | None:
        load = func.count(ApplicationRow.id)
        statement = (
            select(UserRow, load)
            .outerjoin(
                ApplicationRow,
                and_(ApplicationRow.assigned_to == UserRow.id, ApplicationRow.status.in_(_OPEN)),
            )
            .where(UserRow.office == office, UserRow.role == Role.CASEWORKER.value, UserRow.active.is_(True))
            .group_by(UserRow.id)
            .order_by(load, UserRow.id)
            .limit(1)
        )
        if on_duty:
            statement = statement.where(UserRow.on_duty.is_(True))
        row = (await self._session.execute(statement)).first()
        return as_user(row[0]) if row else None

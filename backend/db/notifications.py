"""SQLAlchemy implementation of the notification port: residents' status updates and their dispatch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.cases.ports import DueNotification, Notification
from backend.db.models import ChannelIdentityRow, NotificationRow, ResidentRow
from backend.db.records import record_of
from backend.db.sql import run_core
from backend.store.notifications import NoticeMark

# Built once: a dispatcher marks every notification of its pass, and building the statement (or
# running it through the ORM) costs more than the UPDATE. The bind names differ from the columns,
# which an UPDATE would take for values to set.
_MARK = (
    update(NotificationRow)
    .where(NotificationRow.id == bindparam("notification_id"))
    .values(
        status=bindparam("new_status"),
        dispatched_at=bindparam("at", type_=NotificationRow.__table__.c.dispatched_at.type),
        outbox_id=bindparam("queued_as"),
    )
)


def _notification(row: NotificationRow) -> Notification:
    return record_of(Notification, row)


class SqlNotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, resident_id: str, application_number: str | None, kind: str, params: dict[str, object],
                  at: datetime, urgent: bool = False, not_before: datetime | None = None) -> None:
        self._session.add(
            NotificationRow(
                resident_id=resident_id,
                application_number=application_number,
                kind=kind,
                params=params,
                urgent=urgent,
                created_at=at,
                not_before=not_before,
            )
        )

    async def claim(self, *, channels: tuple[str, ...], urgent_only: bool, limit: int,
                    now: datetime) -> list[DueNotification]:
        statement = select(NotificationRow).where(
            NotificationRow.status == "pending",
            or_(NotificationRow.not_before.is_(None), NotificationRow.not_before <= now),
        )
        if urgent_only:
            statement = statement.where(NotificationRow.urgent.is_(True))
        # Emergencies first, then oldest first.
        statement = statement.order_by(NotificationRow.urgent.desc(), NotificationRow.id).limit(limit)
        if self._session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        rows = list(await self._session.scalars(statement))
        if not rows:
            return []
        residents = {r.resident_id for r in rows}
        locales = dict(
            (await self._session.execute(
                select(ResidentRow.id, ResidentRow.locale).where(ResidentRow.id.in_(residents))
            )).all()
        )
        # The identity to push to: of the channels that can push, the most preferred; within one
        # channel the newest identity.
        identities: dict[str, tuple[str, str]] = {}
        found = await self._session.execute(
            select(ChannelIdentityRow.resident_id, ChannelIdentityRow.channel, ChannelIdentityRow.external_id)
            .where(ChannelIdentityRow.resident_id.in_(residents), ChannelIdentityRow.channel.in_(channels))
            .order_by(ChannelIdentityRow.id.desc())
        )
        for resident_id, channel, address in found:
            best = identities.get(resident_id)
            if best is None or channels.index(channel) < channels.index(best[0]):
                identities[resident_id] = (channel, address)
        return [
            DueNotification(
                _notification(r),
                locales.get(r.resident_id),
                *identities.get(r.resident_id, (None, None)),
            )
            for r in rows
        ]

    async def hold(self, notification_id: int, *, until: datetime) -> None:
        await self._session.execute(
            update(NotificationRow).where(NotificationRow.id == notification_id).values(not_before=until)
        )

    async def dispatched_since(self, resident_ids: set[str], kinds: frozenset[str], *,
                               since: datetime) -> dict[str, int]:
        if not resident_ids:
            return {}
        found = await self._session.execute(
            select(NotificationRow.resident_id, func.count())
            .where(NotificationRow.resident_id.in_(resident_ids), NotificationRow.kind.in_(kinds),
                   NotificationRow.status.in_(("queued", "waiting", "shown")),
                   NotificationRow.dispatched_at >= since)
            .group_by(NotificationRow.resident_id)
        )
        return {resident_id: int(count) for resident_id, count in found}

    async def waiting(self, resident_id: str) -> list[Notification]:
        rows = await self._session.scalars(
            select(NotificationRow)
            .where(NotificationRow.resident_id == resident_id, NotificationRow.status == "waiting")
            .order_by(NotificationRow.id)
        )
        return [_notification(n) for n in rows]

    async def requeue_waiting(self, resident_id: str) -> None:
        """The resident can be pushed to now: what waited for their return goes out like any other."""
        await self._session.execute(
            update(NotificationRow)
            .where(NotificationRow.resident_id == resident_id, NotificationRow.status == "waiting")
            .values(status="pending", dispatched_at=None)
        )

    async def mark(self, notification_id: int, *, status: str, at: datetime, outbox_id: int | None = None) -> None:
        # Through the session: a turn may read the notification again in the same unit of work.
        await self._session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == notification_id)
            .values(status=status, dispatched_at=at, outbox_id=outbox_id)
        )

    async def mark_many(self, marks: Sequence[NoticeMark], *, at: datetime) -> None:
        if marks:  # one statement for the pass (executemany); the pass reads none of them again
            await run_core(self._session, _MARK, [
                {"notification_id": note, "new_status": status, "at": at, "queued_as": outbox_id}
                for note, status, outbox_id in marks])

    async def for_resident(self, resident_id: str) -> list[Notification]:
        rows = await self._session.scalars(
            select(NotificationRow).where(NotificationRow.resident_id == resident_id).order_by(NotificationRow.id)
        )
        return [_notification(n) for n in rows]

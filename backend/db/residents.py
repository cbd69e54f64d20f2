"""SQLAlchemy implementation of the residents and the channel identities that lead to them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, delete, exists, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.links import LINK_CHANNEL
from backend.db.models import (
    ApplicationRow,
    ChannelIdentityRow,
    DocumentRow,
    EscalationRow,
    NotificationRow,
    RegistryPersonRow,
    ResidentRow,
    TaskRow,
    VolunteerRow,
)
from backend.db.records import columns_for, record_of
from backend.db.sql import THIS_IDENTITY, dialect_insert, document_meta, identity_binds, rows_changed, run_core
from backend.ports import IdentityMove, NotFound, Resident

# The fields of Resident that are no column of residents: read beside the row, with the identity.
_HINTS = ("volunteer", "notices_waiting")
_FIND_RESIDENT = (
    select(
        *columns_for(Resident, ResidentRow.__table__, skip=_HINTS),
        exists().where(VolunteerRow.resident_id == ResidentRow.id).label("volunteer"),
        exists().where(NotificationRow.resident_id == ResidentRow.id, NotificationRow.status == "waiting")
        .label("notices_waiting"),
    )
    .join(ChannelIdentityRow, ChannelIdentityRow.resident_id == ResidentRow.id)
    .where(
        ChannelIdentityRow.channel == bindparam("channel"),
        ChannelIdentityRow.external_id == bindparam("external_id"),
    )
)
_ACCEPT_INBOUND = (
    update(ChannelIdentityRow)
    .where(
        *THIS_IDENTITY,
        ChannelIdentityRow.last_inbound_id.is_(None) | (ChannelIdentityRow.last_inbound_id < bindparam("inbound_id")),
    )
    .values(last_inbound_id=bindparam("inbound_id"))
)
_ACTIVE_PROMPT = select(ChannelIdentityRow.active_prompt).where(*THIS_IDENTITY)
_SET_ACTIVE_PROMPT = update(ChannelIdentityRow).where(*THIS_IDENTITY).values(active_prompt=bindparam("prompt"))


class SqlResidentRepository:
    """Residents and the channel identities that lead to them."""

    def __init__(self, session: AsyncSession, new_id: Callable[[], str]) -> None:
        self._session = session
        self._new_id = new_id

    async def _find(self, channel: str, external_id: str) -> Resident | None:
        """The resident behind a channel identity, if known."""
        result = await run_core(self._session, _FIND_RESIDENT, {"channel": channel, "external_id": external_id})
        row = result.first()
        return _resident(row) if row else None

    async def identify(self, channel: str, external_id: str, *, now: datetime) -> Resident:
        """Return the resident behind a channel identity, creating both on first contact."""
        if found := await self._find(channel, external_id):
            return found
        resident_id = self._new_id()
        await self._session.execute(
            dialect_insert(self._session, ResidentRow.__table__).values(
                id=resident_id, locale=None, created_at=now, unreachable=False
            )
        )
        # ON CONFLICT: two first messages racing must end with one resident, not an error.
        changed = await rows_changed(
            self._session,
            dialect_insert(self._session, ChannelIdentityRow.__table__)
            .values(resident_id=resident_id, channel=channel, external_id=external_id, created_at=now)
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        )
        if changed == 0:
            await self._session.execute(delete(ResidentRow).where(ResidentRow.id == resident_id))
            found = await self._find(channel, external_id)
            assert found is not None, "conflicting identity vanished"
            return found
        return Resident(id=resident_id, locale=None, created_at=now, volunteer=False, notices_waiting=False)

    async def get(self, resident_id: str) -> Resident | None:
        """The resident, or None."""
        row = await self._session.get(ResidentRow, resident_id)
        return _resident(row) if row else None

    async def accept_inbound(self, channel: str, external_id: str, inbound_id: int) -> bool:
        """Advance the identity's inbound cursor; False for an id already handled."""
        params = {**identity_binds(channel, external_id), "inbound_id": inbound_id}
        result = await run_core(self._session, _ACCEPT_INBOUND, params)
        return result.rowcount == 1

    async def active_prompt(self, channel: str, external_id: str) -> int | None:
        result = await run_core(self._session, _ACTIVE_PROMPT, identity_binds(channel, external_id))
        return result.scalar()

    async def set_active_prompt(self, channel: str, external_id: str, outbox_id: int | None) -> None:
        await run_core(self._session, _SET_ACTIVE_PROMPT, {**identity_binds(channel, external_id), "prompt": outbox_id})

    async def set_offers(self, resident_id: str, enabled: bool) -> None:
        await self._session.execute(
            update(ResidentRow).where(ResidentRow.id == resident_id).values(offers_off=not enabled)
        )

    async def set_active_flow(self, resident_id: str, flow: str | None) -> None:
        await self._session.execute(update(ResidentRow).where(ResidentRow.id == resident_id).values(active_flow=flow))

    async def set_talking_to(self, resident_id: str, escalation_id: int | None) -> None:
        await self._session.execute(
            update(ResidentRow).where(ResidentRow.id == resident_id).values(talking_to=escalation_id)
        )

    async def identities(self, resident_id: str) -> list[tuple[str, str]]:
        """The resident's (channel, external id) pairs, newest first (one-time link codes are no channel)."""
        rows = await self._session.execute(
            select(ChannelIdentityRow.channel, ChannelIdentityRow.external_id)
            .where(ChannelIdentityRow.resident_id == resident_id, ChannelIdentityRow.channel != LINK_CHANNEL)
            .order_by(ChannelIdentityRow.id.desc())
        )
        return [(channel, external_id) for channel, external_id in rows]

    async def find(self, channel: str, external_id: str) -> Resident | None:
        """The resident behind a channel identity, without creating one (a page view by a visitor
        who never wrote leaves nothing behind)."""
        return await self._find(channel, external_id)

    async def last_inbound(self, channel: str, external_id: str) -> int | None:
        return await self._session.scalar(
            select(ChannelIdentityRow.last_inbound_id).where(
                ChannelIdentityRow.channel == channel, ChannelIdentityRow.external_id == external_id
            )
        )

    async def move_identity(self, channel: str, external_id: str, *, to_resident: str) -> IdentityMove:
        """Make the identity lead to ``to_resident``, in the caller's unit of work.

        ``to_resident`` keeps everything of theirs. The identity's old resident is refused when
        they have records of their own with the office (merging two case histories is a
        caseworker's decision); otherwise, once no identity leads to them, they are deleted with
        their unfinished conversation, and their documents are returned for their bytes to go.

        Raises:
            NotFound: no such identity.
        """
        current = await self._find(channel, external_id)
        if current is None:
            raise NotFound(f"no {channel} identity to move")
        if current.id == to_resident:
            return IdentityMove("already")
        if await self._has_records(current.id):
            return IdentityMove("refused")
        await self._session.execute(
            update(ChannelIdentityRow)
            .where(ChannelIdentityRow.channel == channel, ChannelIdentityRow.external_id == external_id)
            # The old resident's prompt is no question of the new one.
            .values(resident_id=to_resident, active_prompt=None)
        )
        if current.locale is not None:
            await self._session.execute(
                update(ResidentRow).where(ResidentRow.id == to_resident, ResidentRow.locale.is_(None))
                .values(locale=current.locale)
            )
        if await self.identities(current.id):
            return IdentityMove("moved")
        documents = [
            document_meta(row)
            for row in await self._session.scalars(select(DocumentRow).where(DocumentRow.resident_id == current.id))
        ]
        await self._session.execute(delete(DocumentRow).where(DocumentRow.resident_id == current.id))
        # Sessions, the turn log, outbox, notifications, offers and link codes go with the row
        # (ON DELETE CASCADE); an application would stop it (no cascade), so none is ever lost.
        await self._session.execute(delete(ResidentRow).where(ResidentRow.id == current.id))
        return IdentityMove("moved", tuple(documents))

    async def _has_records(self, resident_id: str) -> bool:
        """Whether the resident is known to the office: applications, a volunteer registration,
        requests for a person, a monitored person, a service task for their household."""
        owned = [
            exists().where(row.resident_id == resident_id)
            for row in (ApplicationRow, VolunteerRow, EscalationRow, RegistryPersonRow, TaskRow)
        ]
        return bool(await self._session.scalar(select(or_(*owned))))

    async def set_unreachable(self, resident_id: str, unreachable: bool) -> None:
        await run_core(
            self._session, update(ResidentRow).where(ResidentRow.id == resident_id).values(unreachable=unreachable)
        )

    async def set_locale(self, resident_id: str, locale: str) -> None:
        """Remember the resident's language."""
        await self._session.execute(
            update(ResidentRow).where(ResidentRow.id == resident_id).values(locale=locale)
        )


def _resident(row: ResidentRow | Row[object]) -> Resident:
    """The port value of a resident row, or of a row read with its identity (hints included)."""
    if isinstance(row, ResidentRow):
        hints: dict[str, object] = dict.fromkeys(_HINTS)
    else:
        hints = {name: bool(getattr(row, name)) for name in _HINTS}
    return record_of(Resident, row, unreachable=bool(row.unreachable), offers_off=bool(row.offers_off), **hints)

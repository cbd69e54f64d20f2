"""SQLAlchemy implementation of the inbound order: advisory locks and arrival records on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ChannelIdentityRow, InboundArrivalRow
from backend.db.sql import THIS_IDENTITY, advisory_lock, identity_binds, insert_for, run_core

# How long a handled message's record stays: Telegram gives up redelivering an update well
# within a day; after that the identity's cursor alone recognises one.
KEEP_DONE = timedelta(days=1)

# The identity's old records are cleared by one turn in this many, not by every one.
_FORGET_EVERY = 8
_ROW = InboundArrivalRow.__table__.c
_THIS = (_ROW.channel == bindparam("identity_channel"), _ROW.external_id == bindparam("identity_external_id"))
_ARRIVE = (
    insert_for("postgresql", InboundArrivalRow.__table__)
    .values(channel=bindparam("identity_channel"), external_id=bindparam("identity_external_id"),
            inbound_id=bindparam("number"), arrived_at=bindparam("now", type_=_ROW.arrived_at.type), done=False)
    .on_conflict_do_nothing()
)
_EARLIER_WAITING = select(exists().where(
    *_THIS, _ROW.inbound_id < bindparam("number"), _ROW.done.is_(False),
    _ROW.arrived_at > bindparam("since", type_=_ROW.arrived_at.type),
))
# The numbers on record in a range of the channel's (any identity's), and the lowest of them;
# distinct, as a number may stand for two identities where the platform started its count again.
_ON_RECORD = select(func.count(_ROW.inbound_id.distinct()), func.min(_ROW.inbound_id)).where(
    _ROW.channel == bindparam("channel"), _ROW.inbound_id >= bindparam("low"), _ROW.inbound_id < bindparam("number"),
)
_MARK_DONE = (
    update(InboundArrivalRow).where(*_THIS, _ROW.inbound_id == bindparam("number"), _ROW.done.is_(False))
    .values(done=True)
)
_FORGET = delete(InboundArrivalRow).where(*_THIS, _ROW.arrived_at < bindparam("before", type_=_ROW.arrived_at.type))
_ADVANCE = (
    update(ChannelIdentityRow)
    .where(*THIS_IDENTITY, ChannelIdentityRow.last_inbound_id.is_(None)
           | (ChannelIdentityRow.last_inbound_id < bindparam("number")))
    .values(last_inbound_id=bindparam("number"))
)


class SqlInboundOrder:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    @property
    def shared(self) -> bool:
        # SQLite serves one process's turns one at a time already (see database._begin).
        return self._session.get_bind().dialect.name == "postgresql"

    async def serialise(self, channel: str, external_id: str) -> None:
        # A transaction lock: released by the commit or the rollback, whatever became of the process.
        await advisory_lock(self._session, f"turn:{channel}:{external_id}")

    async def arrive(self, channel: str, external_id: str, inbound_id: int, *, now: datetime) -> None:
        binds = {**identity_binds(channel, external_id), "number": inbound_id, "now": now}
        await run_core(self._session, _ARRIVE, binds)

    async def earlier_waiting(self, channel: str, external_id: str, inbound_id: int, *,
                              patience_since: datetime) -> bool:
        binds = {**identity_binds(channel, external_id), "number": inbound_id, "since": patience_since}
        return bool((await run_core(self._session, _EARLIER_WAITING, binds)).scalar())

    async def missing_before(self, channel: str, inbound_id: int, window: int) -> bool:
        binds = {"channel": channel, "low": inbound_id - window, "number": inbound_id}
        # A list: run_core's rows are typed as of one column.
        count, lowest = list((await run_core(self._session, _ON_RECORD, binds)).one())
        return lowest is not None and count < inbound_id - lowest

    async def settle(self, channel: str, external_id: str, inbound_id: int) -> None:
        await run_core(self._session, _MARK_DONE, {**identity_binds(channel, external_id), "number": inbound_id})

    async def take(self, channel: str, external_id: str, inbound_id: int, *, now: datetime) -> bool:
        binds = {**identity_binds(channel, external_id), "number": inbound_id}
        advanced = (await run_core(self._session, _ADVANCE, binds)).rowcount == 1
        # Marked done here unless it was before: a redelivery after its turn.
        recorded = (await run_core(self._session, _MARK_DONE, binds)).rowcount == 1
        if inbound_id % _FORGET_EVERY == 0:
            await run_core(self._session, _FORGET, {**identity_binds(channel, external_id), "before": now - KEEP_DONE})
        # Not advanced but recorded as arrived and not done: a message that reached its process
        # after a later one's turn had begun. It is answered late rather than lost; the cursor
        # stays at the later one. Neither: handled before (or older than any record kept).
        return advanced or recorded

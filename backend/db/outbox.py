"""SQLAlchemy implementation of the outbox: replies waiting to be sent, in the order they were written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, func, insert, literal, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from backend.db.models import ChannelIdentityRow, OutboxRow
from backend.db.records import columns_for, record_of
from backend.db.sql import THIS_IDENTITY, identity_binds, run_core
from backend.ports import OutboxItem
from backend.store.outbox import PRESENCE_PREFIX, Lease, NewItem

# The addresses whose transaction-scoped lock this sender takes (PostgreSQL); the others are busy.
_LOCK_ADDRESSES = text(
    "SELECT a FROM unnest(CAST(:addresses AS text[])) AS a "
    "WHERE pg_try_advisory_xact_lock(hashtextextended('outbox:' || :channel || ':' || a, 0))"
)


_OUTBOX_COLUMNS = columns_for(OutboxItem, OutboxRow.__table__)


_ADD_TO_OUTBOX = insert(OutboxRow).returning(OutboxRow.id)
# Many rows in one statement, their ids returned in the order of the parameters and assigned in
# that order too (SQLAlchemy's "insertmanyvalues" sorted by parameter order): the outbox's ids are
# its order of sending.
_ADD_MANY_TO_OUTBOX = insert(OutboxRow).returning(OutboxRow.id, sort_by_parameter_order=True)
_GET_FROM_OUTBOX = select(*_OUTBOX_COLUMNS).where(OutboxRow.id == bindparam("item_id"))
_LIVE_PROMPT = (
    select(*_OUTBOX_COLUMNS)
    .join(ChannelIdentityRow, ChannelIdentityRow.active_prompt == OutboxRow.id)
    .where(*THIS_IDENTITY)
)

# One statement for many items: marks of sends that finished together are committed together.
_MARK_SENT = (
    update(OutboxRow)
    .where(OutboxRow.id == bindparam("item_id"))
    .values(
        status="sent",
        sent_at=bindparam("at", type_=OutboxRow.__table__.c.sent_at.type),
        provider_message_id=bindparam("message_id"),
    )
)

_LEASE = (
    update(OutboxRow)
    .where(OutboxRow.id.in_(bindparam("item_ids", expanding=True)))
    .values(
        leased_by=bindparam("owner"),
        leased_until=bindparam("until", type_=OutboxRow.__table__.c.leased_until.type),
    )
)


# The keys of the session advisory locks held right now, as pg_locks shows a bigint key: in two halves.
_HELD_KEYS = (
    select(text("(classid::bigint << 32) | objid::bigint"))
    .select_from(text("pg_locks"))
    .where(text("locktype = 'advisory' AND objsubid = 1 AND granted"))
)
# Whether the item's lease owner is alive: it holds its presence (Database.presence).
_OWNER_ALIVE = func.hashtextextended(literal(PRESENCE_PREFIX) + OutboxRow.leased_by, 0).in_(
    _HELD_KEYS.scalar_subquery()
)


def _due_statement(leased: bool, of_addresses: bool, liveness: bool = False) -> Executable:
    """Pending items whose time has come, by priority then age, leaving out every address one of
    whose items waits (a retry's delay; with ``leased``, another owner's lease; with ``liveness``,
    only a live owner's): built once per kind, as building a statement costs about as much as
    running it."""
    now = bindparam("now", type_=OutboxRow.__table__.c.not_before.type)
    blocked = OutboxRow.not_before > now
    if leased:
        other = and_(OutboxRow.leased_until > now, OutboxRow.leased_by != bindparam("owner"))
        # A sender killed mid-batch leaves leases that would hold its chats up for their whole
        # duration: on PostgreSQL they end with the process (its presence is gone).
        blocked = or_(blocked, and_(other, _OWNER_ALIVE) if liveness else other)
    channel = bindparam("channel", type_=OutboxRow.__table__.c.channel.type)
    waiting = (
        select(OutboxRow.address)
        .where(OutboxRow.channel == channel, OutboxRow.status == "pending", blocked)
        .scalar_subquery()
    )
    statement = select(*_OUTBOX_COLUMNS).where(
        OutboxRow.channel == channel,
        OutboxRow.status == "pending",
        OutboxRow.address.not_in(waiting),
    )
    if of_addresses:
        statement = statement.where(OutboxRow.address.in_(bindparam("addresses", expanding=True)))
    # Replies to residents who are chatting first, then status updates, then broadcasts; one
    # address's items keep their order within each of these.
    return statement.order_by(OutboxRow.priority, OutboxRow.id).limit(bindparam("limit"))


_DUE = {(leased, of_addresses, liveness): _due_statement(leased, of_addresses, liveness)
        for leased in (False, True) for of_addresses in (False, True) for liveness in (False, True)}

_RECENT = (
    select(*_OUTBOX_COLUMNS)
    .where(OutboxRow.channel == bindparam("channel"), OutboxRow.address == bindparam("address"))
    .order_by(OutboxRow.id.desc())
    .limit(bindparam("limit"))
)

_RECENT_AFTER = _RECENT.where(OutboxRow.id > bindparam("after"))


class SqlOutboxRepository:
    """Replies waiting to be sent, in the order they were written."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, *, resident_id: str | None, channel: str, address: str, kind: str, payload: dict[str, object],
        at: datetime,
        priority: int = 0,
    ) -> int:
        result = await run_core(
            self._session,
            _ADD_TO_OUTBOX,
            {
                "resident_id": resident_id,
                "channel": channel,
                "address": address,
                "kind": kind,
                "payload": payload,
                "status": "pending",
                "attempts": 0,
                "created_at": at,
                "priority": priority,
            },
        )
        return int(result.scalar_one())

    async def add_many(self, items: Sequence[NewItem], *, at: datetime) -> list[int]:
        if not items:
            return []
        result = await run_core(self._session, _ADD_MANY_TO_OUTBOX, [
            {"resident_id": item.resident_id, "channel": item.channel, "address": item.address, "kind": item.kind,
             "payload": item.payload, "status": "pending", "attempts": 0, "created_at": at, "priority": item.priority}
            for item in items])
        return [int(row[0]) for row in result]

    async def due(self, channel: str, *, now: datetime, limit: int = 100, lease: Lease | None = None,
                  addresses: list[str] | None = None, hold: bool = True) -> list[OutboxItem]:
        """Pending items whose time has come, oldest first. An address waits whole while its oldest
        item waits: later items never overtake it.

        With a ``lease`` the items are leased to its owner for its duration (once the caller
        commits), and addresses another owner holds are left out: several senders can run, and
        one address is served by one of them at a time, in order. With ``addresses``, only
        theirs (a channel answering one resident at once, WeChat's passive reply). With ``hold``
        false no lease is written: the caller marks the items in this same unit of work, and
        the address locks below keep other senders off them until it ends.
        """
        owner = lease.owner if lease is not None else None
        # Two senders may read the same candidates at once: on PostgreSQL each address goes to
        # whichever takes its lock first, and is read under the lock (the other may have just
        # committed its lease).
        locking = lease is not None and self._session.get_bind().dialect.name == "postgresql"
        if locking and addresses is not None:
            # The addresses are known: locked first, read once.
            held = await self._lock_addresses(channel, addresses)
            items = await self._due(channel, now, limit, owner, addresses=held) if held else []
        else:
            items = await self._due(channel, now, limit, owner, addresses=addresses)
            if locking and items:
                held = await self._lock_addresses(channel, sorted({item.address for item in items}))
                items = await self._due(channel, now, limit, owner, addresses=held) if held else []
        if items and lease is not None and hold:
            await run_core(
                self._session,
                _LEASE,
                {"item_ids": [item.id for item in items], "owner": lease.owner, "until": now + lease.duration},
            )
        return items

    async def _lock_addresses(self, channel: str, addresses: list[str]) -> list[str]:
        """Those of the addresses whose lock this transaction took (no other holds it)."""
        locked = await run_core(self._session, _LOCK_ADDRESSES, {"addresses": addresses, "channel": channel})
        return [row[0] for row in locked]

    async def _due(
        self, channel: str, now: datetime, limit: int, owner: str | None, addresses: list[str] | None
    ) -> list[OutboxItem]:
        liveness = owner is not None and self._session.get_bind().dialect.name == "postgresql"
        statement = _DUE[(owner is not None, addresses is not None, liveness)]
        params: dict[str, object] = {"channel": channel, "now": now, "limit": limit}
        if owner is not None:
            params["owner"] = owner
        if addresses is not None:
            params["addresses"] = addresses
        result = await run_core(self._session, statement, params)
        return [record_of(OutboxItem, row) for row in result]

    async def get(self, item_id: int) -> OutboxItem | None:
        row = (await run_core(self._session, _GET_FROM_OUTBOX, {"item_id": item_id})).first()
        return record_of(OutboxItem, row) if row else None

    async def live_prompt(self, channel: str, address: str) -> OutboxItem | None:
        """The message whose buttons are live for this identity (its active prompt), or None."""
        row = (await run_core(self._session, _LIVE_PROMPT, identity_binds(channel, address))).first()
        return record_of(OutboxItem, row) if row else None

    async def get_many(self, item_ids: list[int]) -> dict[int, OutboxItem]:
        if not item_ids:
            return {}
        result = await run_core(self._session, select(*_OUTBOX_COLUMNS).where(OutboxRow.id.in_(set(item_ids))))
        return {row.id: record_of(OutboxItem, row) for row in result}

    async def mark_sent(self, sent: Mapping[int, str | None], *, at: datetime) -> None:
        if sent:
            connection = await self._session.connection()
            await connection.execute(
                _MARK_SENT, [{"item_id": item, "at": at, "message_id": message} for item, message in sent.items()]
            )

    async def postpone(self, item_id: int, *, not_before: datetime, attempts: int) -> None:
        await self._set(item_id, not_before=not_before, attempts=attempts)

    async def mark_failed(self, item_id: int, *, at: datetime) -> None:
        await self._set(item_id, status="failed", sent_at=at)

    async def hold(self, channel: str, address: str) -> None:
        await self._move(channel, address, "pending", "held")

    async def release(self, channel: str, address: str) -> None:
        await self._move(channel, address, "held", "pending")

    async def recent(self, channel: str, address: str, *, limit: int, after: int | None = None) -> list[OutboxItem]:
        params = {"channel": channel, "address": address, "limit": limit}
        if after is None:
            result = await run_core(self._session, _RECENT, params)
        else:
            result = await run_core(self._session, _RECENT_AFTER, {**params, "after": after})
        return sorted((record_of(OutboxItem, row) for row in result), key=lambda item: item.id)

    async def forget_before(self, channel: str, address: str, before_id: int, *, keep: int | None = None) -> None:
        statement = delete(OutboxRow).where(
            OutboxRow.channel == channel, OutboxRow.address == address, OutboxRow.id < before_id
        )
        if keep is not None:
            statement = statement.where(OutboxRow.id != keep)
        await run_core(self._session, statement)

    async def withdraw(self, item_id: int) -> bool:
        statement = delete(OutboxRow).where(OutboxRow.id == item_id, OutboxRow.status == "pending")
        return (await run_core(self._session, statement)).rowcount == 1

    async def _set(self, item_id: int, **values: object) -> None:
        await run_core(self._session, update(OutboxRow).where(OutboxRow.id == item_id).values(**values))

    async def _move(self, channel: str, address: str, old: str, new: str) -> None:
        await run_core(
            self._session,
            update(OutboxRow)
            .where(OutboxRow.channel == channel, OutboxRow.address == address, OutboxRow.status == old)
            .values(status=new),
        )

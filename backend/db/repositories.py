"""SQLAlchemy implementations of the storage ports, all bound to one unit of work's session."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import uuid4

from sqlalchemy import Table, and_, bindparam, delete, exists, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from backend.application import ApplicationV1
from backend.db.models import (
    ApplicationIdHashRow,
    ApplicationRow,
    ChannelIdentityRow,
    ConversationSessionRow,
    ConversationTurnRow,
    DocumentRow,
    EscalationRow,
    HouseholdMemberRow,
    OutboxRow,
    RegistryPersonRow,
    ResidentRow,
    StatusHistoryRow,
    TaskRow,
    VolunteerRow,
)
from backend.db.links import LINK_CHANNEL
from backend.ports import (
    NotFound,
    ApplicationSummary,
    DocumentMeta,
    DueSession,
    IdentityMove,
    OutboxItem,
    Resident,
    StatusChange,
)
from backend.status import OPEN_STATUSES, ApplicationStatus


def _insert(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    """A dialect INSERT, which has ON CONFLICT on both PostgreSQL and SQLite."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for dialect {dialect!r}")


async def _core(session: AsyncSession, statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Run a Core statement on the unit of work's connection.

    The per-turn statements (identify, load, save, log) are built once below and run here:
    building a statement and the ORM execution path each cost about as much as the query.
    """
    connection = session.info.get(_CONNECTION)
    if connection is None or connection.closed:  # the transaction it served is over
        # Asking the session each time costs as much as a short statement.
        connection = session.info[_CONNECTION] = await session.connection()
    return await connection.execute(statement, params)


_CONNECTION = "yimen_connection"


_FIND_RESIDENT = (
    select(
        ResidentRow.id,
        ResidentRow.locale,
        ResidentRow.created_at,
        ResidentRow.unreachable,
        ResidentRow.talking_to,
        ResidentRow.offers_off,
        ResidentRow.active_flow,
    )
    .join(ChannelIdentityRow, ChannelIdentityRow.resident_id == ResidentRow.id)
    .where(
        ChannelIdentityRow.channel == bindparam("channel"),
        ChannelIdentityRow.external_id == bindparam("external_id"),
    )
)
_LOAD_SESSION = select(ConversationSessionRow.snapshot).where(
    ConversationSessionRow.resident_id == bindparam("resident_id"),
    ConversationSessionRow.flow == bindparam("flow"),
)
_LOG_TURN = insert(ConversationTurnRow)
# The addresses whose transaction-scoped lock this sender takes (PostgreSQL); the others are busy.
_LOCK_ADDRESSES = text(
    "SELECT a FROM unnest(CAST(:addresses AS text[])) AS a "
    "WHERE pg_try_advisory_xact_lock(hashtextextended('outbox:' || :channel || ':' || a, 0))"
)
# The identity's bind names differ from its columns: an UPDATE would take a parameter named
# like a column as a value to set.
_THIS_IDENTITY = (
    ChannelIdentityRow.channel == bindparam("identity_channel"),
    ChannelIdentityRow.external_id == bindparam("identity_external_id"),
)
_ACCEPT_INBOUND = (
    update(ChannelIdentityRow)
    .where(
        *_THIS_IDENTITY,
        ChannelIdentityRow.last_inbound_id.is_(None) | (ChannelIdentityRow.last_inbound_id < bindparam("inbound_id")),
    )
    .values(last_inbound_id=bindparam("inbound_id"))
)
_ACTIVE_PROMPT = select(ChannelIdentityRow.active_prompt).where(*_THIS_IDENTITY)
_SET_ACTIVE_PROMPT = update(ChannelIdentityRow).where(*_THIS_IDENTITY).values(active_prompt=bindparam("prompt"))
_ADVISORY_LOCK = select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("key"), 0)))
_SESSION_FIELDS = ("snapshot", "state", "updated_at", "remind_at", "expire_at")


@lru_cache(maxsize=4)
def _save_session(dialect: str) -> Any:
    """The session upsert for a dialect: insert, or replace the snapshot and timers."""
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ConversationSessionRow)
    return statement.on_conflict_do_update(
        index_elements=["resident_id", "flow"],
        set_={name: statement.excluded[name] for name in _SESSION_FIELDS},
    )


async def advisory_lock(session: AsyncSession, key: str) -> None:
    """A transaction-scoped lock on ``key`` on PostgreSQL.

    SQLite needs none: every unit of work takes its single write lock when it begins.
    """
    if session.get_bind().dialect.name == "postgresql":
        await _core(session, _ADVISORY_LOCK, {"key": key})


def remembered_ids(session: AsyncSession) -> dict[str, int]:
    """Application numbers already resolved to row ids in this unit of work.

    A submission stores, assesses, routes and assigns one application in one transaction;
    without this each of those steps would look its id up again.
    """
    return session.info.setdefault("application_ids", {})


async def application_id_of(session: AsyncSession, number: str) -> int:
    """The row id behind an application number (raises NotFound when there is none)."""
    known = remembered_ids(session)
    if number not in known:
        application_id = await session.scalar(select(ApplicationRow.id).where(ApplicationRow.number == number))
        if application_id is None:
            raise NotFound(f"no application {number}")
        known[number] = application_id
    return known[number]


def application_number(at: datetime, application_id: int) -> str:
    """The public application number, e.g. YM20261129000042 (date of ``at`` as given)."""
    return f"YM{at:%Y%m%d}{application_id:06d}"


class SqlResidentRepository:
    """Residents and the channel identities that lead to them."""

    def __init__(self, session: AsyncSession, new_id: Callable[[], str]) -> None:
        self._session = session
        self._new_id = new_id

    async def _find(self, channel: str, external_id: str) -> Resident | None:
        """The resident behind a channel identity, if known."""
        result = await _core(self._session, _FIND_RESIDENT, {"channel": channel, "external_id": external_id})
        row = result.first()
        return _resident(row) if row else None

    async def identify(self, channel: str, external_id: str, *, now: datetime) -> Resident:
        """Return the resident behind a channel identity, creating both on first contact."""
        if found := await self._find(channel, external_id):
            return found
        resident_id = self._new_id()
        await self._session.execute(
            _insert(self._session, ResidentRow.__table__).values(
                id=resident_id, locale=None, created_at=now, unreachable=False
            )
        )
        # ON CONFLICT: two first messages racing must end with one resident, not an error.
        result = await self._session.execute(
            _insert(self._session, ChannelIdentityRow.__table__)
            .values(resident_id=resident_id, channel=channel, external_id=external_id, created_at=now)
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        )
        if result.rowcount == 0:
            await self._session.execute(delete(ResidentRow).where(ResidentRow.id == resident_id))
            found = await self._find(channel, external_id)
            assert found is not None, "conflicting identity vanished"
            return found
        return Resident(id=resident_id, locale=None, created_at=now)

    async def get(self, resident_id: str) -> Resident | None:
        """The resident, or None."""
        row = await self._session.get(ResidentRow, resident_id)
        return _resident(row) if row else None

    async def accept_inbound(self, channel: str, external_id: str, inbound_id: int) -> bool:
        """Advance the identity's inbound cursor; False for an id already handled."""
        params = {**_identity(channel, external_id), "inbound_id": inbound_id}
        result = await _core(self._session, _ACCEPT_INBOUND, params)
        return result.rowcount == 1

    async def active_prompt(self, channel: str, external_id: str) -> int | None:
        result = await _core(self._session, _ACTIVE_PROMPT, _identity(channel, external_id))
        return result.scalar()

    async def set_active_prompt(self, channel: str, external_id: str, outbox_id: int | None) -> None:
        await _core(self._session, _SET_ACTIVE_PROMPT, {**_identity(channel, external_id), "prompt": outbox_id})

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
            _document(row)
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
        await _core(
            self._session, update(ResidentRow).where(ResidentRow.id == resident_id).values(unreachable=unreachable)
        )

    async def set_locale(self, resident_id: str, locale: str) -> None:
        """Remember the resident's language."""
        await self._session.execute(
            update(ResidentRow).where(ResidentRow.id == resident_id).values(locale=locale)
        )


def _identity(channel: str, external_id: str) -> dict[str, str]:
    """The bind parameters of ``_THIS_IDENTITY``."""
    return {"identity_channel": channel, "identity_external_id": external_id}


class SqlSessionRepository:
    """Conversation snapshots, their timers, and the content-free turn log."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self, resident_id: str, flow: str) -> dict[str, Any] | None:
        """The saved snapshot, or None."""
        # Selecting the column (not the entity) always reads the database, never a stale identity map.
        result = await _core(self._session, _LOAD_SESSION, {"resident_id": resident_id, "flow": flow})
        return result.scalar()

    async def save(
        self,
        resident_id: str,
        flow: str,
        snapshot: dict[str, Any],
        *,
        state: str,
        updated_at: datetime,
        remind_at: datetime | None,
        expire_at: datetime | None,
    ) -> None:
        """Insert or replace the resident's session of ``flow``."""
        dialect = self._session.get_bind().dialect.name
        await _core(
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
        await self._session.execute(
            delete(ConversationSessionRow).where(
                ConversationSessionRow.resident_id == resident_id, ConversationSessionRow.flow == flow
            )
        )

    async def record_turn(
        self,
        resident_id: str,
        flow: str,
        *,
        turn: int,
        state_before: str,
        state_after: str,
        event_kind: str,
        at: datetime,
    ) -> None:
        """Log a turn's step change (no content: the log feeds the intake funnel)."""
        await _core(
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


_SUMMARY = (ApplicationRow.number, ApplicationRow.status, ApplicationRow.submitted_at, ApplicationRow.office)


class SqlApplicationRepository:
    """Submitted applications, their ID hashes, members and status history."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_households(self, id_hashes: list[str]) -> None:
        """Transaction-scoped advisory locks on PostgreSQL, taken in a fixed order (no deadlocks).

        SQLite needs none: it has one writer at a time, and a transaction that read before
        another committed cannot write on top of that commit (it fails and is retried).
        """
        for id_hash in sorted(set(id_hashes)):
            await advisory_lock(self._session, id_hash)

    async def find_open(self, id_hashes: list[str]) -> ApplicationSummary | None:
        """The newest open application any of whose household members has one of these ID hashes."""
        if not id_hashes:
            return None
        row = (
            await self._session.execute(
                select(*_SUMMARY)
                .join(ApplicationIdHashRow, ApplicationIdHashRow.application_id == ApplicationRow.id)
                .where(
                    ApplicationIdHashRow.id_hash.in_(set(id_hashes)),
                    ApplicationRow.status.in_([s.value for s in OPEN_STATUSES]),
                )
                .order_by(ApplicationRow.submitted_at.desc(), ApplicationRow.id.desc())
                .limit(1)
            )
        ).first()
        return _summary(row) if row else None

    async def add(
        self,
        application: ApplicationV1,
        *,
        resident_id: str,
        id_hashes: list[str],
        status: ApplicationStatus,
        at: datetime,
    ) -> ApplicationSummary:
        """Store the application with its first status and return it with its number."""
        row = ApplicationRow(
            # The number needs the id; a unique placeholder holds NOT NULL until the flush assigns it.
            number=f"pending-{uuid4().hex}",
            resident_id=resident_id,
            status=status.value,
            schema_version=application.schema_version,
            office=application.region.office,
            district=application.region.district,
            payload=application.model_dump(mode="json"),
            submitted_at=application.submitted_at,
            updated_at=at,
        )
        self._session.add(row)
        await self._session.flush()
        row.number = application_number(at, row.id)
        remembered_ids(self._session)[row.number] = row.id
        self._session.add_all(
            ApplicationIdHashRow(application_id=row.id, id_hash=h) for h in dict.fromkeys(id_hashes)
        )
        self._session.add_all(
            HouseholdMemberRow(
                application_id=row.id,
                position=position,
                relation=member.relation.value,
                age=member.age,
                health=member.health.value,
                disability_grade=member.disability_grade,
                work=member.work.value,
                monthly_income=member.monthly_income,
            )
            for position, member in enumerate(application.members)
        )
        self._session.add(StatusHistoryRow(application_id=row.id, status=status.value, at=at))
        await self._session.flush()
        return ApplicationSummary(
            number=row.number, status=status, submitted_at=row.submitted_at, office=row.office
        )

    async def record_assessment(
        self,
        number: str,
        *,
        layer: str,
        resilience_level: int,
        emergency: bool,
        assessment: dict[str, Any],
        queues: list[str],
        station: str | None,
        deadline_at: datetime | None,
        at: datetime,
    ) -> None:
        """Store the assessment and routing, and log the move to ``assessed``."""
        application_id = await self._id(number)
        await self._session.execute(
            update(ApplicationRow)
            .where(ApplicationRow.id == application_id)
            .values(
                status=ApplicationStatus.ASSESSED.value,
                layer=layer,
                resilience_level=resilience_level,
                emergency=emergency,
                assessment=assessment,
                queues=queues,
                station=station,
                deadline_at=deadline_at,
                updated_at=at,
            )
        )
        self._session.add(
            StatusHistoryRow(
                application_id=application_id,
                status=ApplicationStatus.ASSESSED.value,
                at=at,
                note=f"layer {layer}, resilience level {resilience_level}" + (", emergency" if emergency else ""),
                actor="system",
            )
        )
        await self._session.flush()

    async def list_for_resident(self, resident_id: str) -> list[ApplicationSummary]:
        """The resident's applications, newest first."""
        rows = await self._session.execute(
            select(*_SUMMARY)
            .where(ApplicationRow.resident_id == resident_id)
            .order_by(ApplicationRow.submitted_at.desc(), ApplicationRow.id.desc())
        )
        return [_summary(r) for r in rows]

    async def get(self, number: str) -> ApplicationV1 | None:
        """The application as submitted, or None."""
        payload = await self._session.scalar(
            select(ApplicationRow.payload).where(ApplicationRow.number == number)
        )
        return ApplicationV1.model_validate(payload) if payload is not None else None

    async def history(self, number: str) -> list[StatusChange]:
        """Every status the application went through, oldest first."""
        rows = await self._session.execute(
            select(StatusHistoryRow.status, StatusHistoryRow.at, StatusHistoryRow.note)
            .join(ApplicationRow, ApplicationRow.id == StatusHistoryRow.application_id)
            .where(ApplicationRow.number == number)
            .order_by(StatusHistoryRow.at, StatusHistoryRow.id)
        )
        return [StatusChange(status=ApplicationStatus(r.status), at=r.at, note=r.note) for r in rows]

    async def _id(self, number: str) -> int:
        return await application_id_of(self._session, number)


class SqlDocumentRepository:
    """Metadata of uploaded documents; the bytes live in document storage."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, document: DocumentMeta) -> None:
        """Record an uploaded, not yet attached document."""
        self._session.add(
            DocumentRow(
                id=document.id,
                resident_id=document.resident_id,
                application_id=None,
                filename=document.filename,
                mime=document.mime,
                size=document.size,
                sha256=document.sha256,
                storage_key=document.storage_key,
                created_at=document.created_at,
            )
        )
        await self._session.flush()

    async def get(self, document_id: str) -> DocumentMeta | None:
        """The document's metadata, or None."""
        row = await self._session.get(DocumentRow, document_id)
        return _document(row) if row else None

    async def attach(self, document_ids: list[str], application_number: str) -> None:
        """Attach the documents to the application; only its own resident's documents move."""
        if not document_ids:
            return
        application = (
            await self._session.execute(
                select(ApplicationRow.id, ApplicationRow.resident_id).where(
                    ApplicationRow.number == application_number
                )
            )
        ).first()
        if application is None:
            raise NotFound(f"no application {application_number}")
        await self._session.execute(
            update(DocumentRow)
            .where(DocumentRow.id.in_(document_ids), DocumentRow.resident_id == application.resident_id)
            .values(application_id=application.id)
        )

    async def unattached(self, resident_id: str) -> list[DocumentMeta]:
        """The resident's documents not yet part of an application, oldest first."""
        rows = await self._session.scalars(
            select(DocumentRow)
            .where(DocumentRow.resident_id == resident_id, DocumentRow.application_id.is_(None))
            .order_by(DocumentRow.created_at, DocumentRow.id)
        )
        return [_document(r) for r in rows]

    async def delete(self, document_ids: list[str]) -> list[DocumentMeta]:
        """Delete the rows and return them so their bytes can be removed from storage."""
        if not document_ids:
            return []
        rows = await self._session.scalars(select(DocumentRow).where(DocumentRow.id.in_(document_ids)))
        found = [_document(r) for r in rows]
        await self._session.execute(delete(DocumentRow).where(DocumentRow.id.in_(document_ids)))
        return found


def _resident(row: ResidentRow) -> Resident:
    """The port value of a resident row."""
    return Resident(
        id=row.id,
        locale=row.locale,
        created_at=row.created_at,
        unreachable=bool(row.unreachable),
        talking_to=row.talking_to,
        offers_off=bool(row.offers_off),
        active_flow=row.active_flow,
    )


def _summary(row: Any) -> ApplicationSummary:
    """The port summary of a selected application row."""
    return ApplicationSummary(
        number=row.number,
        status=ApplicationStatus(row.status),
        submitted_at=row.submitted_at,
        office=row.office,
    )


def _document(row: DocumentRow) -> DocumentMeta:
    """The port value of a document row."""
    return DocumentMeta(
        id=row.id,
        resident_id=row.resident_id,
        filename=row.filename,
        mime=row.mime,
        size=row.size,
        sha256=row.sha256,
        storage_key=row.storage_key,
        created_at=row.created_at,
    )


_OUTBOX_COLUMNS = (
    OutboxRow.id,
    OutboxRow.resident_id,
    OutboxRow.channel,
    OutboxRow.address,
    OutboxRow.kind,
    OutboxRow.payload,
    OutboxRow.status,
    OutboxRow.attempts,
    OutboxRow.not_before,
    OutboxRow.created_at,
    OutboxRow.provider_message_id,
)


_ADD_TO_OUTBOX = insert(OutboxRow).returning(OutboxRow.id)
_GET_FROM_OUTBOX = select(*_OUTBOX_COLUMNS).where(OutboxRow.id == bindparam("item_id"))
_LIVE_PROMPT = (
    select(*_OUTBOX_COLUMNS)
    .join(ChannelIdentityRow, ChannelIdentityRow.active_prompt == OutboxRow.id)
    .where(*_THIS_IDENTITY)
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


class SqlOutboxRepository:
    """Replies waiting to be sent, in the order they were written."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, *, resident_id: str, channel: str, address: str, kind: str, payload: dict[str, Any], at: datetime,
        priority: int = 0,
    ) -> int:
        result = await _core(
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

    async def due(
        self,
        channel: str,
        *,
        now: datetime,
        limit: int = 100,
        owner: str | None = None,
        lease: timedelta = timedelta(seconds=60),
    ) -> list[OutboxItem]:
        """Pending items whose time has come, oldest first. An address waits whole while its oldest
        item waits: later items never overtake it.

        With an ``owner`` the items are leased to it until ``now + lease`` (once the caller
        commits), and addresses another owner holds are left out: several senders can run, and
        one address is served by one of them at a time, in order.
        """
        items = await self._due(channel, now, limit, owner, addresses=None)
        if owner is None or not items:
            return items
        if self._session.get_bind().dialect.name == "postgresql":
            # Two senders may read the same candidates at once: each address goes to whichever
            # takes its lock first, and is read again under the lock (the other may have just
            # committed its lease).
            addresses = sorted({item.address for item in items})
            locked = (await _core(self._session, _LOCK_ADDRESSES, {"addresses": addresses, "channel": channel}))
            held = [row[0] for row in locked]
            items = await self._due(channel, now, limit, owner, addresses=held) if held else []
        if items:
            await _core(
                self._session,
                update(OutboxRow)
                .where(OutboxRow.id.in_([item.id for item in items]))
                .values(leased_by=owner, leased_until=now + lease),
            )
        return items

    async def _due(
        self, channel: str, now: datetime, limit: int, owner: str | None, addresses: list[str] | None
    ) -> list[OutboxItem]:
        blocked = OutboxRow.not_before > now
        if owner is not None:
            blocked = or_(blocked, and_(OutboxRow.leased_until > now, OutboxRow.leased_by != owner))
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
        if addresses is not None:
            statement = statement.where(OutboxRow.address.in_(addresses))
        # Replies to residents who are chatting first, then status updates, then broadcasts; one
        # address's items keep their order within each of these.
        result = await _core(self._session, statement.order_by(OutboxRow.priority, OutboxRow.id).limit(limit))
        return [OutboxItem(*row) for row in result]

    async def get(self, item_id: int) -> OutboxItem | None:
        row = (await _core(self._session, _GET_FROM_OUTBOX, {"item_id": item_id})).first()
        return OutboxItem(*row) if row else None

    async def live_prompt(self, channel: str, address: str) -> OutboxItem | None:
        """The message whose buttons are live for this identity (its active prompt), or None."""
        row = (await _core(self._session, _LIVE_PROMPT, _identity(channel, address))).first()
        return OutboxItem(*row) if row else None

    async def get_many(self, item_ids: list[int]) -> dict[int, OutboxItem]:
        if not item_ids:
            return {}
        result = await _core(self._session, select(*_OUTBOX_COLUMNS).where(OutboxRow.id.in_(set(item_ids))))
        return {row.id: OutboxItem(*row) for row in result}

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

    async def recent(self, channel: str, address: str, *, limit: int) -> list[OutboxItem]:
        newest = (
            select(*_OUTBOX_COLUMNS)
            .where(OutboxRow.channel == channel, OutboxRow.address == address)
            .order_by(OutboxRow.id.desc())
            .limit(limit)
        )
        result = await _core(self._session, newest)
        return sorted((OutboxItem(*row) for row in result), key=lambda item: item.id)

    async def forget_before(self, channel: str, address: str, before_id: int, *, keep: int | None = None) -> None:
        statement = delete(OutboxRow).where(
            OutboxRow.channel == channel, OutboxRow.address == address, OutboxRow.id < before_id
        )
        if keep is not None:
            statement = statement.where(OutboxRow.id != keep)
        await _core(self._session, statement)

    async def _set(self, item_id: int, **values: Any) -> None:
        await _core(self._session, update(OutboxRow).where(OutboxRow.id == item_id).values(**values))

    async def _move(self, channel: str, address: str, old: str, new: str) -> None:
        await _core(
            self._session,
            update(OutboxRow)
            .where(OutboxRow.channel == channel, OutboxRow.address == address, OutboxRow.status == old)
            .values(status=new),
        )

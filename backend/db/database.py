"""The database handle: one async engine, and units of work bound to one session each."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import uuid4

from sqlalchemy import bindparam, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from backend.db import sqlite_driver
from backend.db.alerts import SqlAlertRepository
from backend.db.applications import SqlApplicationRepository
from backend.db.audit import SqlAuditLog
from backend.db.books import SqlBooks
from backend.db.cases import SqlCaseRepository
from backend.db.certificates import SqlCertificateRepository
from backend.db.console import SqlConsoleRepository
from backend.db.documents import SqlDocumentRepository
from backend.db.escalations import SqlEscalationRepository
from backend.db.funds import SqlFundRepository
from backend.db.idempotency import SqlIdempotencyStore
from backend.db.inbound import SqlInboundOrder
from backend.db.links import SqlLinkCodeRepository
from backend.db.notifications import SqlNotificationRepository
from backend.db.offers import SqlOfferRepository
from backend.db.outbox import SqlOutboxRepository
from backend.db.outreach import SqlOutreachRepository
from backend.db.points import SqlPointsRepository
from backend.db.push import SqlFeedKeyRepository
from backend.db.registry import SqlRegistryRepository
from backend.db.reminders import SqlDeadlineReminderRepository
from backend.db.reports import SqlReports
from backend.db.residents import SqlResidentRepository
from backend.db.sessions import SqlSessionRepository
from backend.db.threads import SqlThreadRepository
from backend.db.throttles import SqlThrottleRepository
from backend.db.triggers import SqlTriggerRepository
from backend.db.users import SqlUserRepository
from backend.db.volunteers import SqlTaskRepository, SqlVolunteerRepository
from backend.db.web_identities import SqlWebIdentityRepository
from backend.db.wechat_tokens import SqlAccessTokenStore
from backend.store.base import Presence

if TYPE_CHECKING:
    # The ports each repository implements, as the UnitOfWork protocol names them.
    from backend.cases.deadline_ports import DeadlineReminderRepository
    from backend.cases.ports import (
        AuditLog,
        CaseRepository,
        IdempotencyStore,
        NotificationRepository,
        OfferRepository,
        UserRepository,
    )
    from backend.monitoring.outreach_ports import OutreachRepository
    from backend.monitoring.records import AlertRepository, FeedKeyStore, TriggerStore
    from backend.monitoring.registry_ports import RegistryRepository
    from backend.points.fund_ports import FundRepository
    from backend.points.ports import CertificateRepository, PointsRepository
    from backend.points.reconcile import Books
    from backend.ports import (
        ApplicationRepository,
        DocumentRepository,
        EscalationRepository,
        LinkCodeRepository,
        OutboxRepository,
        ResidentRepository,
        SessionRepository,
        WebIdentityRepository,
    )
    from backend.store.console import ConsoleRepository, Reports
    from backend.store.inbound import InboundOrder
    from backend.store.threads import ThreadRepository
    from backend.store.wechat_tokens import AccessTokenStore
    from backend.throttle import ThrottleRepository
    from backend.volunteers.ports import TaskRepository, VolunteerRepository


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on foreign keys (off by default in SQLite), WAL for concurrent readers, a larger page cache.

    With WAL, ``synchronous=NORMAL`` keeps every committed turn through a crash or restart of
    the process (only a power cut can lose the last commits) and spares an fsync per turn.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Bulk work over a million feed events touches tens of megabytes of pages, which SQLite's
    # default 2 MB cache would read again and again; pages are only taken as they are used.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()
    # The driver would begin transactions itself, and only before the first write, leaving
    # earlier reads outside them; transactions are begun explicitly instead (see _begin).
    dbapi_connection.isolation_level = None


# Execution options: a unit of work whose writes keep their references by construction; one
# whose statements are long (see sqlite_driver).
_REFERENCES_KEPT = "yimen_references_kept"
_BULK = "yimen_bulk"


def _begin(connection: Any) -> None:
    """Every unit of work takes SQLite's write lock when it starts.

    Each turn writes, and a read-then-write (is there an open application? then submit)
    must not interleave with another's: IMMEDIATE makes the units of work take turns.

    A unit of work opened with ``references_kept`` runs without foreign-key checks (SQLite can
    only switch them outside a transaction, so here); they are back on when the connection
    returns to the pool (see _back_in_the_pool).

    A bulk unit of work runs its statements on the driver's thread (see sqlite_driver).
    """
    options = connection.get_execution_options()
    if options.get(_BULK):
        connection.connection.driver_connection.bulk = True
    if options.get(_REFERENCES_KEPT):
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.info[_REFERENCES_KEPT] = True
    # Straight to the driver: SQLAlchemy's execution of a statement would cost a turn as much
    # as one of its queries, for a statement that has no parameters and returns nothing.
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
    finally:
        cursor.close()


def _back_in_the_pool(dbapi_connection: Any, record: Any) -> None:
    """A connection back in the pool checks foreign keys again (the transaction is over by now),
    and is no longer a bulk unit of work's."""
    if dbapi_connection is None:  # invalidated
        return
    dbapi_connection.driver_connection.bulk = False
    if record.info.pop(_REFERENCES_KEPT, False):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _sqlite_connect(engine: AsyncEngine) -> sqlite_driver.LoopConnection:
    """A connection with the URL's arguments. A unit of work waits up to 30 s for SQLite's
    single write lock; the driver's 5 s default is too short for a busy bot."""
    args, kwargs = engine.dialect.create_connect_args(engine.url)
    return sqlite_driver.connect(*args, **{**kwargs, "timeout": 30.0})


class _NoDriverDebug(logging.Filter):
    """Drops aiosqlite's DEBUG records: they echo every statement's parameters, personal data included."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


log = logging.getLogger(__name__)
_DRIVER_FILTER = _NoDriverDebug()
_PRESENCE_KEY = func.hashtextextended(bindparam("name"), 0)
_TAKE_PRESENCE = select(func.pg_try_advisory_lock(_PRESENCE_KEY))
_END_PRESENCE = select(func.pg_advisory_unlock(_PRESENCE_KEY))
_ALIVE = select(1)
R = TypeVar("R")


class _Held:
    """A presence where one process writes: always held."""

    def __bool__(self) -> bool:
        return True

    async def confirm(self) -> bool:
        return True


class _ServerPresence:
    """A name held by a session advisory lock, on a connection of its own (see ``Database.presence``)."""

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self._engine = engine
        self._name = name
        self._connection: AsyncConnection | None = None
        self.held = False

    def __bool__(self) -> bool:
        return self.held

    async def take(self) -> None:
        self._connection = await self._engine.connect()
        self.held = bool(await self._connection.scalar(_TAKE_PRESENCE, {"name": self._name}))
        await self._connection.commit()  # the lock is the session's: it outlives the transaction

    async def confirm(self) -> bool:
        # A session lock lasts as long as its session: a connection that still answers holds it.
        try:
            assert self._connection is not None
            await self._connection.scalar(_ALIVE)
            await self._connection.commit()
            return self.held
        except Exception:  # noqa: BLE001 - the connection is gone, and the lock with it
            log.warning("the connection holding this process's presence was lost; taking the name again")
        await self._drop()
        try:
            await self.take()
        except Exception:  # noqa: BLE001 - the server is still away: not present until it is back
            await self._drop()
            self.held = False
        return self.held

    async def release(self) -> None:
        if self._connection is None:
            return
        if self.held:
            try:
                await self._connection.scalar(_END_PRESENCE, {"name": self._name})
                await self._connection.commit()
            except Exception:  # noqa: BLE001 - closed for good rather than pooled still locked
                await self._drop()
                return
        await self._connection.close()
        self._connection = None

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()


def _repository(make: Callable[[AsyncSession], R]) -> cached_property[R]:
    """A repository of the unit of work's session, made when first used."""
    return cached_property(lambda uow: make(uow._session))


class SqlUnitOfWork:
    """One resident turn's writes: repositories sharing one session, committed together or not at all."""

    def __init__(
        self, session: AsyncSession, new_id: Callable[[], str], writer: asyncio.Lock | None = None
    ) -> None:
        self._session = session
        self._writer = writer
        self._new_id = new_id

    # Made when first used: a turn uses four or five of them.
    residents: cached_property[ResidentRepository] = cached_property(
        lambda uow: SqlResidentRepository(uow._session, uow._new_id)
    )
    sessions: cached_property[SessionRepository] = _repository(SqlSessionRepository)
    applications: cached_property[ApplicationRepository] = _repository(SqlApplicationRepository)
    documents: cached_property[DocumentRepository] = _repository(SqlDocumentRepository)
    escalations: cached_property[EscalationRepository] = _repository(SqlEscalationRepository)
    outbox: cached_property[OutboxRepository] = _repository(SqlOutboxRepository)
    users: cached_property[UserRepository] = _repository(SqlUserRepository)
    cases: cached_property[CaseRepository] = _repository(SqlCaseRepository)
    threads: cached_property[ThreadRepository] = _repository(SqlThreadRepository)
    audit: cached_property[AuditLog] = _repository(SqlAuditLog)
    idempotency: cached_property[IdempotencyStore] = _repository(SqlIdempotencyStore)
    inbound: cached_property[InboundOrder] = _repository(SqlInboundOrder)
    notifications: cached_property[NotificationRepository] = _repository(SqlNotificationRepository)
    points: cached_property[PointsRepository] = _repository(SqlPointsRepository)
    offers: cached_property[OfferRepository] = _repository(SqlOfferRepository)
    volunteers: cached_property[VolunteerRepository] = _repository(SqlVolunteerRepository)
    tasks: cached_property[TaskRepository] = _repository(SqlTaskRepository)
    outreach: cached_property[OutreachRepository] = _repository(SqlOutreachRepository)
    certificates: cached_property[CertificateRepository] = _repository(SqlCertificateRepository)
    funds: cached_property[FundRepository] = _repository(SqlFundRepository)
    books: cached_property[Books] = _repository(SqlBooks)
    links: cached_property[LinkCodeRepository] = _repository(SqlLinkCodeRepository)
    console: cached_property[ConsoleRepository] = _repository(SqlConsoleRepository)
    throttles: cached_property[ThrottleRepository] = _repository(SqlThrottleRepository)
    web_identities: cached_property[WebIdentityRepository] = _repository(SqlWebIdentityRepository)
    reports: cached_property[Reports] = _repository(SqlReports)
    alerts: cached_property[AlertRepository] = _repository(SqlAlertRepository)
    triggers: cached_property[TriggerStore] = _repository(SqlTriggerRepository)
    feed_keys: cached_property[FeedKeyStore] = _repository(SqlFeedKeyRepository)
    registry: cached_property[RegistryRepository] = _repository(SqlRegistryRepository)
    deadline_reminders: cached_property[DeadlineReminderRepository] = _repository(SqlDeadlineReminderRepository)
    wechat_tokens: cached_property[AccessTokenStore] = _repository(SqlAccessTokenStore)

    async def commit(self) -> None:
        """Commit everything written so far."""
        await self._session.commit()

    async def __aenter__(self) -> SqlUnitOfWork:
        if self._writer is not None:
            await self._writer.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Roll back whatever was not committed and release the connection (closing does both)."""
        try:
            await self._session.close()
        finally:
            if self._writer is not None:
                self._writer.release()


class Database:
    """An async engine on ``url``; call ``connect`` before use and ``dispose`` after."""

    def __init__(self, url: str, *, new_id: Callable[[], str] = lambda: uuid4().hex,
                 pool: tuple[int, int] | None = None) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
            # Each pooled connection would get its own empty in-memory database.
            raise ValueError("use a SQLite file URL, not an in-memory database")
        self._url = url
        self._new_id = new_id
        # A server's connections kept and opened beyond them at peaks; None: SQLAlchemy's (5, 10).
        self._pool = pool
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._writer: asyncio.Lock | None = None

    @property
    def shared(self) -> bool:
        """Whether several processes may write at once: a database server, not a SQLite file."""
        return make_url(self._url).get_backend_name() != "sqlite"

    @property
    def engine(self) -> AsyncEngine:
        """The connected engine."""
        if self._engine is None:
            raise RuntimeError("Database.connect() has not been called")
        return self._engine

    async def connect(self) -> None:
        """Create the engine and the session factory."""
        sqlite = make_url(self._url).get_backend_name() == "sqlite"
        # A local file needs no liveness ping; a server connection may have been dropped.
        # hide_parameters: a failed statement's message must not carry ID numbers or incomes into logs.
        sizes = {} if sqlite or self._pool is None else {"pool_size": self._pool[0], "max_overflow": self._pool[1]}
        engine: AsyncEngine = create_async_engine(
            self._url,
            pool_pre_ping=not sqlite,
            hide_parameters=True,
            async_creator=(lambda: _sqlite_connect(engine)) if sqlite else None,
            **sizes,
        )
        if sqlite:
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(engine.sync_engine, "begin", _begin)
            event.listen(engine.sync_engine.pool, "checkin", _back_in_the_pool)
            driver_log = logging.getLogger("aiosqlite")
            if _DRIVER_FILTER not in driver_log.filters:
                driver_log.addFilter(_DRIVER_FILTER)
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer at a time, and a unit of work that waits for it polls with sleeps
        # of up to 100 ms. Units of work of this process queue here instead, first come first
        # served; other processes still meet SQLite's own lock.
        self._writer = asyncio.Lock() if sqlite else None

    @contextlib.asynccontextmanager
    async def presence(self, name: str) -> AsyncIterator[Presence]:
        """This process known to the others as ``name`` while the block runs.

        On PostgreSQL: a session advisory lock on ``name``, on a connection kept out of the pool
        meanwhile. The server drops it the moment the process dies (its connections close), so
        another process can tell a live holder from a dead one (``pg_locks``) without waiting for
        any timeout. False when a live process holds ``name`` already. On SQLite, which one
        process serves, always held and nothing is taken.
        """
        if not self.shared:
            yield _Held()
            return
        presence = _ServerPresence(self.engine, name)
        await presence.take()
        try:
            yield presence
        finally:
            await presence.release()

    def unit_of_work(self, *, references_kept: bool = False, bulk: bool = False) -> SqlUnitOfWork:
        """A fresh unit of work; use it as ``async with db.unit_of_work() as uow``.

        Args:
            references_kept: its writes only ever name rows that exist, by construction (a bulk
                insert that joins to the rows it names, in the same transaction), so SQLite may
                skip checking each foreign key; a third of the time of matching a feed chunk.
            bulk: its statements are long (matching or evaluating feed events): on SQLite they run
                on the driver's thread, so that the event loop keeps serving meanwhile.
        """
        if self._sessions is None:
            raise RuntimeError("Database.connect() has not been called")
        options = {name: True for name, on in ((_REFERENCES_KEPT, references_kept), (_BULK, bulk)) if on} or None
        return SqlUnitOfWork(self._sessions(execution_options=options), self._new_id, self._writer)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
            self._sessions = None

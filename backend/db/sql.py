"""What several repositories share: Core execution, dialect INSERTs, unique adds, advisory locks, identity binds,
document rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from backend.db.models import ChannelIdentityRow, DocumentRow
from backend.db.records import record_of
from backend.ports import DocumentMeta


def dialect_insert(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    """A dialect INSERT, which has ON CONFLICT on both PostgreSQL and SQLite."""
    return insert_for(session.get_bind().dialect.name, table)


def insert_for(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The INSERT of the named dialect (``postgresql`` or ``sqlite``)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for dialect {dialect!r}")


async def add_unique(session: AsyncSession, row: object, refusal: Exception) -> None:
    """Add ``row``, or raise ``refusal`` when a constraint refuses it (a unique value taken).

    The constraint decides between two adds at once, where a read first would let both pass; the
    savepoint keeps the unit of work usable after a refusal.
    """
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError as error:
        raise refusal from error


async def run_core(
    session: AsyncSession, statement: Executable,
    params: Mapping[str, object] | Sequence[Mapping[str, object]] | None = None
) -> CursorResult[Any]:
    """Run a Core statement on the unit of work's connection (a list of parameters: once for each).

    The per-turn statements (identify, load, save, log) are built once in their modules and run here:
    building a statement and the ORM execution path each cost about as much as the query.
    """
    connection = session.info.get(_CONNECTION)
    if connection is None or connection.closed:  # the transaction it served is over
        # Asking the session each time costs as much as a short statement.
        connection = session.info[_CONNECTION] = await session.connection()
    return await connection.execute(statement, params)


async def rows_changed(session: AsyncSession, statement: Executable) -> int:
    """How many rows an UPDATE, a DELETE or an INSERT that may do nothing changed."""
    result = await session.execute(statement)
    # A DML statement's result is a CursorResult, which the session's signature does not say.
    return cast(CursorResult[object], result).rowcount


_CONNECTION = "yimen_connection"
_ADVISORY_LOCK = select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("key"), 0)))
# The identity's bind names differ from its columns: an UPDATE would take a parameter named
# like a column as a value to set.
THIS_IDENTITY = (
    ChannelIdentityRow.channel == bindparam("identity_channel"),
    ChannelIdentityRow.external_id == bindparam("identity_external_id"),
)


async def advisory_lock(session: AsyncSession, key: str) -> None:
    """A transaction-scoped lock on ``key`` on PostgreSQL.

    SQLite needs none: every unit of work takes its single write lock when it begins.
    """
    if session.get_bind().dialect.name == "postgresql":
        await run_core(session, _ADVISORY_LOCK, {"key": key})


def identity_binds(channel: str, external_id: str) -> dict[str, str]:
    """The bind parameters of ``THIS_IDENTITY``."""
    return {"identity_channel": channel, "identity_external_id": external_id}


def document_meta(row: DocumentRow) -> DocumentMeta:
    """The port value of a document row."""
    return record_of(DocumentMeta, row)

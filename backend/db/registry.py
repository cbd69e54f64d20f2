"""SQL of the monitoring registry and of matching department data against it, set-based.

Everything here works on whole chunks: a chunk of households is written with a handful of
statements, and a chunk of department rows is matched with one INSERT … SELECT over a staging
table (PostgreSQL: over arrays, see backend.db.feed_match), never with a statement per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    delete,
    exists,
    func,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.expression import ColumnElement, Executable, Insert

from backend.db.feed_match import EVENT_COLUMNS, match_chunk
from backend.db.models import (
    FeedEventRow,
    RegistryAssessmentRow,
    RegistryHouseholdRow,
    RegistryPersonRow,
    UTCDateTime,
)
from backend.db.sql import insert_for
from backend.monitoring.registry_ports import (
    STAGED_COLUMNS,
    HouseholdRecord,
    PersonRecord,
    PersonRef,
    PersonSecret,
    StagedRow,
)
from backend.store.errors import StoreError

# Not in the models' metadata: a temporary table exists only on the connection that made it.
_STAGING_METADATA = MetaData()
STAGING = Table(
    "feed_staging",
    _STAGING_METADATA,
    Column("line", Integer, nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("id_hash", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("amount", Numeric(12, 2)),
    Column("grade", Integer),
)
_STAGING_DDL = (
    "(line INTEGER NOT NULL, record_id VARCHAR(64) NOT NULL, id_hash VARCHAR(64) NOT NULL,"
    " kind VARCHAR(32) NOT NULL, occurred_on DATE NOT NULL, amount NUMERIC(12, 2), grade INTEGER)"
)

_HOUSEHOLDS = RegistryHouseholdRow.__table__
_PERSONS = RegistryPersonRow.__table__
_EVENTS = FeedEventRow.__table__
_HISTORY = RegistryAssessmentRow.__table__


async def _execute_many(
    connection: AsyncConnection, statement: Insert, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """``connection.execute(statement, rows)`` for an insert of ``table`` (upsert or not), each
    value converted as its column's type converts it, straight to the driver's executemany:
    SQLAlchemy's handling of each row's parameters took most of a registry import's process
    time. The statement is compiled once per call, for the keys of ``rows``."""
    if not rows:
        return
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(rows[0]))
    order = compiled.positiontup
    if order is None:  # both SQLite's and asyncpg's parameters are positional
        raise RuntimeError(f"the {dialect.name} dialect's parameters are not positional")
    converters = [(name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in order]
    values = [tuple(row[name] if convert is None else convert(row[name]) for name, convert in converters)
              for row in rows]
    await connection.exec_driver_sql(compiled.string, values)


def _upsert(dialect: str, table: Table, key: str, names: tuple[str, ...], *,
            unless_null: tuple[str, ...] = ()) -> Insert:
    """Insert, or where ``key`` is taken update ``names`` from the new row, and ``unless_null``
    only where the new row has a value."""
    statement = insert_for(dialect, table)
    excluded = statement.excluded
    set_: dict[str, ColumnElement[object]] = {name: excluded[name] for name in names}
    set_ |= {name: func.coalesce(excluded[name], table.c[name]) for name in unless_null}
    return statement.on_conflict_do_update(index_elements=[key], set_=set_)


def _upsert_households(dialect: str) -> Insert:
    # An import does not know the application a household came from; it keeps it.
    return _upsert(dialect, _HOUSEHOLDS, "code", ("office", "household", "monthly_income", "layer",
                                                  "resilience_level", "types", "assessed_at", "updated_at"),
                   unless_null=("application_number",))


def _upsert_persons(dialect: str) -> Insert:
    # created_at and resident_id stay: the person is the same, wherever they now live.
    return _upsert(dialect, _PERSONS, "id_hash", ("household_id", "id_cipher", "name", "birth_date", "relation",
                                                   "member", "category", "earner"))


def _match(dialect: str) -> Executable:
    """Staged rows whose ID hash is a registry person's become feed events, once per record."""
    staged = STAGING.alias("s")
    person = _PERSONS.alias("p")
    rows = (
        select(
            bindparam("source", type_=String(24)),
            staged.c.record_id,
            person.c.id,
            person.c.household_id,
            staged.c.kind,
            staged.c.occurred_on,
            staged.c.amount,
            staged.c.grade,
            literal({}, FeedEventRow.__table__.c.detail.type),
            bindparam("now", type_=UTCDateTime()),
        )
        .select_from(staged.join(person, person.c.id_hash == staged.c.id_hash))
        # SQLite reads "ON CONFLICT" after a join as the join's ON unless the SELECT has a WHERE.
        .where(true())
        # In the order of the events' indexes (person ids grow with household ids): each index page
        # is then met once per chunk, not once per row.
        .order_by(person.c.household_id, person.c.id)
    )
    return (
        insert_for(dialect, _EVENTS)
        .from_select([_EVENTS.c[name] for name in EVENT_COLUMNS], rows)
        .on_conflict_do_nothing(index_elements=["source", "record_id"])
    )


_UNMATCHED = (
    select(STAGING.c.line)
    .where(~exists().where(RegistryPersonRow.id_hash == STAGING.c.id_hash))
    .order_by(STAGING.c.line)
)


async def bulk_load(
    connection: AsyncConnection, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Append ``rows`` to ``table`` the fastest way the database offers.

    PostgreSQL: binary COPY. SQLite: one prepared statement run for every row in C, with
    dates and amounts as the text SQLAlchemy itself stores them as.

    Staged feed rows (:data:`STAGED_COLUMNS`) come with their date and amount as text already.
    """
    if not rows:
        return
    staged = tuple(columns) == STAGED_COLUMNS
    if connection.dialect.name == "postgresql":
        raw = await connection.get_raw_connection()
        records = [_typed_staged(row) for row in rows] if staged else rows
        driver = raw.driver_connection
        if driver is None:  # the pool hands out open connections only
            raise RuntimeError("the pooled connection has no driver connection")
        await driver.copy_records_to_table(table, records=records, columns=list(columns))
        return
    marks = ", ".join("?" * len(columns))
    await connection.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
        rows if staged else [_sqlite_values(row) for row in rows],
    )


def _sqlite_values(row: tuple[object, ...]) -> tuple[object, ...]:
    return tuple(str(v) if isinstance(v, date | Decimal) else v for v in row)


def _typed_staged(row: StagedRow) -> tuple[object, ...]:
    """A staged row with the date and amount PostgreSQL's binary COPY takes."""
    line, record_id, id_hash, kind, occurred_on, amount, grade = row
    typed_amount = None if amount is None else Decimal(amount)
    return line, record_id, id_hash, kind, date.fromisoformat(occurred_on), typed_amount, grade


class SqlRegistryRepository:
    """The registry's households, persons and assessment history, and feed matching."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._cache_before: int | None = None  # SQLite's page cache size, while widened for a bulk import

    async def _connection(self) -> AsyncConnection:
        return await self._session.connection()

    # ------------------------------------------------------------------ households and persons

    async def save_households(
        self, records: Sequence[HouseholdRecord], *, cause: str, at: datetime, unchanged_too: bool = False
    ) -> dict[str, int]:
        """Insert or update each household by its code, and append its assessment to the history
        when the household is new or its layer, level or types changed (always with ``unchanged_too``).

        Returns the row id of every household by code.
        """
        if not records:
            return {}
        connection = await self._connection()
        before = await self._assessed([r.code for r in records])
        await _execute_many(
            connection, _upsert_households(connection.dialect.name), _HOUSEHOLDS,
            [{**record._asdict(), "assessed_at": at, "created_at": at, "updated_at": at} for record in records],
        )
        ids = await self.household_ids([r.code for r in records])
        history = [
            {
                "household_id": ids[r.code],
                "layer": r.layer,
                "resilience_level": r.resilience_level,
                "types": r.types,
                "cause": cause,
                "at": at,
            }
            for r in records
            if unchanged_too or before.get(r.code) != (r.layer, r.resilience_level, r.types)
        ]
        if history:
            await _execute_many(connection, _HISTORY.insert(), _HISTORY, history)
        return ids

    async def _assessed(self, codes: list[str]) -> dict[str, tuple[str | None, int | None, list[str]]]:
        """The layer, level and types households of these codes have now."""
        connection = await self._connection()
        found: dict[str, tuple[str | None, int | None, list[str]]] = {}
        columns = (_HOUSEHOLDS.c.code, _HOUSEHOLDS.c.layer, _HOUSEHOLDS.c.resilience_level, _HOUSEHOLDS.c.types)
        for start in range(0, len(codes), _IN_LIMIT):
            part = codes[start:start + _IN_LIMIT]
            result = await connection.execute(select(*columns).where(_HOUSEHOLDS.c.code.in_(part)))
            found.update({code: (layer, level, list(types)) for code, layer, level, types in result})
        return found

    async def household_ids(self, codes: Iterable[str]) -> dict[str, int]:
        """The row id of each of these household codes that exists."""
        connection = await self._connection()
        wanted = list(dict.fromkeys(codes))
        found: dict[str, int] = {}
        for start in range(0, len(wanted), _IN_LIMIT):
            part = wanted[start:start + _IN_LIMIT]
            result = await connection.execute(
                select(_HOUSEHOLDS.c.code, _HOUSEHOLDS.c.id).where(_HOUSEHOLDS.c.code.in_(part))
            )
            found.update({code: id_ for code, id_ in result})
        return found

    async def replace_persons(
        self, household_ids: dict[str, int], persons: Sequence[PersonRecord], *, at: datetime
    ) -> int:
        """Make ``persons`` the members of these households; returns how many left the registry.

        A person already in the registry (same ID hash) is updated and may move household. A
        person of one of these households who is not among ``persons`` is no longer declared
        there and leaves the registry, with their events.
        """
        connection = await self._connection()
        staying = {p.id_hash for p in persons}
        leaving = [ref.id for ref in await self.persons_of(household_ids.values()) if ref.id_hash not in staying]
        for start in range(0, len(leaving), _IN_LIMIT):
            await connection.execute(delete(_PERSONS).where(_PERSONS.c.id.in_(leaving[start:start + _IN_LIMIT])))
        if persons:
            await _execute_many(
                connection, _upsert_persons(connection.dialect.name), _PERSONS,
                [
                    {
                        "household_id": household_ids[p.household_code],
                        "id_hash": p.id_hash,
                        "id_cipher": p.id_cipher,
                        "name": p.name,
                        "birth_date": p.birth_date,
                        "relation": p.relation,
                        "member": p.member,
                        "category": p.category,
                        "earner": p.earner,
                        "created_at": at,
                    }
                    for p in persons
                ],
            )
        return len(leaving)

    async def persons_of(self, household_ids: Iterable[int]) -> list[PersonRef]:
        """Every person of these households."""
        connection = await self._connection()
        wanted = list(dict.fromkeys(household_ids))
        found: list[PersonRef] = []
        for start in range(0, len(wanted), _IN_LIMIT):
            result = await connection.execute(
                select(_PERSONS.c.id, _PERSONS.c.household_id, _PERSONS.c.id_hash).where(
                    _PERSONS.c.household_id.in_(wanted[start:start + _IN_LIMIT])
                )
            )
            found.extend(PersonRef(*row) for row in result)
        return found

    async def find_persons(self, id_hashes: Iterable[str]) -> list[PersonRef]:
        """The registry persons with these ID hashes."""
        wanted = list(dict.fromkeys(id_hashes))
        if not wanted:
            return []
        connection = await self._connection()
        result = await connection.execute(
            select(_PERSONS.c.id, _PERSONS.c.household_id, _PERSONS.c.id_hash).where(_PERSONS.c.id_hash.in_(wanted))
        )
        return [PersonRef(*row) for row in result]

    async def household_code(self, household_id: int) -> str | None:
        connection = await self._connection()
        return await connection.scalar(select(_HOUSEHOLDS.c.code).where(_HOUSEHOLDS.c.id == household_id))

    async def person_secret(self, person_id: int) -> PersonSecret | None:
        """The encrypted ID number of a person and the office of their household."""
        connection = await self._connection()
        row = (
            await connection.execute(
                select(_PERSONS.c.id_cipher, _PERSONS.c.household_id, _HOUSEHOLDS.c.office)
                .join(_HOUSEHOLDS, _HOUSEHOLDS.c.id == _PERSONS.c.household_id)
                .where(_PERSONS.c.id == person_id)
            )
        ).first()
        return PersonSecret(*row) if row else None

    # ------------------------------------------------------------------ department feeds

    async def match_feed(self, source: str, rows: Sequence[StagedRow], *, now: datetime) -> tuple[int, list[int]]:
        """Stage ``rows``, turn those of registry persons into events, and find the others.

        Returns how many events were inserted (rows whose record was already there are not),
        and the lines of the rows whose ID hash is no registry person's.
        """
        connection = await self._connection()
        # In the order of the persons' hash index: its pages are then read one after the other.
        ordered = sorted(rows, key=itemgetter(2))
        if connection.dialect.name == "postgresql":
            return await match_chunk(connection, source, ordered, now=now)
        await self._widen_cache(connection)
        await self._create_staging(connection)
        await bulk_load(connection, "feed_staging", STAGED_COLUMNS, ordered)
        inserted = (await connection.execute(_match(connection.dialect.name), {"source": source, "now": now})).rowcount
        unmatched = list((await connection.scalars(_UNMATCHED)).all())
        # The table stays with the pooled connection, empty.
        await connection.exec_driver_sql("DELETE FROM temp.feed_staging")
        return inserted, unmatched

    async def end_bulk(self) -> None:
        """Give back the memory a bulk import took (call before the unit of work ends)."""
        if self._cache_before is not None:
            try:
                connection = await self._connection()
                await connection.exec_driver_sql(f"PRAGMA cache_size = {int(self._cache_before)}")
            except SQLAlchemyError as error:  # after a failed statement the session refuses any other
                raise StoreError("the cache could not be restored") from error
            self._cache_before = None

    async def _widen_cache(self, connection: AsyncConnection) -> None:
        """On SQLite, a page cache that holds the registry's hash index and the pages a transaction
        changes; with the default 2 MB every lookup reads the file again (twice the system time).
        The connection goes back to the pool: :meth:`end_bulk` restores the default."""
        if connection.dialect.name == "sqlite" and self._cache_before is None:
            self._cache_before = int(await connection.scalar(text("PRAGMA cache_size")))
            await connection.exec_driver_sql(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")

    @staticmethod
    async def _create_staging(connection: AsyncConnection) -> None:
        # SQLite only. Several chunks may be matched in one transaction: the table is made once and
        # emptied each time.
        await connection.exec_driver_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS feed_staging {_STAGING_DDL}")
        await connection.exec_driver_sql("DELETE FROM temp.feed_staging")


# Values per IN list: below both SQLite's and asyncpg's limits on bound parameters.
_IN_LIMIT = 5000
# SQLite's page cache during a bulk import, KiB (allocated as pages are read, freed by end_bulk).
_BULK_CACHE_KIB = 256 * 1024

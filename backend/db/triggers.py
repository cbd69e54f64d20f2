"""The SQL of trigger evaluation: a fixed number of statements however many events are pending.

Amounts are compared in whole fen (cents): SQLite keeps NUMERIC as floating point, and a sum of
floats could land a hair below a threshold it reaches exactly.

SQLite plans without statistics and would always read pending events through their index, one
row lookup each. When most of the table is pending (a big import), reading the table in row
order is many times faster; the statements then use a pending test the index cannot serve.
PostgreSQL chooses by its own statistics.

Marking events evaluated differs by database. SQLite updates each row in place, cheaply. On
PostgreSQL an update writes a new version of the row and of its index entries: a million-event
backlog took longer to mark than to evaluate. There the evaluation takes in every event up to
the largest id committed when it starts, and moves one mark (``feed_evaluation_mark``) past
them; the events above the mark, and those never marked before it existed, are pending. The
largest id is read under a lock that waits for the imports in flight (an event id is taken from
the sequence when the row is inserted, in the order of insertion, not of commit), so no event
below it can commit later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    SQLColumnExpression,
    Text,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from backend.db.models import (
    FeedEvaluationMarkRow,
    FeedEventRow,
    RegistryAssessmentRow,
    RegistryHouseholdRow,
    RegistryPersonRow,
    SerializedJson,
)
from backend.monitoring.changes import SERIOUS_MARKS
from backend.monitoring.records import (
    Candidate,
    FeedEvent,
    Reassessed,
    RegistryHousehold,
    RegistryPerson,
    SpendingHit,
)

E, H, P, M = FeedEventRow, RegistryHouseholdRow, RegistryPersonRow, FeedEvaluationMarkRow
_EPOCH = date(1970, 1, 1)
_HUNDRED = Decimal(100)
_PENDING = E.evaluated == false()
# A row marked as a serious illness, read in SQL: the rest of its detail is not needed here.
_SERIOUS = func.coalesce(func.lower(func.trim(E.detail["serious"].as_string())).in_(SERIOUS_MARKS), false())
# The same test in a form no index serves: SQLite then scans the table in row order.
_PENDING_SCAN = func.coalesce(E.evaluated, true()) == false()
# Scan when more than one event in this many is pending.
_SCAN_SHARE = 8
_EVALUATION_LOCK = "monitoring:evaluate"
_MARK = 1  # the mark's single row, made by the first evaluation

_SAVE_HOUSEHOLD = (
    update(H)
    .where(H.id == bindparam("b_id"))
    .values(
        household=bindparam("b_household", type_=SerializedJson()),
        monthly_income=bindparam("b_income", type_=H.__table__.c.monthly_income.type),
        layer=bindparam("b_layer"),
        resilience_level=bindparam("b_level"),
        types=bindparam("b_types", type_=H.__table__.c.types.type),
        assessed_at=bindparam("b_assessed_at", type_=H.__table__.c.assessed_at.type),
        updated_at=bindparam("b_at", type_=H.__table__.c.updated_at.type),
    )
)
_MOVE_PERSON = update(P).where(P.id == bindparam("b_id")).values(member=bindparam("b_member"))


async def count_pending(connection: AsyncConnection) -> int:
    """How many events no evaluation has taken in yet."""
    pending: ColumnElement[bool] = _PENDING
    if connection.dialect.name == "postgresql":
        through = await connection.scalar(select(M.through_event_id).where(M.id == _MARK))
        pending = and_(E.id > (through or 0), _PENDING)
    return int(await connection.scalar(select(func.count()).select_from(E).where(pending)) or 0)


def _cents(amount: Any) -> Any:
    return func.round(amount * 100)


class SqlTriggerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._pending: ColumnElement[bool] = _PENDING
        # PostgreSQL: the events this evaluation takes in (ids up to ``_upto``), and how many are pending.
        self._taken_in: ColumnElement[bool] = true()
        self._upto: int | None = None
        self._count = 0

    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

    async def _run(self, statement: Any) -> Any:
        """Run a statement on the unit of work's connection (plain rows: no ORM bookkeeping)."""
        connection = await self._session.connection()
        return await connection.execute(statement)

    async def begin(self) -> int | None:
        counts = select(select(func.count()).select_from(E).where(_PENDING).scalar_subquery(),
                        select(func.max(E.id)).scalar_subquery())
        if self._dialect() != "postgresql":
            # SQLite: the unit of work already holds the single write lock (BEGIN IMMEDIATE).
            pending, last = (await self._run(counts)).one()
            if pending and pending * _SCAN_SHARE > (last or 0):
                self._pending = _PENDING_SCAN
            return int(pending)
        # A short transaction of its own: the lock waits for the imports in flight to commit and
        # holds new ones back only while the largest id is read.
        connection = await self._session.connection()
        await connection.exec_driver_sql("LOCK TABLE feed_events IN SHARE MODE")
        upto = int(await connection.scalar(select(func.coalesce(func.max(E.id), 0))) or 0)
        await self._session.commit()
        # One snapshot for every statement: an event committed by an import while this runs is
        # neither half-seen nor marked evaluated without having been looked at.
        connection = await self._session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        locked = await connection.scalar(select(func.pg_try_advisory_xact_lock(func.hashtextextended(
            literal(_EVALUATION_LOCK), 0))))
        if not locked:
            return None
        through = int(await connection.scalar(select(M.through_event_id).where(M.id == _MARK)) or 0)
        self._upto = upto
        self._taken_in = E.id <= upto
        self._pending = and_(E.id > through, E.id <= upto, _PENDING)
        self._count = int(await connection.scalar(select(func.count()).select_from(E).where(self._pending)) or 0)
        return self._count

    def _day(self, column: Any) -> Any:
        """A date as a number of days, for a window of days (SQLite has no date arithmetic)."""
        if self._dialect() == "sqlite":
            return func.julianday(column)
        return column - literal(_EPOCH, Date)

    async def spending_over(self, kind: str, *, days: int, amount: Decimal, share: Decimal,
                            on: date) -> list[SpendingHit]:
        # Only the window that ends on the day of the evaluation counts: spending that happened
        # before it (or is dated after it) fires nothing, however late it is imported.
        since = date.fromordinal(on.toordinal() - (days - 1))
        scope = [E.kind == kind, E.amount.is_not(None), E.occurred_on >= since, E.occurred_on <= on, self._taken_in]
        partition: SQLColumnExpression[int] = E.household_id
        if self._pending is not _PENDING_SCAN:
            # Only the households with pending events, read through the index by household.
            scope.append(E.household_id.in_(select(E.household_id).where(self._pending, E.kind == kind).distinct()))
        else:
            # Every household: an expression SQLite cannot read in index order makes it scan the
            # table and sort, instead of one row lookup per event.
            partition = E.household_id + literal_column("0")
        window = (
            select(
                E.household_id.label("household_id"),
                self._pending.label("pending"),
                E.occurred_on.label("occurred_on"),
                func.sum(_cents(E.amount))
                .over(partition_by=partition, order_by=self._day(E.occurred_on), range_=(-(days - 1), 0))
                .label("spent"),
            )
            .where(*scope)
            .subquery()
        )
        income = _cents(H.monthly_income)
        numerator, denominator = share.as_integer_ratio()
        reached = or_(
            window.c.spent >= int(amount * _HUNDRED),
            and_(income > 0, window.c.spent * denominator >= income * (12 * numerator)),
        )
        statement = (
            select(window.c.household_id, func.max(window.c.spent), func.max(window.c.occurred_on), H.monthly_income)
            .join(H, H.id == window.c.household_id)
            .where(window.c.pending, reached)
            .group_by(window.c.household_id, H.monthly_income)
        )
        rows = (await self._run(statement)).all()
        return [SpendingHit(hid, Decimal(int(spent)) / _HUNDRED, until, income) for hid, spent, until, income in rows]

    async def candidates(self, kinds: Sequence[str], *, serious_kind: str | None, exit_kind: str,
                         income_kind: str, since: date, until: date) -> list[Candidate]:
        exits = aliased(FeedEventRow)
        wanted: ColumnElement[bool] = E.kind.in_(list(kinds))
        if serious_kind is not None:
            wanted = or_(wanted, and_(E.kind == serious_kind, _SERIOUS))
        exit_on = (
            select(func.max(exits.occurred_on))
            .where(exits.household_id == E.household_id, exits.kind == exit_kind, exits.occurred_on <= E.occurred_on,
                   exits.id <= self._upto if self._upto is not None else true())
            .scalar_subquery()
        )
        statement = select(
            E.id,
            E.household_id,
            E.kind,
            E.amount,
            E.grade,
            case((E.kind == income_kind, exit_on), else_=None),
        ).where(self._pending, wanted, E.occurred_on <= until,
                # An income change is bounded by its own rule's months instead.
                or_(E.occurred_on >= since, E.kind == income_kind))
        return [Candidate(*row) for row in await self._run(statement)]

    async def households(self, ids: Sequence[int]) -> list[RegistryHousehold]:
        # The facts as text: they are parsed where they are replayed (a worker process).
        statement = select(
            H.id, H.office, cast(H.household, Text), H.layer, H.resilience_level, H.types, H.assessed_at
        ).where(H.id.in_(list(ids)))
        return [RegistryHousehold(i, o, h, layer, level, tuple(types or ()), at)
                for i, o, h, layer, level, types, at in await self._run(statement)]

    async def persons(self, household_ids: Sequence[int]) -> list[RegistryPerson]:
        statement = select(P.id, P.household_id, P.member, P.birth_date, P.earner).where(
            P.household_id.in_(list(household_ids))
        )
        return [RegistryPerson(*row) for row in await self._run(statement)]

    async def unapplied(self, household_ids: Sequence[int]) -> list[FeedEvent]:
        statement = (
            select(E.id, E.household_id, E.person_id, E.kind, E.occurred_on, E.amount, E.grade, _SERIOUS,
                   E.imported_at, self._pending)
            .join(H, H.id == E.household_id)
            .where(
                E.household_id.in_(list(household_ids)),
                self._taken_in,
                or_(self._pending, H.assessed_at.is_(None), E.imported_at > H.assessed_at),
            )
            .order_by(E.household_id, E.occurred_on, E.id)
        )
        return [FeedEvent(i, h, p, k, on, amount, grade, bool(serious), at, bool(pending))
                for i, h, p, k, on, amount, grade, serious, at, pending in await self._run(statement)]

    async def save(self, reassessed: Sequence[Reassessed], *, at: datetime) -> None:
        if not reassessed:
            return
        connection = await self._session.connection()
        await connection.execute(_SAVE_HOUSEHOLD, [
            {"b_id": r.household_id, "b_household": r.household_json, "b_income": r.monthly_income, "b_layer": r.layer,
             "b_level": r.resilience_level, "b_types": list(r.types), "b_assessed_at": r.assessed_at, "b_at": at}
            for r in reassessed
        ])
        moved = [{"b_id": person, "b_member": member} for r in reassessed for person, member in r.members.items()]
        if moved:
            await connection.execute(_MOVE_PERSON, moved)
        await connection.execute(insert(RegistryAssessmentRow), [
            {"household_id": r.household_id, "layer": r.layer, "resilience_level": r.resilience_level,
             "types": list(r.types), "cause": r.cause, "at": r.assessed_at}
            for r in reassessed
        ])

    async def mark_evaluated(self) -> int:
        connection = await self._session.connection()
        if self._upto is not None:
            # Never back: an evaluation that started later may have moved the mark further.
            mark = postgresql.insert(M).values(id=_MARK, through_event_id=self._upto)
            await connection.execute(mark.on_conflict_do_update(
                index_elements=[M.id], set_={"through_event_id": func.greatest(M.through_event_id, self._upto)}
            ))
            return self._count
        result = await connection.execute(update(E).where(self._pending).values(evaluated=true()))
        return int(result.rowcount or 0)

"""SQLAlchemy implementation of the named-fund port, bound to one unit of work's session."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import FundEntryRow, FundRow, Money
from backend.db.records import record_of
from backend.db.sql import add_unique, advisory_lock
from backend.points.fund_ports import (
    DuplicateFund,
    Fund,
    FundEntry,
    FundEntryKind,
    FundHolder,
)

CENT = Decimal("0.01")


def _fund(row: FundRow) -> Fund:
    return record_of(Fund, row, holder=FundHolder(row.holder))


def _entry(row: FundEntryRow) -> FundEntry:
    return record_of(FundEntry, row, kind=FundEntryKind(row.kind), amount=Decimal(row.amount).quantize(CENT))


class SqlFundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(self, *, code: str, name: str, holder: FundHolder, holder_ref: str, created_by: str,
                     at: datetime) -> Fund:
        row = FundRow(code=code, name=name, holder=holder.value, holder_ref=holder_ref, created_by=created_by,
                      created_at=at)
        await add_unique(self._session, row, DuplicateFund(f"a fund with code {code!r} exists already"))
        return _fund(row)

    async def get(self, code: str) -> Fund | None:
        row = await self._session.scalar(select(FundRow).where(FundRow.code == code))
        return _fund(row) if row else None

    async def lock(self, fund_id: int) -> None:
        await advisory_lock(self._session, f"fund:{fund_id}")

    async def balance(self, fund_id: int) -> Decimal:
        signed = case((FundEntryRow.kind == FundEntryKind.SPENDING.value, -FundEntryRow.amount),
                      else_=FundEntryRow.amount)
        # Read back as a Decimal of two places on both databases (SQLite keeps no exact decimals).
        total = await self._session.scalar(
            select(type_coerce(func.coalesce(func.sum(signed), 0), Money)).where(FundEntryRow.fund_id == fund_id)
        )
        return Decimal(total or 0).quantize(CENT)

    async def totals(self, fund_id: int) -> dict[FundEntryKind, Decimal]:
        rows = await self._session.execute(
            select(FundEntryRow.kind, type_coerce(func.sum(FundEntryRow.amount), Money))
            .where(FundEntryRow.fund_id == fund_id).group_by(FundEntryRow.kind)
        )
        found = {FundEntryKind(kind): Decimal(total).quantize(CENT) for kind, total in rows}
        return {kind: found.get(kind, Decimal("0.00")) for kind in FundEntryKind}

    async def add_entry(self, fund_id: int, *, kind: FundEntryKind, amount: Decimal, ref: str, note: str, by: str,
                        at: datetime) -> FundEntry:
        row = FundEntryRow(fund_id=fund_id, kind=kind.value, amount=amount, ref=ref, note=note, by=by, at=at)
        self._session.add(row)
        await self._session.flush()
        return _entry(row)

    async def entry(self, fund_id: int, entry_id: int) -> FundEntry | None:
        row = await self._session.get(FundEntryRow, entry_id)
        return _entry(row) if row is not None and row.fund_id == fund_id else None

    async def with_ref(self, fund_id: int, ref: str) -> FundEntry | None:
        row = await self._session.scalar(
            select(FundEntryRow).where(FundEntryRow.fund_id == fund_id, FundEntryRow.ref == ref)
            .order_by(FundEntryRow.id).limit(1)
        )
        return _entry(row) if row else None

    async def entries(self, fund_id: int, *, limit: int = 20) -> list[FundEntry]:
        rows = await self._session.scalars(
            select(FundEntryRow).where(FundEntryRow.fund_id == fund_id).order_by(FundEntryRow.id.desc()).limit(limit)
        )
        return [_entry(r) for r in rows]

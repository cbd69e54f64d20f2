"""SQLAlchemy implementation of the books a reconciliation reads: every ledger and fund row, in order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.funds import _entry as _fund_entry
from backend.db.funds import _fund
from backend.db.models import FundEntryRow, FundRow, PointAccountRow, PointEntryRow, RedemptionCodeRow
from backend.db.points import _account
from backend.db.points import _entry as _point_entry
from backend.db.records import record_of
from backend.points.fund_ports import Fund, FundEntry
from backend.points.ports import Account, Code, Entry


class SqlBooks:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def point_accounts(self) -> list[Account]:
        return [_account(r) for r in await self._session.scalars(select(PointAccountRow).order_by(PointAccountRow.id))]

    async def point_entries(self) -> list[Entry]:
        return [_point_entry(r) for r in await self._session.scalars(select(PointEntryRow).order_by(PointEntryRow.id))]

    async def used_codes(self) -> list[tuple[str, Code]]:
        rows = await self._session.scalars(
            select(RedemptionCodeRow).where(RedemptionCodeRow.used_at.is_not(None))
            .order_by(RedemptionCodeRow.used_at, RedemptionCodeRow.code_hash)
        )
        return [(r.code_hash, record_of(Code, r)) for r in rows]

    async def funds(self) -> list[Fund]:
        return [_fund(r) for r in await self._session.scalars(select(FundRow).order_by(FundRow.id))]

    async def fund_entries(self) -> list[FundEntry]:
        return [_fund_entry(r) for r in await self._session.scalars(select(FundEntryRow).order_by(FundEntryRow.id))]

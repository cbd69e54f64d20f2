"""SQLAlchemy implementation of the ledger's port, bound to one unit of work's session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import PointAccountRow, PointEntryRow, RedemptionCodeRow
from backend.db.records import record_of
from backend.db.sql import advisory_lock, rows_changed
from backend.points.ports import Account, Code, Entry, Holder


def _account(row: PointAccountRow) -> Account:
    return record_of(Account, row, holder=Holder(row.holder))


def _entry(row: PointEntryRow) -> Entry:
    return record_of(Entry, row)


class SqlPointsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def account(self, holder: Holder, ref: str, *, name: str, at: datetime) -> Account:
        found = await self.find(holder, ref)
        if found is not None:
            return found
        # Two first uses at once: the lock makes the second find the first's account.
        await advisory_lock(self._session, f"points-account:{holder}:{ref}")
        found = await self.find(holder, ref)
        if found is not None:
            return found
        row = PointAccountRow(holder=holder.value, ref=ref, name=name, created_at=at)
        self._session.add(row)
        await self._session.flush()
        return _account(row)

    async def find(self, holder: Holder, ref: str) -> Account | None:
        row = await self._session.scalar(
            select(PointAccountRow).where(PointAccountRow.holder == holder.value, PointAccountRow.ref == ref)
        )
        return _account(row) if row else None

    async def lock(self, account_id: int) -> None:
        await advisory_lock(self._session, f"points:{account_id}")

    async def balance(self, account_id: int) -> int:
        total = await self._session.scalar(
            select(func.coalesce(func.sum(PointEntryRow.amount), 0)).where(PointEntryRow.account_id == account_id)
        )
        return int(total or 0)

    async def post(self, txn: str, entries: list[Entry]) -> None:
        if sum(e.amount for e in entries) != 0 or len(entries) < 2:
            raise ValueError(f"transaction {txn} does not balance")
        self._session.add_all(
            PointEntryRow(txn=txn, account_id=e.account_id, amount=e.amount, cause=e.cause, ref=e.ref, note=e.note,
                          by=e.by, at=e.at)
            for e in entries
        )
        await self._session.flush()

    async def entries(self, account_id: int, *, limit: int = 20) -> list[Entry]:
        rows = await self._session.scalars(
            select(PointEntryRow).where(PointEntryRow.account_id == account_id)
            .order_by(PointEntryRow.id.desc()).limit(limit)
        )
        return [_entry(r) for r in rows]

    async def transaction(self, txn: str) -> list[Entry]:
        rows = await self._session.scalars(
            select(PointEntryRow).where(PointEntryRow.txn == txn).order_by(PointEntryRow.id)
        )
        return [_entry(r) for r in rows]

    async def reversed(self, txn: str) -> bool:
        found = await self._session.scalar(
            select(PointEntryRow.id).where(PointEntryRow.cause == "reversal", PointEntryRow.ref == txn).limit(1)
        )
        return found is not None

    async def add_code(self, code_hash: str, *, account_id: int, points: int, expires_at: datetime) -> None:
        self._session.add(RedemptionCodeRow(code_hash=code_hash, account_id=account_id, points=points,
                                            expires_at=expires_at))
        await self._session.flush()

    async def use_code(self, code_hash: str, *, at: datetime) -> Code | None:
        # One conditional UPDATE: of two merchants confirming one code, exactly one succeeds.
        changed = await rows_changed(
            self._session,
            update(RedemptionCodeRow)
            .where(RedemptionCodeRow.code_hash == code_hash, RedemptionCodeRow.used_at.is_(None),
                   RedemptionCodeRow.expires_at > at)
            .values(used_at=at)
        )
        if changed != 1:
            return None
        row = await self._session.get(RedemptionCodeRow, code_hash)
        assert row is not None
        return record_of(Code, row)

    async def set_code_transaction(self, code_hash: str, txn: str) -> None:
        await self._session.execute(
            update(RedemptionCodeRow).where(RedemptionCodeRow.code_hash == code_hash).values(txn=txn)
        )

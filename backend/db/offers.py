"""SQLAlchemy implementation of the offer port: what is offered to residents after assessment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.cases.ports import Offer
from backend.db.models import OfferRow
from backend.db.records import record_of
from backend.db.sql import advisory_lock, dialect_insert, rows_changed, run_core

_WITH_OPEN_OFFERS = (
    select(OfferRow.resident_id)
    .where(OfferRow.resident_id.in_(bindparam("residents", expanding=True)), OfferRow.status == "offered",
           or_(OfferRow.expires_at.is_(None),
               OfferRow.expires_at > bindparam("now", type_=OfferRow.__table__.c.expires_at.type)))
    .distinct()
)


def _offer(row: OfferRow) -> Offer:
    return record_of(Offer, row)


class SqlOfferRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, resident_id: str, application_number: str | None, kind: str, ref: str,
                  at: datetime, expires_at: datetime | None = None) -> int | None:
        existing = await self._session.scalar(
            select(OfferRow.id).where(OfferRow.resident_id == resident_id, OfferRow.kind == kind, OfferRow.ref == ref)
        )
        if existing is not None:
            return None
        row = OfferRow(resident_id=resident_id, application_number=application_number, kind=kind, ref=ref,
                       status="offered", created_at=at, expires_at=expires_at)
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def add_many(self, *, resident_id: str, application_number: str | None, wanted: list[tuple[str, str]],
                       at: datetime, expires_at: datetime | None = None) -> list[int | None]:
        if not wanted:
            return []
        table = OfferRow.__table__
        # One statement for all: the unique (resident, kind, ref) skips what was offered before.
        statement = (
            dialect_insert(self._session, table)
            .values([{"resident_id": resident_id, "application_number": application_number, "kind": kind, "ref": ref,
                      "status": "offered", "created_at": at, "expires_at": expires_at} for kind, ref in wanted])
            .on_conflict_do_nothing(index_elements=["resident_id", "kind", "ref"])
            .returning(table.c.id, table.c.kind, table.c.ref)
        )
        made = {(kind, ref): offer_id for offer_id, kind, ref in await self._session.execute(statement)}
        return [made.get(key) for key in wanted]

    async def open_for(self, resident_id: str, *, now: datetime) -> list[Offer]:
        rows = await self._session.scalars(
            select(OfferRow).where(OfferRow.resident_id == resident_id, OfferRow.status == "offered",
                                   or_(OfferRow.expires_at.is_(None), OfferRow.expires_at > now))
            .order_by(OfferRow.id)
        )
        return [_offer(r) for r in rows]

    async def with_open_offers(self, resident_ids: set[str], *, now: datetime) -> set[str]:
        if not resident_ids:
            return set()
        found = await run_core(self._session, _WITH_OPEN_OFFERS, {"residents": sorted(resident_ids), "now": now})
        return {resident_id for (resident_id,) in found}

    async def get(self, offer_id: int) -> Offer | None:
        row = await self._session.get(OfferRow, offer_id)
        return _offer(row) if row else None

    async def lock(self, kind: str, ref: str) -> None:
        await advisory_lock(self._session, f"offer:{kind}:{ref}")

    async def answer(self, offer_id: int, *, status: str, at: datetime) -> bool:
        changed = await rows_changed(
            self._session,
            update(OfferRow).where(OfferRow.id == offer_id, OfferRow.status == "offered")
            .values(status=status, answered_at=at)
        )
        return changed == 1

    async def taken(self, kind: str, ref: str) -> list[Offer]:
        rows = await self._session.scalars(
            select(OfferRow).where(OfferRow.kind == kind, OfferRow.ref == ref, OfferRow.status == "accepted")
            .order_by(OfferRow.answered_at, OfferRow.id)
        )
        return [_offer(r) for r in rows]

"""SQLAlchemy queries of outreach: alerts not yet followed by outreach, and the household's people."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import AlertRow, RegistryHouseholdRow, RegistryPersonRow
from backend.monitoring.outreach_ports import AlertHousehold, Contact

# An alert with the household it is about.
_ALERT_HOUSEHOLD = select(
    AlertRow.id, AlertRow.household_id, RegistryHouseholdRow.office, RegistryHouseholdRow.household
).join(RegistryHouseholdRow, RegistryHouseholdRow.id == AlertRow.household_id)


class SqlOutreachRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def pending(self, *, limit: int = 500) -> list[AlertHousehold]:
        rows = await self._session.execute(
            _ALERT_HOUSEHOLD.where(AlertRow.outreach.is_(None), AlertRow.status.in_(("new", "acknowledged")))
            .order_by(AlertRow.id)
            .limit(limit)
        )
        return [AlertHousehold(*row) for row in rows]

    async def alert(self, alert_id: int) -> AlertHousehold | None:
        row = (await self._session.execute(_ALERT_HOUSEHOLD.where(AlertRow.id == alert_id))).first()
        return AlertHousehold(*row) if row else None

    async def contacts(self, household_id: int) -> list[Contact]:
        rows = await self._session.execute(
            select(RegistryPersonRow.member, RegistryPersonRow.name, RegistryPersonRow.id_cipher,
                   RegistryPersonRow.resident_id)
            .where(RegistryPersonRow.household_id == household_id)
            .order_by(RegistryPersonRow.member)
        )
        return [Contact(*row) for row in rows]

    async def mark(self, alert_id: int, outreach: str) -> None:
        await self._session.execute(update(AlertRow).where(AlertRow.id == alert_id).values(outreach=outreach))

    async def bind(self, household_id: int, member: int, resident_id: str) -> None:
        """The chat identity of a person of the registry (the applicant of an application)."""
        await self._session.execute(
            update(RegistryPersonRow)
            .where(RegistryPersonRow.household_id == household_id, RegistryPersonRow.member == member)
            .values(resident_id=resident_id)
        )




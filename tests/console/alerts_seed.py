"""Alerts raised the way monitoring raises them (a registry household, a department's event, the
trigger evaluation), for the console's alert pages and the browser tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update

from backend.db.database import Database
from backend.db.models import AlertRow
from backend.monitoring.triggers import evaluate
from tests.monitoring.seed import NOW, PACK, TODAY, add_events, add_household, alerts, event, household, member


@dataclass(frozen=True, slots=True)
class Raised:
    medical: int  # hubin: ¥9,958.00 of medical bills, 46.1% of the household's income; listed for a visit
    death: int  # hubin: the earner died; due within the day
    other_office: int  # wenchang: a disaster loss


async def raise_alerts(database: Database) -> Raised:
    medical = await add_household(database, household(member("self", 50, income="1800"),
                                                      member("spouse", 48, work="unable"),
                                                      member("child", 12, work="student")), code="HB-0007")
    death = await add_household(database, household(member("self", 45, income="3500"),
                                                    member("spouse", 43, work="unable")), code="HB-0008")
    other = await add_household(database, household(member("self", 40, income="900"), office="wenchang"),
                                code="WC-0001")
    await add_events(database, [
        event(medical.person(), medical.id, "out_of_pocket", amount="9958.00", on=TODAY - timedelta(days=3)),
        event(death.person(), death.id, "death"),
        event(other.person(), other.id, "disaster_loss", amount="8000"),
    ])
    summary = await evaluate(database, PACK, now=NOW)
    assert summary.alerts == 3, summary
    ids = {a.household_id: a.id for a in await alerts(database)}
    async with database.engine.begin() as connection:
        # Outreach found nobody of the medical household in the chat; the death is due in 6 hours.
        await connection.execute(update(AlertRow).where(AlertRow.id == ids[medical.id]).values(outreach="visit"))
        await connection.execute(update(AlertRow).where(AlertRow.id == ids[death.id])
                                 .values(deadline_at=NOW + timedelta(hours=6)))
        await connection.execute(update(AlertRow).where(AlertRow.id == ids[medical.id])
                                 .values(deadline_at=NOW + timedelta(hours=40)))
    return Raised(ids[medical.id], ids[death.id], ids[other.id])

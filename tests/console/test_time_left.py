"""The dashboard's open cases by time left: overdue, within 2 working days, within 5, later."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from backend.console.time_left import TimeLeft, time_left
from backend.db.models import ApplicationRow
from backend.store.console import Scope
from tests.cases.helpers import NOW, PACK, payload, submit
from tests.console.conftest import sign_in

ZONE = ZoneInfo("Asia/Shanghai")


async def cases_by_time_left(database) -> dict[str, str]:
    # NOW is Sunday Nov 29 2026, 10:00 in Demo City: 2 working days on end Tue Dec 1, 5 end Fri Dec 4.
    numbers = {
        "old": await submit(database, payload(1), "r1", now=NOW - timedelta(days=60)),  # overdue
        "urgent": await submit(database, payload(2, urgent=True), "r2"),  # Nov 30, 10:00
        "mid": await submit(database, payload(3), "r3"),
        "fresh": await submit(database, payload(4), "r4"),  # Jan 2027: later, and estimated
        "closed": await submit(database, payload(5), "r5", now=NOW - timedelta(days=60)),
        "elsewhere": await submit(database, payload(6, office="wenchang"), "r6", now=NOW - timedelta(days=60)),
    }
    async with database.engine.begin() as connection:
        await connection.execute(update(ApplicationRow).where(ApplicationRow.number == numbers["mid"])
                                 .values(deadline_at=datetime(2026, 12, 3, 23, 59, 59, tzinfo=ZONE)))
        await connection.execute(update(ApplicationRow).where(ApplicationRow.number == numbers["closed"])
                                 .values(status="approved"))
    return numbers


async def test_open_cases_are_counted_by_time_left(database):
    await cases_by_time_left(database)
    async with database.unit_of_work() as uow:
        hubin = await time_left(uow.reports, Scope("hubin"), NOW, PACK)
        everywhere = await time_left(uow.reports, Scope(None), NOW, PACK)
    assert hubin == TimeLeft(overdue=1, within_soon=1, within_near=1, later=1, without=0, estimated=1,
                             calendar_year=2026)
    assert everywhere.overdue == 2 and everywhere.open == 5
    # A day and a half later (Monday evening) the emergency is overdue too; Dec 3 is 3 working days on.
    async with database.unit_of_work() as uow:
        later = await time_left(uow.reports, Scope("hubin"), NOW + timedelta(hours=36), PACK)
    assert (later.overdue, later.within_soon, later.within_near, later.later) == (2, 0, 1, 1)


async def test_the_dashboard_shows_time_left(client, staff, database):
    await cases_by_time_left(database)
    await sign_in(client, "wang")
    page = await (await client.get("/console/dashboard")).text()
    section = page[page.index('id="time-left"'):page.index('id="funnel"')]
    counts = [int(n) for n in re.findall(r"<td[^>]*>(\d+)</td>", section)]
    assert counts == [1, 1, 1, 1]
    assert "/console/queue?overdue=yes" in section
    assert "2026" in section  # the note that deadlines past the holiday data are estimated

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


async def test_the_case_page_lists_each_stage_due_across_national_day(client, staff, database):
    # Submitted on Friday 26 September 2025: Sunday 28 September and Saturday 11 October are make-up
    # working days, 1–8 October the National Day holiday.
    number = await submit(database, payload(1), "r1", now=datetime(2025, 9, 26, 10, tzinfo=ZONE))
    await sign_in(client, "wang")
    page = await (await client.get(f"/console/cases/{number}")).text()
    stages = page[page.index('id="stages"'):page.index("</ol>", page.index('id="stages"'))]
    listed = [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li[^>]*>(.*?)</li>", stages, re.S)]
    assert listed == ["acceptance by September 30, 2025", "street office review by October 21, 2025",
                      "public notice until October 28, 2025", "approval by November 11, 2025"]
    async with database.unit_of_work() as uow:
        case = await uow.cases.get(number)
    # The last stage is the case's deadline, the day the resident was promised.
    assert case.deadline_at.astimezone(ZONE).date().isoformat() == "2025-11-11"

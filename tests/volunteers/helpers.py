"""Volunteers and tasks for the volunteering tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.db.database import Database
from backend.points.ledger import Ledger
from backend.volunteers.ports import TaskSpec, Volunteer
from backend.volunteers.service import Volunteering
from tests.cases.helpers import NOW, PACK

ZONE = ZoneInfo("Asia/Shanghai")
VOLUNTEERING = Volunteering(PACK, Ledger(PACK), zone=ZONE)
# Tuesday 1 December 2026, 09:00 in the region: a weekday morning.
TUESDAY_MORNING = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


async def run(database: Database, step: Any) -> Any:
    async with database.unit_of_work() as uow:
        result = await step(uow)
        await uow.commit()
    return result


async def volunteer(database: Database, handle: str, *, skills: tuple[str, ...] = ("hospital_escort",),
                    offices: tuple[str, ...] = ("hubin",), slots: tuple[str, ...] = ("weekday_morning",),
                    qualified: tuple[str, ...] | None = None, name: str = "李志愿", channel: str = "telegram",
                    now: datetime = NOW) -> Volunteer:
    """A registered volunteer (a Telegram resident ``handle``), qualified for ``qualified`` (default: all skills)."""
    async def step(uow: Any) -> Volunteer:
        who = await uow.residents.identify(channel, handle, now=now)
        found = await uow.volunteers.add(resident_id=who.id, name=name, mobile="13912345678", offices=list(offices),
                                         availability=list(slots), skills=list(skills), at=now)
        for skill in skills if qualified is None else qualified:
            await uow.volunteers.qualify(found.id, skill, by="wang", at=now)
        return await uow.volunteers.get(found.id)
    return await run(database, step)


def spec(*, office: str = "hubin", skill: str = "hospital_escort", starts_at: datetime = TUESDAY_MORNING,
         minutes: int = 180, number: str | None = None) -> TaskSpec:
    return TaskSpec(skill=skill, office=office, given_name="秀英", address="湖滨路 8 号 3 单元",
                    details="陪同去市一医院复诊", starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
                    duration_minutes=minutes, application_number=number)

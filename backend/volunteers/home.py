"""A volunteer's home: the pings waiting for their answer, the tasks they took, their hours and points.

What a registered volunteer sees when they open the chat (not a resident's application), and from
where they can still apply for help themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from backend.points.ledger import Ledger
from backend.points.ports import Holder
from backend.volunteers.hours import hours_credited
from backend.volunteers.ports import Task, TaskStatus, Volunteer, VolunteersUnitOfWork


@dataclass(frozen=True, slots=True)
class Home:
    volunteer: Volunteer
    pings: list[Task]  # open tasks they were asked to take and have not answered
    tasks: list[Task]  # tasks they took and have not done yet, soonest first
    hours: Decimal
    points: int


async def home_of(uow: VolunteersUnitOfWork, ledger: Ledger, volunteer: Volunteer, *, now: datetime) -> Home:
    _, points = await ledger.balance(uow, Holder.VOLUNTEER, str(volunteer.id))
    return Home(
        volunteer=volunteer,
        pings=await uow.tasks.open_pings(volunteer.id, now=now),
        tasks=await uow.tasks.of_volunteer(volunteer.id, (TaskStatus.ASSIGNED,)),
        hours=await hours_credited(uow, volunteer.id),
        points=points,
    )

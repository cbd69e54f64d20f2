"""Commands staff type in their chat with the bot, besides answering requests for a person.

- ``/task NUMBER SKILL YYYY-MM-DD HH:MM MINUTES ADDRESS [| WHAT TO DO]``: a service task for a case
  (the same as ``POST /api/v1/tasks``); the time is the region's.
- ``/qualify VOLUNTEER SKILL``: vouch for a skill a volunteer offered.
- ``/redeem CODE``: a merchant confirms a volunteer's one-time code; the points move once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from backend.cases.ports import Role, User
from backend.cases.service import DecisionRefused, Forbidden
from backend.points.ledger import Ledger, LedgerError
from backend.ports import NotFound, Store, UnitOfWork
from backend.volunteers.ports import TaskSpec
from backend.volunteers.service import Volunteering, given_name
from flows import events as ev

log = logging.getLogger(__name__)
COMMANDS = frozenset({"task", "qualify", "redeem"})


@dataclass(frozen=True, slots=True)
class _Reply:
    key: str
    params: dict[str, object]
    done: bool = False


def _refused(key: str, **params: object) -> _Reply:
    return _Reply(key, params)


def _done(key: str, **params: object) -> _Reply:
    return _Reply(key, params, done=True)


class Desk(Protocol):
    async def tell(self, user: User, key: str, params: dict[str, object]) -> None: ...


class StaffCommands:
    def __init__(self, database: Store[UnitOfWork], *, desk: Desk, volunteering: Volunteering, ledger: Ledger,
                 clock: Callable[[], datetime]) -> None:
        self._database = database
        self._desk = desk
        self._volunteering = volunteering
        self._ledger = ledger
        self._clock = clock

    async def handle(self, user: User, command: ev.Command) -> bool:
        """Run a staff command; False when it is none of these (the caller handles it)."""
        name = command.name.lower()
        if name not in COMMANDS:
            return False
        now = self._clock()
        async with self._database.unit_of_work() as uow:
            reply = await getattr(self, f"_{name}")(uow, user, command.arg.strip(), now)
            if reply.done:
                await uow.commit()  # a refusal may have written half a step: it is rolled back
        await self._desk.tell(user, reply.key, reply.params)
        return True

    async def _task(self, uow: UnitOfWork, user: User, arg: str, now: datetime) -> _Reply:
        head, _, details = arg.partition("|")
        parts = head.split(maxsplit=5)
        if len(parts) < 6 or not parts[4].isdigit():
            return _refused("desk.task_usage")
        number, skill, day, clock_time, minutes, address = parts
        try:
            starts_at = datetime.fromisoformat(f"{day}T{clock_time}").replace(tzinfo=self._volunteering.zone)
        except ValueError:
            return _refused("desk.task_usage")
        case = await uow.cases.get(number)
        name = str(case.payload.get("applicant", {}).get("name", "")) if case is not None else ""
        spec = TaskSpec(skill=skill, office=case.office if case else (user.office or ""), given_name=given_name(name),
                        address=address.strip(), details=details.strip(), starts_at=starts_at,
                        ends_at=starts_at + timedelta(minutes=int(minutes)), duration_minutes=int(minutes),
                        application_number=number)
        try:
            task = await self._volunteering.create_task(uow, user, spec, now=now)
        except (DecisionRefused, Forbidden, NotFound) as error:
            return _refused("desk.task_refused", reason=str(error))
        pings = []
        for ping in await uow.tasks.pings(task.id):
            asked = await uow.volunteers.get(ping.volunteer_id)
            pings.append({"name": asked.name if asked else "", "at": ping.sent_at.isoformat()})
        if pings:  # whom it was offered to, and when each ping goes out
            return _done("desk.task_pinged", id=task.id, status=task.status.value, pings=pings)
        return _done("desk.task_created", id=task.id, status=task.status.value, round=task.round)

    async def _qualify(self, uow: UnitOfWork, user: User, arg: str, now: datetime) -> _Reply:
        parts = arg.split()
        if len(parts) != 2 or not parts[0].isdigit():
            return _refused("desk.qualify_usage")
        try:
            volunteer = await self._volunteering.qualify(uow, user, int(parts[0]), parts[1], now=now)
        except (DecisionRefused, Forbidden, NotFound) as error:
            return _refused("desk.qualify_refused", reason=str(error))
        return _done("desk.qualified", name=volunteer.name, skill=parts[1])

    async def _redeem(self, uow: UnitOfWork, user: User, arg: str, now: datetime) -> _Reply:
        if user.role not in (Role.MERCHANT, Role.ADMIN):
            return _refused("desk.redeem_refused", reason="only a registered charity merchant confirms codes")
        if not arg:
            return _refused("desk.redeem_usage")
        try:
            txn, points = await self._ledger.redeem(uow, user.username, user.display_name, arg, by=user.username,
                                                    now=now)
        except LedgerError as error:
            return _refused("desk.redeem_refused", reason=str(error))
        await uow.audit.record(actor=user.username, action="points.redemption",
                               target=f"merchant:{user.username}", details={"transaction": txn, "points": points},
                               at=now)
        return _done("desk.redeemed", points=points)

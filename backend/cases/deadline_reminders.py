"""Reminders of case deadlines, for the worker: the assignee a few working days before a case's
deadline (``reminder_workdays`` of the pack) and once it has passed, and then the office's
supervisors. Each reminder goes once per deadline: it is recorded in the same transaction that
queues its message, so neither a second pass nor a restart repeats it.

Staff are reached as monitoring alerts reach supervisors: a message in their Telegram chat
(an outbox row), one per person listing their cases. A case whose assignee or office has no one on
Telegram is recorded all the same and logged; the console's dashboard shows it by time left.
Emergencies get no advance reminder: their deadline is hours away from the start, and the
resident's case arrived flagged as urgent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from backend.cases.deadline_ports import DeadlinesUnitOfWork, DueCase, ReminderKind
from backend.delivery.staff_chat import tell_staff
from backend.policy.deadlines import end_of_day, local_date
from backend.policy.pack import Pack
from backend.policy.workdays import add_workdays
from backend.store.base import Store
from backend.store.users import Role, User
from locales import DEFAULT_LOCALE, Messages, Translations

log = logging.getLogger(__name__)

# How many cases one message lists (a Telegram message holds 4,096 characters).
LISTED = 10


@dataclass(frozen=True, slots=True)
class Reminded:
    """How many cases each kind of reminder was recorded for in one pass."""

    before: int = 0
    after: int = 0
    supervisor: int = 0

    def __bool__(self) -> bool:
        return bool(self.before or self.after or self.supervisor)


def reminder_horizon(now: datetime, pack: Pack) -> datetime:
    """Deadlines before this moment are due the advance reminder: the end of the day
    ``reminder_workdays`` working days from today, where the office is."""
    zone = ZoneInfo(pack.regions.timezone)
    today = local_date(now, zone)
    lead = int(pack.parameter("reminder_workdays", today).value)
    return end_of_day(add_workdays(today, lead).on, zone)


async def remind_deadlines(database: Store[DeadlinesUnitOfWork], pack: Pack, now: datetime, *,
                           messages: Messages | None = None) -> Reminded:
    """Queue every reminder now due, each once.

    Args:
        database: the connected database.
        pack: the policy pack (the reminder lead time and the time zone).
        now: the time deadlines are compared with.
        messages: staff messages (HTML-escaping, as staff read Telegram); default zh_CN.
    """
    messages = messages or Translations(html=True)(DEFAULT_LOCALE)
    async with database.unit_of_work() as uow:
        before = await uow.deadline_reminders.due(ReminderKind.BEFORE, until=reminder_horizon(now, pack), since=now,
                                                  emergencies=False)
        before = await _recorded(uow, ReminderKind.BEFORE, before, now)
        after = await _recorded(uow, ReminderKind.AFTER,
                                await uow.deadline_reminders.due(ReminderKind.AFTER, until=now), now)
        supervisor = await _recorded(uow, ReminderKind.SUPERVISOR,
                                     await uow.deadline_reminders.due(ReminderKind.SUPERVISOR, until=now), now)
        if before or after or supervisor:
            users = {u.username: u for u in await uow.users.list() if u.active}
            await _tell_assignees(uow, "deadlines.before", before, users, messages, now)
            await _tell_assignees(uow, "deadlines.after", after, users, messages, now)
            await _tell_supervisors(uow, supervisor, list(users.values()), messages, now)
        await uow.commit()
    return Reminded(len(before), len(after), len(supervisor))


async def _recorded(uow: DeadlinesUnitOfWork, kind: ReminderKind, due: list[DueCase], now: datetime) -> list[DueCase]:
    marked = set(await uow.deadline_reminders.mark(kind, due, at=now))
    return [c for c in due if c.number in marked]


async def _tell_assignees(uow: DeadlinesUnitOfWork, key: str, cases: Sequence[DueCase], users: dict[str, User],
                          messages: Messages, now: datetime) -> None:
    by_assignee: dict[str, list[DueCase]] = {}
    for case in cases:
        user = users.get(case.assignee or "")
        if user is None or not user.telegram_id:
            log.warning("case %s: deadline reminder %s recorded, but its assignee is not on Telegram", case.number, key)
            continue
        by_assignee.setdefault(user.username, []).append(case)
    for username, listed in by_assignee.items():
        await _send(uow, users[username], key, listed, messages, now)


async def _tell_supervisors(uow: DeadlinesUnitOfWork, cases: Sequence[DueCase], users: list[User],
                            messages: Messages, now: datetime) -> None:
    by_office: dict[str, list[DueCase]] = {}
    for case in cases:
        by_office.setdefault(case.office, []).append(case)
    for office, listed in by_office.items():
        supervisors = [u for u in users if u.role is Role.SUPERVISOR and u.office == office and u.telegram_id]
        if not supervisors:
            log.warning("%d cases of %s passed their deadline and the office has no supervisor on Telegram",
                        len(listed), office)
        for user in supervisors:
            await _send(uow, user, "deadlines.supervisor", listed, messages, now, office=office)


async def _send(uow: DeadlinesUnitOfWork, user: User, key: str, cases: Sequence[DueCase], messages: Messages,
                now: datetime, **params: str) -> None:
    shown = [{"number": c.number, "deadline": c.deadline_at} for c in cases[:LISTED]]
    text = messages.render(key, cases=shown, more=len(cases) - len(shown), **params)
    await tell_staff(uow.outbox, user, key, text, at=now)

"""Telling whoever created a task, in their staff chat, that nobody accepted a round of pings in time,
and whom the task goes to next and when (or that nobody is left to ask)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from backend.delivery.staff_chat import tell_staff
from backend.store.outbox import OutboxRepository
from backend.store.users import UserRepository
from backend.volunteers.ports import Task
from locales import DEFAULT_LOCALE, Messages, Translations

KEY = "task.staff.round_expired"


class CreatorUnitOfWork(Protocol):
    outbox: OutboxRepository
    users: UserRepository


async def tell_creator(uow: CreatorUnitOfWork, messages: Messages | None, task: Task,
                       asked_next: list[tuple[str, datetime]], *, now: datetime, timed_out: bool) -> bool:
    """Queue the message for the task's creator; False when they have no staff chat (the task's page
    shows the same: each ping, when it goes out and its answer)."""
    creator = await uow.users.get(task.created_by)
    if creator is None or not creator.active:
        return False  # a resident asked for it, or the account is gone: the page still shows it
    messages = messages or Translations(html=True)(DEFAULT_LOCALE)
    text = messages.render(KEY, task_id=task.id, skill=task.spec.skill, round=task.round, timed_out=timed_out,
                           starts_at=task.spec.starts_at.isoformat() if task.spec.starts_at else None,
                           next=[{"name": name, "at": at.isoformat()} for name, at in asked_next])
    return await tell_staff(uow.outbox, creator, KEY, text, at=now)

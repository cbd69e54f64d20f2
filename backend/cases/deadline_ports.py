"""The storage port of deadline reminders: which open cases are due a reminder, and a record of
each reminder sent (so that no pass, nor a restart, sends it twice)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from backend.store.base import Transaction
from backend.store.outbox import OutboxRepository
from backend.store.users import UserRepository


class ReminderKind(StrEnum):
    BEFORE = "before"  # the assignee, a few working days before the deadline
    AFTER = "after"  # the assignee, once the deadline has passed
    SUPERVISOR = "supervisor"  # the office's supervisors, once the deadline has passed


@dataclass(frozen=True, slots=True)
class DueCase:
    """An open case due a reminder (its number only: reminders carry no personal data)."""

    number: str
    office: str
    deadline_at: datetime
    assignee: str | None  # username


class DeadlineReminderRepository(Protocol):
    async def due(self, kind: ReminderKind, *, until: datetime, since: datetime | None = None,
                  emergencies: bool = True, limit: int = 500) -> list[DueCase]:
        """Open cases whose deadline is before ``until`` (and not before ``since``), that were not
        reminded of ``kind`` for that deadline; the nearest deadline first."""

    async def mark(self, kind: ReminderKind, cases: Sequence[DueCase], *, at: datetime) -> list[str]:
        """Record the reminders; the numbers this call recorded (another pass may have been first)."""


class DeadlinesUnitOfWork(Transaction, Protocol):
    """What reminding of deadlines uses of a unit of work."""

    deadline_reminders: DeadlineReminderRepository
    users: UserRepository
    outbox: OutboxRepository

"""Telling a case's assignee in their Telegram chat that the resident wrote (the console flags it too)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from backend.delivery.staff_chat import tell_staff
from backend.store.outbox import OutboxRepository
from backend.store.users import User
from locales import Messages

KEY = "thread.staff.resident_wrote"


class PingUnitOfWork(Protocol):
    outbox: OutboxRepository


async def ping_assignee(uow: PingUnitOfWork, assignee: User | None, *, number: str, applicant: str,
                        messages: Messages, html: bool, now: datetime) -> bool:
    """A message to the assignee's chat naming the case (never the resident's words, which stay in
    the console); False when there is nobody to tell there."""
    if assignee is None:
        return False
    text = messages.render(KEY, number=number, applicant=applicant)
    return await tell_staff(uow.outbox, assignee, KEY, text, at=now, html=html)

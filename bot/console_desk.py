"""The escalation desk as the web console uses it: the same claims, messages and closing as in
Telegram and at the terminal, so the resident hears the caseworker in their own channel."""

from __future__ import annotations

from backend.cases.ports import User
from bot.desk import EscalationDesk
from bot.runner import Conversations


class ConsoleDesk:
    def __init__(self, desk: EscalationDesk, conversations: Conversations) -> None:
        self._desk = desk
        self._conversations = conversations

    async def claim(self, user: User, ticket_id: int) -> bool:
        await self._desk.claim(user, ticket_id)
        async with self._desk.database.unit_of_work() as uow:
            ticket = await uow.escalations.get(ticket_id)
        return ticket is not None and ticket.status == "claimed" and ticket.claimed_by == user.username

    async def reply(self, user: User, ticket_id: int, text: str) -> bool:
        return await self._desk.from_staff(user, text, ticket_id=ticket_id)

    async def close(self, user: User, ticket_id: int, note: str) -> bool:
        resident = await self._desk.close(user, note, ticket_id=ticket_id)
        if resident is None:
            return False
        # As after /close in chat: a resident on a channel that can push is asked again where they were.
        await self._conversations.resume(resident)
        return True

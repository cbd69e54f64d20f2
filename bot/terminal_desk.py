"""A caseworker at the terminal: the escalation desk without Telegram.

``yimen desk USERNAME`` lists the requests for a person waiting in the caseworker's queues (their
office's; a supervisor's also the city-level queue of requests made before an office was chosen), claims
one (``/claim N``; the first claim wins, on Telegram or here), shows what the resident writes and
sends what the caseworker types, and ``/close NOTE`` ends it and returns the resident to their step.
"""

from __future__ import annotations

import sys
from typing import TextIO

from backend.cases.ports import User
from backend.ports import EscalationScope
from bot.desk import EscalationDesk
from bot.runner import Conversations
from locales import Messages


class TerminalCaseworker:
    def __init__(self, conversations: Conversations, desk: EscalationDesk, user: User, messages: Messages, *,
                 out: TextIO = sys.stdout) -> None:
        self.conversations = conversations
        self.desk = desk
        self.user = user
        self.messages = messages  # plain text: the terminal shows no HTML
        self.out = out
        self._seen = 0  # messages of the held request already shown

    async def send(self, line: str) -> None:
        """One typed line: a command, or words for the resident of the request held."""
        text = line.strip()
        if not text:
            return
        if text.startswith("/"):
            name, _, arg = text[1:].partition(" ")
            await self._command(name.lower(), arg.strip())
        else:
            await self.desk.from_staff(self.user, text)
            self._seen += 1  # our own words need not be shown back
        await self.show_new()

    async def show_new(self) -> None:
        """What the resident wrote since last shown."""
        async with self.conversations.database.unit_of_work() as uow:
            ticket = await uow.escalations.claimed_by(self.user.username)
            if ticket is None:
                self._seen = 0
                return
            messages = await uow.escalations.messages(ticket.id)
        for message in messages[self._seen:]:
            if message.sender == "resident":
                self._say("desk.from_resident", id=ticket.id, text=message.body)
        self._seen = len(messages)

    async def _command(self, name: str, arg: str) -> None:
        if name == "tickets":
            async with self.conversations.database.unit_of_work() as uow:
                waiting = await uow.escalations.waiting(EscalationScope.of(self.user))
            self._say("desk.waiting", tickets=[{"id": t.id, "reason": t.reason, "step": t.step, "at": t.created_at,
                                                "urgent": t.urgent} for t in waiting])
        elif name == "claim" and arg.isdigit():
            print(await self.desk.claim(self.user, int(arg)), file=self.out)
            self._seen = 0
        elif name == "close":
            resident = await self.desk.close(self.user, arg)
            if resident is None:
                self._say("desk.no_ticket")
            else:
                self._say("desk.closed_here")
                await self.conversations.resume(resident)
        else:
            self._say("desk.terminal_help")

    def _say(self, key: str, **params: object) -> None:
        print(self.messages.render(key, **params), file=self.out)
        self.out.flush()

"""A resident's message while a caseworker holds their request for a person: it is for the caseworker."""

from __future__ import annotations

from bot.desk import EscalationDesk
from bot.runner.context import Answered, Message
from bot.runner.rendering import Renderer
from bot.runner.replies import waiting_notices
from flows import events as ev


class DeskRelay:
    def __init__(self, desk: EscalationDesk, renderer: Renderer) -> None:
        self._desk = desk
        self._renderer = renderer

    async def __call__(self, m: Message) -> Answered | None:
        if m.resident.talking_to is None or not isinstance(m.event, ev.Text):
            return None
        await self._desk.relay_from_resident(m.uow, m.resident.talking_to, m.resident.id, m.event.text, m.now)
        return Answered(await waiting_notices(m.uow, self._renderer, m.resident.id, m.channel, m.locale, m.html, m.now,
                                              any_waiting=m.resident.notices_waiting))

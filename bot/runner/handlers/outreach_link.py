"""A caseworker's link (``/start apply-…``) from a home visit: the chat is bound to the
household's head, and answered as if the alert's button had been pressed."""

from __future__ import annotations

from backend.buttons import ApplyPrefilled
from backend.monitoring.outreach import Outreach
from bot.runner.context import Answered, Message
from bot.runner.handlers.buttons import NotificationButtons
from flows import events as ev


class OutreachLink:
    def __init__(self, outreach: Outreach, buttons: NotificationButtons) -> None:
        self._outreach = outreach
        self._buttons = buttons

    async def __call__(self, m: Message) -> Answered | None:
        if not (isinstance(m.event, ev.Command) and m.event.name.lower() == "start"):
            return None
        alert = self._outreach.parse_link(m.event.arg.strip())
        if alert is None or not await self._outreach.bind_by_link(m.uow, m.resident.id, alert):
            return None
        return await self._buttons.answer(m, ApplyPrefilled(alert))

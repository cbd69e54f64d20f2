"""A volunteer's own commands (``/points``, ``/code N``, ``/pause``, ``/resume``), answered on the side."""

from __future__ import annotations

from backend.points.ledger import Ledger
from bot import volunteer_commands
from bot.runner.context import Answered, Message
from bot.runner.rendering import Renderer
from flows import events as ev


class VolunteerCommands:
    def __init__(self, ledger: Ledger, renderer: Renderer) -> None:
        self._ledger = ledger
        self._renderer = renderer

    async def __call__(self, m: Message) -> Answered | None:
        if not (isinstance(m.event, ev.Command) and m.event.name.lower() in volunteer_commands.COMMANDS):
            return None
        said = await volunteer_commands.answer(m.uow, m.resident.id, m.event, self._ledger, now=m.now)
        return Answered(self._renderer.render([said], m.locale, html=m.html), live=False)

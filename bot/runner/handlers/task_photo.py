"""A volunteer's photo right after checking in joins that task, not any application."""

from __future__ import annotations

from dataclasses import replace

from backend.volunteers.service import Volunteering
from bot.runner.context import Answered, Message
from bot.runner.rendering import Renderer
from flows.intents import Reply


class TaskPhoto:
    def __init__(self, volunteering: Volunteering, renderer: Renderer) -> None:
        self._volunteering = volunteering
        self._renderer = renderer

    async def __call__(self, m: Message) -> Answered | None:
        document = m.document
        if document is None or m.resident.active_flow is not None:
            return None
        if await self._volunteering.attach_photo(m.uow, m.resident.id, document.id, now=m.now) is None:
            return None
        await m.uow.documents.add(replace(document, resident_id=m.resident.id, created_at=m.now))
        return Answered(self._renderer.render([Reply("task.photo_added")], m.locale, html=m.html), live=False)

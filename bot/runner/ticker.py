"""Reminders and expiry notices that have come due, outside any resident's message."""

from __future__ import annotations

from backend.ports import DocumentMeta
from bot.channels import push_identity, transcript_identity
from bot.outbound import Outbound
from bot.runner.effects import Effects
from bot.runner.rendering import Renderer
from bot.runner.replies import store_replies
from bot.runner.turn import Turns
from bot.services import Services
from flows import events as ev
from flows.session import Session


class Ticker:
    def __init__(self, services: Services, turns: Turns, effects: Effects, renderer: Renderer) -> None:
        self._services = services
        self._turns = turns
        self._effects = effects
        self._renderer = renderer

    async def tick(self) -> list[tuple[str, list[Outbound]]]:
        """Reminders and expiry notices that have come due.

        Residents reachable on a channel that can push get them through its outbox, in the
        transaction that records them as sent, and so do those on a channel that keeps a
        transcript (the web chat) for their return; the others' are returned, as (resident id,
        replies), for a channel that shows them (the terminal) to present.
        """
        store, now = self._services.store, self._services.clock()
        async with store.unit_of_work() as uow:
            due = await uow.sessions.due(now)
        kept: list[tuple[str, list[Outbound]]] = []
        for item in due:
            engine = self._turns.engines.get(item.flow)
            if engine is None:
                continue
            discarded: list[DocumentMeta] = []
            async with store.unit_of_work() as uow:
                stored = await uow.sessions.load(item.resident_id, item.flow)
                if stored is None:
                    continue
                resident = await uow.residents.get(item.resident_id)
                before = Session.from_dict(stored)
                session, intents = engine.step(before, ev.Tick(), now)
                await self._effects.act(uow, item.resident_id, session, intents, now, discarded)
                if (item.flow != self._turns.flow and session.final and resident
                        and resident.active_flow == item.flow):
                    await uow.residents.set_active_flow(item.resident_id, None)
                locale = session.locale or (resident.locale if resident else None) or self._services.default_locale
                identities = await uow.residents.identities(item.resident_id)
                # Pushed, or kept in a transcript for the resident's return, or handed back.
                target = push_identity(identities) or transcript_identity(identities)
                html = target is not None and self._services.html_translations is not None
                replies = self._renderer.render(intents, locale, html=html)
                if target is not None and replies:
                    # A reminder asks the same question again; an expiry moves the session on.
                    await store_replies(uow, item.resident_id, *target, replies, now, renderer=self._renderer,
                                        reasked=session.state == before.state)
                await uow.commit()
            for document in discarded:
                self._services.storage.delete(document.storage_key)
            if target is None and replies:
                kept.append((item.resident_id, replies))
        return kept

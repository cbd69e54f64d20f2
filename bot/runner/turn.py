"""The turn proper: load the session, step the engine, run effects, save, log, render."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from backend.ports import DocumentMeta, Resident, UnitOfWork
from bot.runner.context import Message, Preset, TurnOutput
from bot.runner.effects import Effects
from bot.runner.rendering import Renderer
from bot.runner.replies import store_replies, waiting_notices, with_offers_on_status
from bot.volunteer_home import at_home, drop_unbegun_intake
from flows import events as ev
from flows.engine import Engine
from flows.intents import Intent
from flows.session import Session

log = logging.getLogger(__name__)

# Deep links (``/start PAYLOAD``) that open a flow other than the intake.
DEEP_LINKS = {"volunteer": "volunteer"}


class Turns:
    """Runs a message through the flow it belongs to.

    Args:
        engines: every flow's engine, the intake's (the default flow) first.
    """

    def __init__(self, engines: tuple[Engine, ...], effects: Effects, renderer: Renderer) -> None:
        self.engine = engines[0]
        self.flow = self.engine.flow.name
        self.engines = {e.flow.name: e for e in engines}
        self._effects = effects
        self._renderer = renderer

    async def run(
        self, message: Message, out: TurnOutput, *, outbox: bool, flow: str | None = None,
        preset: Preset | None = None,
    ) -> None:
        """Load, step, run effects, save and log: everything of a turn but the commit.

        Args:
            outbox: store the replies in the outbox.
            flow: the flow to run (default: the one the resident is in, or the one a deep link opens).
            preset: what a new session of ``flow`` starts with (a reply's application number, an
                application the office filled in).
        """
        uow, resident, now, event = message.uow, message.resident, message.now, message.event
        if resident.unreachable:
            # They wrote again, so they can be reached again: send what was kept for them.
            await uow.residents.set_unreachable(resident.id, False)
            await uow.outbox.release(message.channel, message.external_id)
        if message.document is not None:
            await uow.documents.add(replace(message.document, resident_id=resident.id, created_at=now))
        flow = flow or self.flow_for(resident, event)
        if flow != (resident.active_flow or self.flow):
            await uow.residents.set_active_flow(resident.id, None if flow == self.flow else flow)
        engine = self.engines[flow]
        stored = None if preset is not None else await uow.sessions.load(resident.id, flow)
        if stored:
            session = Session.from_dict(stored)
        else:
            preset = preset or Preset()
            session = engine.new_session(now, resident.locale or message.locale_hint, answers=preset.answers,
                                         members=preset.members, confirm=preset.confirm)
            if resident.locale is None and message.locale_hint:
                # The channel's language stands until they choose one: notifications use it too.
                await uow.residents.set_locale(resident.id, message.locale_hint)
        before = session.state
        session, intents = engine.step(session, event, now)
        session, intents = await self._effects.run(uow, resident.id, engine, session, intents, now)
        locale = session.locale or message.locale
        await self._effects.act(uow, resident.id, session, intents, now, out.discarded)
        if flow != self.flow and session.final:
            intents += await self._back_to_intake(uow, resident.id, now, out.discarded)
        await uow.sessions.record_turn(
            resident.id,
            flow,
            turn=session.turns,
            state_before=before,
            state_after=session.state,
            event_kind=ev.kind_of(event),
            at=now,
        )
        out.replies = await waiting_notices(uow, self._renderer, resident.id, message.channel, locale,
                                            message.html, now, any_waiting=resident.notices_waiting)
        out.replies += await with_offers_on_status(uow, self._renderer.render(intents, locale, html=message.html),
                                                   self._renderer, resident.id, locale, now)
        if outbox:
            await store_replies(uow, resident.id, message.channel, message.external_id, out.replies, now,
                                renderer=self._renderer)
        log.info("turn %s %s: %s -> %s", message.channel, ev.kind_of(event), before, session.state)

    def flow_for(self, resident: Resident, event: ev.Event) -> str:
        """The flow a message goes to: one a deep link opens, else the one the resident is in."""
        if isinstance(event, ev.Command) and event.name.lower() == "start" and event.arg.strip() in DEEP_LINKS:
            linked = DEEP_LINKS[event.arg.strip()]
            if linked in self.engines:
                return linked
        return self.current_flow(resident)

    def current_flow(self, resident: Resident) -> str:
        return resident.active_flow if resident.active_flow in self.engines else self.flow

    async def _back_to_intake(
        self, uow: UnitOfWork, resident_id: str, now: datetime, discarded: list[DocumentMeta]
    ) -> list[Intent]:
        """Another flow ended: the intake takes their messages again, at the question they were at."""
        await uow.residents.set_active_flow(resident_id, None)
        if await uow.volunteers.by_resident(resident_id) is not None and await at_home(uow, resident_id, None,
                                                                                        self.flow):
            await drop_unbegun_intake(uow, resident_id, self.flow)
            return []  # a volunteer's next message opens their home, not an application
        stored = await uow.sessions.load(resident_id, self.flow)
        if stored is None:
            return []
        session = Session.from_dict(stored)
        if session.final or session.state == "new":
            return []
        session, intents = self.engine.step(session, ev.Command("start"), now)
        await self._effects.act(uow, resident_id, session, intents, now, discarded)
        return intents

"""``/link CODE``: this identity joins the resident the code was issued to, who then carries on
here where they were (a channel that can push also gets what waited for them)."""

from __future__ import annotations

from dataclasses import replace

from bot import linking
from bot.channels import PUSH_CHANNELS
from bot.runner.context import Answered, Message, TurnOutput
from bot.runner.rendering import Renderer
from bot.runner.turn import Turns
from flows import events as ev
from flows.session import Session


class Link:
    def __init__(self, links: linking.LinkCodes, turns: Turns, renderer: Renderer, default_locale: str) -> None:
        self._links = links
        self._turns = turns
        self._renderer = renderer
        self._default_locale = default_locale

    async def __call__(self, m: Message) -> Answered | None:
        if not (isinstance(m.event, ev.Command) and m.event.name.lower() in linking.COMMANDS):
            return None
        linked = await self._links.redeem(m.uow, m.resident, m.channel, m.external_id, m.event, now=m.now,
                                          address=m.client_address)
        discarded = list(linked.discarded)
        owner = await m.uow.residents.get(linked.resident_id) if linked.resident_id else None
        locale = (owner.locale if owner else None) or m.locale
        replies = self._renderer.render([linked.reply], locale, html=m.html)
        resumed = False
        if owner is not None:
            if m.channel in PUSH_CHANNELS:
                await m.uow.notifications.requeue_waiting(owner.id)
            stored = await m.uow.sessions.load(owner.id, self._turns.current_flow(owner))
            session = Session.from_dict(stored) if stored else None
            if session is not None and not session.final and session.state != "new":
                more = TurnOutput()
                as_owner = replace(m, resident=owner, event=ev.Command("start"), document=None,
                                   locale=owner.locale or m.locale_hint or self._default_locale)
                await self._turns.run(as_owner, more, outbox=False)
                replies += more.replies
                discarded += more.discarded
                resumed = True
        return Answered(replies, live=resumed, resident_id=(owner or m.resident).id, discarded=tuple(discarded))

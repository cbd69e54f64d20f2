"""A registered volunteer's side of the chat: their home instead of the intake, and their pings and
tasks answered by a typed word anywhere (``bot/volunteer_home.py``)."""

from __future__ import annotations

from backend.volunteers.home import home_of
from bot.channels import PUSH_CHANNELS
from bot.outbound import Outbound
from bot.runner.context import Answered, Message
from bot.runner.handlers.buttons import NotificationButtons
from bot.runner.rendering import Renderer
from bot.runner.turn import DEEP_LINKS, Turns
from bot.services import Services
from bot.volunteer_home import at_home, choice_words, home_reply, numbered_action, typed_choice, word_action
from flows import events as ev

# Commands that show the home to a volunteer who is at home (others are answered as ever).
HOME_COMMANDS = frozenset({"start", "cancel", "home", "help"})


class PingWords:
    """A typed word that answers a volunteer's one ping or task ("接受", "签到"), wherever they are
    (tried before a resident's words about their open case, which would otherwise take it)."""

    def __init__(self, services: Services, buttons: NotificationButtons) -> None:
        self._backend = services.backend
        self._buttons = buttons
        self._words = choice_words(services.translations)

    async def __call__(self, m: Message) -> Answered | None:
        typed = typed_choice(m.event.text, self._words) if isinstance(m.event, ev.Text) else None
        if typed is None or m.resident.volunteer is False:
            return None
        volunteer = await m.uow.volunteers.by_resident(m.resident.id)
        if volunteer is None:
            return None
        worded = word_action(typed, await home_of(m.uow, self._backend.ledger, volunteer, now=m.now))
        return await self._buttons.answer(m, worded) if worded is not None else None


class VolunteerHomeHandler:
    """A registered volunteer who is in no application sees their home (a number answers its buttons)."""

    def __init__(self, services: Services, turns: Turns, renderer: Renderer, buttons: NotificationButtons) -> None:
        self._backend = services.backend
        self._turns = turns
        self._renderer = renderer
        self._buttons = buttons

    async def __call__(self, m: Message) -> Answered | None:
        if m.resident.volunteer is False or m.document is not None:  # known at the turn's start: no query
            return None
        volunteer = await m.uow.volunteers.by_resident(m.resident.id)
        if volunteer is None:
            return None
        if not await at_home(m.uow, m.resident.id, m.resident.active_flow, self._turns.flow):
            return None
        if isinstance(m.event, ev.Command) and (
            m.event.name.lower() not in HOME_COMMANDS or m.event.arg.strip() in DEEP_LINKS
        ):
            return None
        if m.resident.active_flow is not None:
            # The application they made from their home is over: their messages are the home's again.
            await m.uow.residents.set_active_flow(m.resident.id, None)
        home = await home_of(m.uow, self._backend.ledger, volunteer, now=m.now)
        reply = home_reply(home, self._backend.volunteering)
        if isinstance(m.event, ev.Text):
            numbered = numbered_action(m.event.text, reply)
            if numbered is not None:
                return await self._buttons.answer(m, numbered)
        notices = await self._waiting(m, {t.id for t in home.pings})
        return Answered(notices + self._renderer.render([reply], m.locale, html=m.html), live=True)

    async def _waiting(self, m: Message, listed: set[int]) -> list[Outbound]:
        """What waited for a volunteer on a channel that cannot push, above their home; a ping the
        home lists is not shown twice."""
        if m.channel in PUSH_CHANNELS or m.resident.notices_waiting is False:
            return []
        shown = []
        for notice in await m.uow.notifications.waiting(m.resident.id):
            if not (notice.kind == "task_offer" and notice.params.get("task_id") in listed):
                shown.append(self._renderer.notice(notice, m.locale, html=m.html))
            await m.uow.notifications.mark(notice.id, status="shown", at=m.now)
        return shown

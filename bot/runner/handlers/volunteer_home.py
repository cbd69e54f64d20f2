"""A registered volunteer's side of the chat: their home instead of the intake, and their pings and
tasks answered by a typed word anywhere (``bot/volunteer_home.py``)."""

from __future__ import annotations

from backend.ports import UnitOfWork
from backend.volunteers.home import Home, home_of
from backend.volunteers.ports import Volunteer
from bot.runner.context import Answered, Message
from bot.runner.handlers.buttons import NotificationButtons
from bot.runner.rendering import Renderer
from bot.runner.turn import DEEP_LINKS, Turns
from bot.services import Services
from bot.volunteer_home import choice_words, home_reply, numbered_action, word_action
from flows import events as ev
from flows.session import Session

# Commands that show the home to a volunteer who is at home (others are answered as ever).
HOME_COMMANDS = frozenset({"start", "cancel", "home", "help"})
# Intake answers given before any application really began.
_NOT_YET_APPLYING = frozenset({"language", "consent"})


class VolunteerHomeHandler:
    def __init__(self, services: Services, turns: Turns, renderer: Renderer, buttons: NotificationButtons) -> None:
        self._backend = services.backend
        self._turns = turns
        self._renderer = renderer
        self._buttons = buttons
        self._words = choice_words(services.translations)

    async def __call__(self, m: Message) -> Answered | None:
        volunteer = await m.uow.volunteers.by_resident(m.resident.id)
        if volunteer is None or m.document is not None:
            return None
        home: Home | None = None
        if isinstance(m.event, ev.Text):
            home = await self._home(m, volunteer)
            action = word_action(m.event.text, home, self._words)
            if action is not None:
                return await self._buttons.answer(m, action)
        if not await at_home(m.uow, m.resident.id, m.resident.active_flow, self._turns.flow):
            return None
        if isinstance(m.event, ev.Command) and (
            m.event.name.lower() not in HOME_COMMANDS or m.event.arg.strip() in DEEP_LINKS
        ):
            return None
        if m.resident.active_flow is not None:
            # The application they made from their home is over: their messages are the home's again.
            await m.uow.residents.set_active_flow(m.resident.id, None)
        reply = home_reply(home or await self._home(m, volunteer), self._backend.volunteering)
        if isinstance(m.event, ev.Text):
            action = numbered_action(m.event.text, reply)
            if action is not None:
                return await self._buttons.answer(m, action)
        return Answered(self._renderer.render([reply], m.locale, html=m.html), live=True)

    async def _home(self, m: Message, volunteer: Volunteer) -> Home:
        return await home_of(m.uow, self._backend.ledger, volunteer, now=m.now)


async def at_home(uow: UnitOfWork, resident_id: str, active_flow: str | None, intake: str) -> bool:
    """Whether a volunteer's message goes to their home: they are in no other flow, and no
    application of theirs is under way (one they began before registering, or from the home)."""
    if active_flow is not None and active_flow != intake:
        return False
    stored = await uow.sessions.load(resident_id, intake)
    session = Session.from_dict(stored) if stored else None
    if session is None or session.final or session.state == "new":
        return True
    # Chose to apply from the home: the intake has them until the application is over.
    return active_flow is None and not set(session.answers) - _NOT_YET_APPLYING

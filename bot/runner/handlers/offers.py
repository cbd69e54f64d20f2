"""``/offers`` (without ``on`` or ``off``) and the button under the offers' digest and status
updates: the resident's open offers in one message, each to accept or decline, answered on the
side (the question the resident is at stays live).

The list is read when asked, so an offer accepted, declined or expired is not on it; its
buttons are notification buttons (``NotificationButtons`` answers them, checking the offer is
the resident's), so they work in every channel and stay valid on their own message.
"""

from __future__ import annotations

from datetime import datetime

from backend.buttons import AnswerOffer
from backend.cases.offers import open_offers
from backend.policy.projects import Project
from backend.ports import UnitOfWork
from bot import callbacks
from bot.runner.context import Answered, Message
from bot.runner.rendering import Renderer
from flows import events as ev
from flows.intents import Option, Reply

COMMAND = "offers"
# What ``/offers`` may be followed by to list (the rest is flows/commands.py's: on, off, usage).
LIST_ARGUMENTS = frozenset({"", "list"})


async def open_offers_reply(uow: UnitOfWork, projects: tuple[Project, ...], *, resident_id: str,
                            now: datetime) -> Reply:
    """The open offers in one message, numbered, with an Accept and a Not now per offer."""
    listed = await open_offers(uow, projects, resident_id=resident_id, now=now)
    if not listed:
        return Reply("offers.none")
    options: list[Option] = []
    for number, (offer, _) in enumerate(listed, start=1):
        options.append(Option(callbacks.encode(AnswerOffer(offer.id, True)), "offers.accept_numbered", {"n": number}))
        options.append(Option(callbacks.encode(AnswerOffer(offer.id, False)), "offers.decline_numbered",
                              {"n": number}))
    return Reply("offers.list", {"offers": [item for _, item in listed]}, options=tuple(options))


class OfferList:
    def __init__(self, projects: tuple[Project, ...], renderer: Renderer) -> None:
        self._projects = projects
        self._renderer = renderer

    async def __call__(self, m: Message) -> Answered | None:
        event = m.event
        if not (isinstance(event, ev.Command) and event.name.lower() == COMMAND
                and event.arg.strip().lower() in LIST_ARGUMENTS):
            return None
        said = await open_offers_reply(m.uow, self._projects, resident_id=m.resident.id, now=m.now)
        return Answered(self._renderer.render([said], m.locale, html=m.html), live=False)

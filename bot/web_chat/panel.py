"""The status panel above the conversation: the resident's applications and their status, what is
waiting for them (a caseworker's request for documents or information, with a button to answer
it) and their open offers. Read from the same services ``/status`` and ``/offers`` use, so the
panel and the chat never disagree; it never scrolls away under newer messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.buttons import AnswerOffer, ReplyNow
from backend.cases.lifecycle import CaseStatus
from backend.cases.offers import OfferItem, open_offers
from backend.cases.thread import AuthorRole
from bot import callbacks
from bot.runner import Conversations

CHANNEL = "web"
# How much of a caseworker's request the panel quotes (the whole of it is in the conversation).
QUOTED = 200


@dataclass(frozen=True, slots=True)
class OpenOffer:
    """An open offer on the page's panel: what the message ``offers.item`` says of it, and the
    values its Accept and Not now buttons post (``offer``)."""

    id: int
    item: OfferItem
    accept: str
    decline: str


@dataclass(frozen=True, slots=True)
class Application:
    """One of the resident's applications; ``asked`` is the caseworker's request when one waits
    for them, and ``reply`` the value of the button that answers it."""

    number: str
    status: str
    submitted_at: datetime
    asked: str | None = None
    reply: str | None = None


@dataclass(frozen=True, slots=True)
class Panel:
    applications: tuple[Application, ...] = ()
    offers: tuple[OpenOffer, ...] = ()

    @property
    def waiting(self) -> int:
        """How many things wait for the resident: requests to answer and offers to answer."""
        return sum(1 for a in self.applications if a.reply) + len(self.offers)

    def __bool__(self) -> bool:
        return bool(self.applications or self.offers)


async def panel_of(conversations: Conversations, web_id: str) -> Panel:
    """The panel of the browser's resident (empty for a browser nobody has written from)."""
    backend = conversations.services.backend
    async with conversations.database.unit_of_work() as uow:
        resident = await uow.residents.find(CHANNEL, web_id)
        if resident is None:
            return Panel()
        listed = await uow.applications.list_for_resident(resident.id)
        applications = []
        for application in listed:
            asked = reply = None
            if str(application.status) == CaseStatus.INFO_REQUESTED.value:
                entries = await backend.cases.resident_view(uow, resident.id, application.number, limit=5)
                requests = [e.body for e in entries if e.author_role is AuthorRole.STAFF and e.body]
                asked = _quoted(requests[-1]) if requests else ""
                reply = callbacks.encode(ReplyNow(application.number))
            applications.append(Application(application.number, str(application.status), application.submitted_at,
                                            asked, reply))
        offers = await open_offers(uow, backend.projects, resident_id=resident.id, now=conversations.clock())
    return Panel(
        tuple(applications),
        tuple(OpenOffer(offer.id, item, callbacks.encode(AnswerOffer(offer.id, True)),
                        callbacks.encode(AnswerOffer(offer.id, False))) for offer, item in offers),
    )


def _quoted(text: str) -> str:
    return text if len(text) <= QUOTED else text[:QUOTED] + "…"

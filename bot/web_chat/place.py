"""Where a resident is in their conversation: the live question, as a token a page's forms carry.

The token names the flow, the session's state (a question's id), the member it is about and the
session's turn counter. A page drawn before the last turn carries another token than the live
one, so text typed there is never taken as the answer to a different question (the browser's
Back button, an old tab): it is held for the resident to confirm (``bot.web_chat.held``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.ports import Store, UnitOfWork
from bot.runner import Conversations
from flows.session import FINAL_STATES, SessionState
from locales import Messages

CHANNEL = "web"
# Away this long since their last message, a resident is welcomed back and told where they were.
AWAY = timedelta(minutes=30)
# What the page calls a state that is no question.
STATE_LABELS = {SessionState.SUMMARY.value: "webchat.place.summary"}


@dataclass(frozen=True, slots=True)
class Place:
    """The live question of a browser's resident (``state`` is empty when there is no conversation)."""

    flow: str = ""
    state: str = ""
    cursor: int = 0
    turns: int = 0

    @property
    def token(self) -> str:
        return f"{self.flow}:{self.state}:{self.cursor}:{self.turns}" if self.state else ""

    @property
    def asking(self) -> bool:
        """A question or a menu is waiting for an answer (not before the start, nor after the end)."""
        return bool(self.state) and self.state != SessionState.NEW.value and self.state not in FINAL_STATES


async def place_of(conversations: Conversations, web_id: str) -> Place:
    """The browser's resident's live question now."""
    database: Store[UnitOfWork] = conversations.database
    async with database.unit_of_work() as uow:
        resident = await uow.residents.find(CHANNEL, web_id)
        if resident is None:
            return Place()
        flow = conversations.turns.current_flow(resident)
        stored = await uow.sessions.load(resident.id, flow)
    if not stored:
        return Place()
    cursor, turns = stored.get("cursor", 0), stored.get("turns", 0)
    return Place(flow, str(stored.get("state", "")), cursor if isinstance(cursor, int) else 0,
                 turns if isinstance(turns, int) else 0)


def question_label(place: Place, messages: Messages) -> str:
    """The question's short name (as the summary lists it: 困难类型), or a plain word for where they are."""
    key = STATE_LABELS.get(place.state) or f"{place.flow}.{place.state}.label"
    if place.asking and messages.has(key):
        return messages.render(key)
    return messages.render("webchat.place.current")


def returning(last_said_at: datetime | None, now: datetime) -> bool:
    """Whether the page greets a resident coming back (as opposed to one in the middle of answering)."""
    return last_said_at is not None and now - last_said_at >= AWAY

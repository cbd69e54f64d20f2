"""A resident's words after submitting, while their case is open: they go on the case's thread,
the assignee is told, and the resident hears who will read them and when to expect an answer,
with a new application and a person one tap away (and, when the office asked a question, how to
answer it with documents).

Crisis words are left to the turn proper, which escalates at once; so are commands, buttons and
files (a document sent after submitting joins the application there).
"""

from __future__ import annotations

from backend.cases.assignee_ping import ping_assignee
from backend.cases.ports import Case
from backend.cases.service import MAX_MESSAGE, CaseService
from backend.cases.thread import applicant_name
from backend.status import OPEN, CaseStatus
from bot.desk import EscalationDesk
from bot.runner.context import Answered, Message
from bot.runner.rendering import Renderer
from bot.runner.replies import waiting_notices
from bot.runner.turn import Turns
from flows import events as ev
from flows.buttons import HUMAN, NEW_APPLICATION
from flows.crisis import mentions_crisis
from flows.intents import Option, Reply
from flows.session import Session, SessionState

# Start another application, or ask for a person: offered under every acknowledgement.
CHOICES = (Option(NEW_APPLICATION, "thread.new_application"), Option(HUMAN, "common.human"))


class CaseWords:
    def __init__(self, cases: CaseService, turns: Turns, renderer: Renderer, desk: EscalationDesk) -> None:
        self._cases = cases
        self._turns = turns
        self._renderer = renderer
        self._desk = desk

    async def __call__(self, m: Message) -> Answered | None:
        if not isinstance(m.event, ev.Text) or self._turns.current_flow(m.resident) != self._turns.flow:
            return None
        text = m.event.text.strip()
        if not text or mentions_crisis(text, self._turns.engine.settings.crisis_words):
            return None
        stored = await m.uow.sessions.load(m.resident.id, self._turns.flow)
        session = Session.from_dict(stored) if stored else None
        # In the middle of an application (or at its end, cancelled or declined), text is for the flow.
        if session is not None and session.state != SessionState.SUBMITTED:
            return None
        case = await self._open_case(m, session.number if session else None)
        if case is None:
            return None
        locale = (session.locale if session else None) or m.locale
        if len(text) > MAX_MESSAGE:
            said = Reply("thread.too_long", {"max": MAX_MESSAGE}, options=CHOICES)
        else:
            written = await self._cases.resident_wrote(m.uow, m.resident.id, case.number, text, [], now=m.now)
            if written is None:
                return None
            await ping_assignee(m.uow, written.assignee, number=case.number, applicant=applicant_name(case),
                                messages=self._desk.messages, html=True, now=m.now)
            caseworker = written.assignee.display_name if written.assignee else ""
            # With a question waiting, the words are kept all the same; the answer with its photos
            # goes through the request's "reply now" button, which the resident is pointed to.
            said = Reply("thread.received", {"number": case.number, "caseworker": caseworker,
                                             "days": written.response_days,
                                             "asked": case.status is CaseStatus.INFO_REQUESTED}, options=CHOICES)
        replies = await waiting_notices(m.uow, self._renderer, m.resident.id, m.channel, locale, m.html, m.now,
                                        any_waiting=m.resident.notices_waiting)
        return Answered(replies + self._renderer.render([said], locale, html=m.html))

    async def _open_case(self, m: Message, submitted: str | None) -> Case | None:
        """The case the words are about: the one the conversation submitted while it is open, else
        the resident's newest open one (an application the office or an integration filed)."""
        numbers = [a.number for a in await m.uow.applications.list_for_resident(m.resident.id)
                   if CaseStatus(a.status) in OPEN]
        if not numbers:
            return None
        return await m.uow.cases.get(submitted if submitted in numbers else numbers[0])

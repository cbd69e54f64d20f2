"""The conversation engine: (session, event, now) -> (session, intents). Pure and deterministic.

Where a resident goes next is worked out from the answers: the next question that
applies (or, after an edit, the first one whose answer is missing). The flow's machine
checks every move against the edges the flow declares.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flows import events as ev
from flows.answers import confirm_key, on_answer
from flows.buttons import HUMAN, NEW_APPLICATION
from flows.commands import on_command
from flows.crisis import mentions_crisis
from flows.flow import Ask, Flow, FlowContext, Kind, Loop, Question, Role, Settings
from flows.intents import AttachDocuments, DiscardData, Intent
from flows.machine import build_machine
from flows.menus import MENUS
from flows.prompts import reask, start
from flows.results import RESULTS, on_result
from flows.session import Session, SessionState
from flows.timers import expire, expired, on_tick, schedule
from flows.turn import Turn

# The locales the engine speaks; the first is the default.
LOCALES = ("zh_CN", "en")


@dataclass(frozen=True, slots=True)
class Position:
    state: str
    cursor: int
    question: Question
    member: dict[str, object] | None


class Engine:
    """Runs one flow. Build once; ``step`` is safe to call for any number of sessions.

    The engine knows no flow: what a question means beyond its answer is declared on the
    flow (a question's ``role`` and ``on_answer``, a loop's ``size``).
    """

    def __init__(self, flow: Flow, context: FlowContext, settings: Settings | None = None) -> None:
        self.flow = flow
        self.context = context
        self.settings = settings or Settings()
        self.machine = build_machine(flow)
        self.questions = flow.questions()
        self.loop = flow.loop()
        # Where the locale is kept among the answers, when the flow asks for it.
        self.language_state: str | None = next(iter(flow.states_with(Role.LANGUAGE)), None)
        self.default_locale = LOCALES[0]

    # ------------------------------------------------------------------ entry points

    def new_session(
        self,
        now: datetime,
        locale_hint: str | None = None,
        answers: Mapping[str, object] | None = None,
        *,
        members: Sequence[Mapping[str, object]] = (),
        confirm: bool = False,
    ) -> Session:
        """A fresh session; a language the channel already knows is taken as answered.

        Args:
            now: when the session starts.
            locale_hint: the language the channel knows the resident speaks, if any.
            answers: what whoever starts the flow already knows (the flow's ``given``).
            members: with ``answers``, a pre-filled household.
            confirm: ``answers`` and ``members`` are a pre-filled application: the resident is
                asked each of those questions in turn with its value offered, and only checks
                it (or corrects it) before the summary.
        """
        locale = locale_hint if locale_hint in LOCALES else None
        answers = dict(answers or {})
        if locale and self.language_state:
            answers[self.language_state] = locale
        stamp = now.isoformat()
        session = Session(
            flow=self.flow.name,
            version=self.flow.version,
            locale=locale,
            answers=answers,
            members=[dict(m) for m in members],
            started_at=stamp,
            last_active_at=stamp,
        )
        if confirm:
            session.to_confirm = [
                confirm_key(pos.state, pos.cursor)
                for pos in self.positions(session, now.date())
                if pos.question.role is not Role.LANGUAGE
                and pos.question.id in (pos.member if pos.member is not None else answers)
            ]
        return session

    def step(self, session: Session, event: ev.Event, now: datetime) -> tuple[Session, list[Intent]]:
        """Apply one event to a session. The input session is left untouched."""
        turn = Turn(self, self.restore(session), now)
        _handle(turn, event)
        return turn.session, turn.out

    def restore(self, stored: Session) -> Session:
        """A working copy, migrated to the current flow version when it was stored by an older one."""
        session = stored.copy()
        if session.version == self.flow.version or session.state == SessionState.NEW or session.final:
            session.version = self.flow.version
            return session
        for old in sorted(v for v in self.flow.migrations if v >= session.version):
            session.answers = self.flow.migrations[old](session.answers)
        known = {q.id for q in self.flow.items if isinstance(q, Question)} | {"consent_at", *self.flow.given}
        session.answers = {k: v for k, v in session.answers.items() if k in known}
        if self.loop:
            keys = {q.id for q in self.loop.questions}
            session.members = [{k: v for k, v in m.items() if k in keys} for m in session.members]
        session.version = self.flow.version
        session.selection, session.resume, session.invalid, session.pending = None, None, 0, None
        # Resume at the first question whose answer is missing (a jump, not a move: the
        # old state may not exist in this version of the flow).
        missing = self.first_missing(session, now=None)
        session.state, session.cursor = (missing.state, missing.cursor) if missing else (SessionState.SUMMARY.value, 0)
        return session

    # ------------------------------------------------------------------ questions in order

    def ask_for(self, session: Session, today: date, member: dict[str, object] | None = None, index: int = 0) -> Ask:
        return Ask(session.answers, session.members, member, index, today, self.settings, self.context)

    def positions(self, session: Session, today: date) -> Iterator[Position]:
        """Every question that applies, in asking order (member questions once per member)."""
        household = self.ask_for(session, today)
        for item in self.flow.items:
            if isinstance(item, Loop):
                for i, member in enumerate(session.members[: item.count(session.answers)]):
                    ask = self.ask_for(session, today, member, i)
                    for q in item.questions:
                        if q.when is None or q.when(ask):
                            yield Position(f"{item.id}.{q.id}", i, q, member)
            elif item.when is None or item.when(household):
                yield Position(item.id, 0, item, None)

    def first_missing(self, session: Session, now: datetime | None) -> Position | None:
        """The first question that applies and has no answer yet (or one still to be confirmed)."""
        today = (now or datetime.fromisoformat(session.last_active_at or session.started_at)).date()
        unconfirmed = set(session.to_confirm)
        for pos in self.positions(session, today):
            store = pos.member if pos.member is not None else session.answers
            # The key is built only when something awaits confirmation: this runs on every turn.
            if pos.question.id not in store or (unconfirmed and confirm_key(pos.state, pos.cursor) in unconfirmed):
                return pos
        return None

    def previous(self, session: Session, today: date) -> Position | None:
        """The question asked just before the current one (the last one, from the summary)."""
        before: Position | None = None
        for pos in self.positions(session, today):
            if pos.state == session.state and pos.cursor == session.cursor:
                return before
            before = pos
        return before if session.state == SessionState.SUMMARY else None


def _handle(turn: Turn, event: ev.Event) -> None:
    """Send an event to the concern that deals with it, then say when the reminder is due."""
    if isinstance(event, ev.Tick):
        on_tick(turn)
        return
    if isinstance(event, RESULTS):
        on_result(turn, event)
        schedule(turn)
        return
    if expired(turn):
        expire(turn)
        turn.restart()
    session = turn.session
    session.last_active_at = turn.now.isoformat()
    session.reminded = False
    session.turns += 1
    if isinstance(event, ev.Text) and mentions_crisis(event.text, turn.settings.crisis_words):
        # Someone in danger gets a person at once, whatever else the message is; the
        # conversation still takes it as an answer below.
        turn.request_human("crisis_words")
        turn.say("human.crisis")
    if isinstance(event, ev.Command):
        on_command(turn, event)
    elif isinstance(event, ev.FileUpload) and session.state == SessionState.SUBMITTED and session.number:
        # "Can be added later": a document sent after submitting joins the application.
        turn.out.append(AttachDocuments(session.number, (event.document_id,)))
        turn.say("documents.attached", filename=event.filename, number=session.number)
    elif isinstance(event, ev.FileUpload) and not turn.consented():
        # Nothing is kept before the resident has agreed to what is collected and why.
        turn.out.append(DiscardData((event.document_id,)))
        turn.say("documents.before_consent")
        reask(turn)
    elif session.final:
        _on_final(turn, event)
    elif isinstance(event, ev.Unsupported):
        turn.say("error.unsupported", kind=event.kind)
        reask(turn)
    elif isinstance(event, ev.Text) and len(event.text) > turn.settings.max_text:
        turn.say("error.text.too_long", max=turn.settings.max_text)
        reask(turn)
    elif session.state == SessionState.NEW:
        if isinstance(event, ev.FileUpload):
            # Only a flow consented to before gets here with a file: keep it, not lose it.
            turn.keep_document(event)
            turn.say("documents.kept_early", filename=event.filename)
        start(turn)
    elif isinstance(event, ev.FileUpload) and turn.question_kind() is not Kind.FILES:
        turn.keep_document(event)
        turn.say("documents.kept_early", filename=event.filename)
        reask(turn)
    elif session.state in MENUS:
        MENUS[session.state](turn, event)
    else:
        on_answer(turn, event)
    schedule(turn)


def _on_final(turn: Turn, event: ev.Event) -> None:
    """A message after the flow ended: the receipt again, or a new start; after a submission the
    buttons offered with it ask for a person or start another application."""
    if turn.session.state == SessionState.SUBMITTED and isinstance(event, ev.Choice):
        if event.value == HUMAN:
            turn.request_human("resident_request")
            turn.say("human.recorded")
            return
        if event.value == NEW_APPLICATION:
            turn.restart()
            start(turn)
            return
    if turn.session.state == SessionState.SUBMITTED:
        turn.say("final.submitted", number=turn.session.number)
        return
    turn.restart()
    start(turn)

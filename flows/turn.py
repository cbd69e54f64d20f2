"""One event applied to one session: the working copy, the intents so far, and the moves every concern uses.

The concerns (answers, menus, commands, timers, results of effects) are functions over a
``Turn`` in modules of their own; ``flows.engine`` picks which one an event goes to.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flows import events as ev
from flows.flow import Ask, Kind, Question, Settings
from flows.intents import Intent, Option, Reply, RequestHuman
from flows.machine import fire
from flows.session import Session

if TYPE_CHECKING:
    from flows.engine import Engine


class Turn:
    """The session being changed by one event, and the intents it gives; an ``AnswerContext``."""

    def __init__(self, engine: Engine, session: Session, now: datetime) -> None:
        self.engine = engine
        self.session = session
        self.now = now
        self.today = now.date()
        self.out: list[Intent] = []
        self.settings: Settings = engine.settings

    @property
    def flow_name(self) -> str:
        return self.engine.flow.name

    # Positional-only, so that a message parameter may have any name.
    def say(self, key: str, options: tuple[Option, ...] = (), /, **params: object) -> None:
        self.out.append(Reply(key, params, options))

    def request_human(self, reason: str) -> None:
        self.out.append(RequestHuman(reason, self.session.state))

    def fire(self, trigger: str, target: str) -> None:
        """Move along a declared edge of the flow's machine (a move it does not declare raises)."""
        fire(self.engine.machine, self.session, trigger, target)

    def consented(self) -> bool:
        return self.engine.flow.consented_before or "consent_at" in self.session.answers

    def given(self) -> dict[str, object]:
        """The answers the flow was started with (those it has)."""
        answers = self.session.answers
        return {key: answers[key] for key in self.engine.flow.given if key in answers}

    def given_params(self) -> dict[str, object]:
        """The same as message parameters: every one named, ``None`` when missing."""
        return dict.fromkeys(self.engine.flow.given) | self.given()

    # ------------------------------------------------------------------ the current question

    def question(self) -> Question | None:
        return self.engine.questions.get(self.session.state)

    def question_kind(self) -> Kind | None:
        question = self.question()
        return question.kind if question else None

    def in_loop(self) -> bool:
        loop = self.engine.loop
        return loop is not None and self.session.state.startswith(loop.id + ".")

    def member(self) -> dict[str, object] | None:
        """The member a member question is about (``None`` for a household question)."""
        return self.session.members[self.session.cursor] if self.in_loop() else None

    def ask(self) -> Ask:
        return self.engine.ask_for(self.session, self.today, self.member(), self.session.cursor)

    def store(self) -> dict[str, Any]:
        """Where the current question's answer goes: the member's answers, or the household's."""
        member = self.member()
        return member if member is not None else self.session.answers

    def keep_document(self, event: ev.FileUpload) -> None:
        if event.document_id not in self.session.documents:
            self.session.documents.append(event.document_id)

    # ------------------------------------------------------------------ starting over

    def restart(self) -> None:
        """Start over with a new session in the same language."""
        fresh = self.engine.new_session(self.now, self.session.locale, self.given())
        fresh.turns = self.session.turns
        self.session = fresh

    def wipe(self) -> None:
        """Forget the answers: they live on in the stored application, or are not to be kept.

        What the flow was started with stays: it is not the resident's answer but what the
        flow is about, and a restart needs it. So does the language.
        """
        session = self.session
        language = self.engine.language_state
        session.answers = self.given() | ({language: session.locale} if session.locale and language else {})
        session.members, session.documents, session.selection, session.resume = [], [], None, None
        session.to_confirm, session.cursor, session.invalid, session.pending = [], 0, 0, None

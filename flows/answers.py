"""Answering the current question: reading the value an event gives, storing it, and moving on."""

from __future__ import annotations

from typing import Any

from flows import confirmation
from flows import events as ev
from flows.buttons import DONE, HUMAN, KEEP, SKIP
from flows.flow import DECLINE, Ask, Kind, Question, Role
from flows.intents import DiscardData, LookupOpenApplication, Option, SetLocale
from flows.machine import has_edge
from flows.parsing import ParseError, parse_free_text
from flows.prompts import options_of, prompt, reask, return_from_detour, show_summary
from flows.session import SessionState
from flows.turn import Turn


class _Marker:
    """A value no answer can be (answers are plain data)."""


# Not an answer yet: a multiple choice goes on, or a document came in.
PENDING = _Marker()
# Not an answer: the resident was told why and asked again.
INVALID = _Marker()
_MISSING = _Marker()


def confirm_key(state: str, cursor: int) -> str:
    """How a pre-filled answer still to be confirmed is named in ``Session.to_confirm``."""
    return f"{state}@{cursor}"


def on_answer(turn: Turn, event: ev.Event) -> None:
    question = turn.question()
    assert question is not None
    settled = confirmation.settle(turn, event)
    if settled is not None:
        _on_settled(turn, question, settled)
        return
    value = value_of(turn, question, event)
    if isinstance(value, confirmation.Tentative):
        confirmation.propose(turn, value)
    elif not isinstance(value, _Marker):
        accept(turn, question, value)


def _on_settled(turn: Turn, question: Question, settled: confirmation.Settled) -> None:
    """A proposed answer confirmed (recorded), refused (the question again), or a stale press."""
    if settled.outcome == confirmation.ACCEPT:
        accept(turn, question, settled.value)
    elif settled.outcome == confirmation.RETYPE:
        prompt(turn)
    else:
        turn.say("channel.button_expired")
        reask(turn)


def value_of(turn: Turn, question: Question, event: ev.Event) -> object:
    """The answer an event gives, ``PENDING`` while a multiple choice goes on, or ``INVALID``."""
    ask = turn.ask()
    chosen = event.value if isinstance(event, ev.Choice) else None
    text = event.text.strip() if isinstance(event, ev.Text) else None
    if chosen == KEEP or (text is not None and text.lower() == KEEP):
        current = turn.store().get(question.id)
        if current is not None:
            return current
    if chosen == HUMAN:
        turn.request_human("resident_request")
        turn.say("human.recorded")
        prompt(turn)
        return PENDING
    if chosen == SKIP and question.optional:
        return None
    if question.kind is Kind.CHOICE:
        pick = chosen if chosen is not None else text
        if pick in options_of(question, ask):
            return pick
        return invalid(turn, question, "choice.invalid")
    if question.kind is Kind.TEXT:
        raw = chosen if chosen is not None else text
        if raw is None:
            return invalid(turn, question, "text.expected")
        try:
            return question.parse(raw, ask) if question.parse else raw
        except ParseError as error:
            return invalid(turn, question, error.code, **error.params)
    if question.kind is Kind.MULTI:
        return _multi(turn, question, ask, chosen, text)
    if question.kind is Kind.FILES:
        if isinstance(event, ev.FileUpload):
            turn.keep_document(event)
            turn.say("documents.received", filename=event.filename, count=len(turn.session.documents))
            prompt(turn)
            return PENDING
        if chosen in (DONE, SKIP) or (text or "").lower() in ("done", "skip"):
            return list(turn.session.documents)
        return invalid(turn, question, "files.expected")
    raise AssertionError(question.kind)


def _multi(turn: Turn, question: Question, ask: Ask, chosen: str | None, text: str | None) -> object:
    session = turn.session
    options = options_of(question, ask)
    if chosen is None and text in options:
        chosen, text = text, None  # an option typed rather than tapped
    if session.selection is None:
        stored = turn.store().get(question.id)
        session.selection = list(stored or (question.preselect(ask) if question.preselect else ()))
    selection = session.selection
    if chosen == DONE or (text is not None and text.lower() == DONE):
        if not selection and not question.exclusive:
            return invalid(turn, question, "multi.empty")
        return list(selection)
    if chosen is not None and chosen == question.exclusive:
        return []
    if chosen in options:
        selection.remove(chosen) if chosen in selection else selection.append(chosen)
        prompt(turn)
        return PENDING
    if text is not None and question.text_answers:
        try:
            turn.store()[question.text_answers] = parse_free_text(text, max_length=turn.settings.max_text)
        except ParseError as error:
            return invalid(turn, question, error.code, **error.params)
        return list(selection) or list(question.typed_default)
    if text is not None and question.parse is not None:
        # Typed text answers the question in one go (the flow says how).
        try:
            return question.parse(text, ask)
        except ParseError as error:
            return invalid(turn, question, error.code, **error.params)
    return invalid(turn, question, "choice.invalid")


def invalid(turn: Turn, question: Question, code: str, **params: object) -> _Marker:
    """Say why the answer is not taken and ask again; after a few, offer a person (and a skip)."""
    session = turn.session
    session.invalid += 1
    turn.say(f"error.{code}", **params)
    extra: tuple[Option, ...] = ()
    if session.invalid >= turn.settings.max_invalid:
        if session.invalid == turn.settings.max_invalid:
            turn.request_human("invalid_answers")
        turn.say("help.offer", optional=question.optional)
        extra = (Option(HUMAN, "common.human"),)
        if question.optional:
            extra += (Option(SKIP, "common.skip"),)
    prompt(turn, extra)
    return INVALID


def accept(turn: Turn, question: Question, value: object) -> None:
    """Store an answer, clear what depends on it when it changed, and move on."""
    session = turn.session
    if session.to_confirm:
        key = confirm_key(session.state, session.cursor)
        session.to_confirm = [k for k in session.to_confirm if k != key]
    store = turn.store()
    changed = store.get(question.id, _MISSING) != value
    store[question.id] = value
    if question.fills is not None:
        filled = question.fills(value)
        store.update(filled)
        # An answer given this way is confirmed by the tap that gave it.
        done = {confirm_key(key, session.cursor) for key in filled}
        session.to_confirm = [k for k in session.to_confirm if k not in done]
    if changed:
        for key in question.clears:
            store.pop(key, None)
        flow = turn.engine.flow
        if flow.rederive is not None:
            flow.rederive(session.answers, session.members, turn.engine.ask_for(session, turn.today))
    session.invalid = 0
    session.selection = None
    session.pending = None
    if _answered(turn, question, value):
        return
    flow = turn.engine.flow
    if session.state in flow.lookup_after:
        ids = flow.lookup_ids(value) if flow.lookup_ids else ()
        if ids:
            turn.out.append(LookupOpenApplication(ids))
            return  # the result event moves on
    advance(turn)


def _answered(turn: Turn, question: Question, value: Any) -> bool:
    """What an answer does besides being stored; true when the turn went elsewhere."""
    if question.role is Role.LANGUAGE and _language_answered(turn, value):
        return True
    if question.role is Role.CONSENT and _consent_answered(turn, value):
        return True
    loop = turn.engine.loop
    if loop is not None and turn.session.state == loop.size:
        resize_household(turn, value)
    if question.on_answer is not None:
        question.on_answer(turn, value)
    return False


def _language_answered(turn: Turn, locale: str) -> bool:
    session = turn.session
    session.locale = locale
    turn.out.append(SetLocale(locale))
    if session.resume is not None and session.resume[0] != SessionState.NEW:
        return_from_detour(turn)  # /language from the middle of the flow
        return True
    session.resume = None
    return False


def _consent_answered(turn: Turn, value: object) -> bool:
    if value != DECLINE:
        turn.session.answers["consent_at"] = turn.now.isoformat()
        return False
    turn.fire("decline", SessionState.DECLINED)
    turn.out.append(DiscardData(tuple(turn.session.documents)))
    turn.wipe()
    turn.say(f"{turn.flow_name}.declined")
    return True


def resize_household(turn: Turn, size: int) -> None:
    """As many members as the household has: the last ones dropped, or empty ones added."""
    members = turn.session.members
    del members[size:]
    members.extend({} for _ in range(size - len(members)))


def advance(turn: Turn) -> None:
    """Go on to the first question still unanswered, or to the summary.

    Usually that is the next question along the flow; after /back or an edit it may be
    further on, and the move goes through the summary (a hub) without showing it.
    """
    session = turn.session
    engine = turn.engine
    target = engine.first_missing(session, turn.now)
    state = target.state if target else SessionState.SUMMARY
    if has_edge(engine.machine, session.state, "answer", state):
        turn.fire("answer", state)
    else:
        turn.fire("review", SessionState.SUMMARY)
        if target is not None:
            turn.fire("resume", state)
    if target is None:
        show_summary(turn)
        return
    session.cursor = target.cursor
    prompt(turn)

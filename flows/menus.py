"""The menus: the summary (confirm or change), the edit menu, a member's menu, and the cancel question."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flows import events as ev
from flows.buttons import (
    ADD_MEMBER,
    BACK,
    CHANGE,
    CHANGE_PREFIX,
    CONFIRM,
    MEMBER_PREFIX,
    NO,
    QUESTION_PREFIX,
    REMOVE_MEMBER,
    YES,
)
from flows.intents import DiscardData, SubmitApplication
from flows.prompts import (
    edit_options,
    prompt,
    reask,
    return_from_detour,
    show_edit_menu,
    show_member_menu,
    show_summary,
    summary_ask,
)
from flows.session import SessionState
from flows.turn import Turn


def picked(event: ev.Event) -> str | None:
    """The option a button press or typed text names."""
    if isinstance(event, ev.Choice):
        return event.value
    if isinstance(event, ev.Text):
        return event.text.strip()
    return None


def on_summary(turn: Turn, event: ev.Event) -> None:
    session = turn.session
    pick = picked(event)
    if pick == CONFIRM:
        payload = turn.engine.flow.build(session.answers, session.members, summary_ask(turn))
        payload["submitted_at"] = turn.now.isoformat()
        payload["locale"] = session.locale or turn.engine.default_locale
        turn.out.append(SubmitApplication(payload, tuple(session.documents)))
    elif pick == CHANGE:
        turn.fire("change", SessionState.EDIT_MENU)
        show_edit_menu(turn)
    elif pick and pick.startswith(CHANGE_PREFIX) and turn.engine.flow.group_states(pick[len(CHANGE_PREFIX):]):
        session.group = pick[len(CHANGE_PREFIX):]
        turn.fire("change", SessionState.EDIT_MENU)
        options = edit_options(turn)
        if len(options) == 1 and options[0].value.startswith(QUESTION_PREFIX):
            # A part with a single answer: straight to its question, no menu of one.
            on_edit_menu(turn, ev.Choice(options[0].value))
        else:
            show_edit_menu(turn)
    elif isinstance(event, ev.FileUpload):
        turn.keep_document(event)
        show_summary(turn)
    else:
        turn.say("error.choice.invalid")
        show_summary(turn)


def on_edit_menu(turn: Turn, event: ev.Event) -> None:
    session = turn.session
    engine = turn.engine
    pick = picked(event) or ""
    index = pick.removeprefix(MEMBER_PREFIX)
    state = pick.removeprefix(QUESTION_PREFIX)
    if pick == BACK:
        turn.fire("back", SessionState.SUMMARY)
        show_summary(turn)
    elif pick.startswith(QUESTION_PREFIX) and state in engine.questions and state in session.answers:
        turn.fire("pick", state)
        session.cursor = 0
        prompt(turn)
    elif pick.startswith(MEMBER_PREFIX) and index.isdigit() and int(index) < len(session.members):
        session.cursor = int(index)
        turn.fire("pick", SessionState.MEMBER_MENU)
        show_member_menu(turn)
    elif pick == ADD_MEMBER and engine.loop and len(session.members) < turn.settings.max_members:
        session.members.append({})
        session.answers[engine.loop.size] = len(session.members)
        turn.fire("pick", SessionState.SUMMARY)
        _advance_from_summary(turn)
    else:
        turn.say("error.choice.invalid")
        show_edit_menu(turn)


def _advance_from_summary(turn: Turn) -> None:
    target = turn.engine.first_missing(turn.session, turn.now)
    if target is None:
        show_summary(turn)
        return
    turn.fire("resume", target.state)
    turn.session.cursor = target.cursor
    prompt(turn)


def on_member_menu(turn: Turn, event: ev.Event) -> None:
    session = turn.session
    engine = turn.engine
    pick = picked(event) or ""
    member = session.members[session.cursor]
    state = pick.removeprefix(QUESTION_PREFIX)
    if pick == BACK:
        turn.fire("back", SessionState.EDIT_MENU)
        show_edit_menu(turn)
    elif pick == REMOVE_MEMBER and session.cursor > 0 and engine.loop:
        session.members.pop(session.cursor)
        session.answers[engine.loop.size] = len(session.members)
        session.cursor = 0
        turn.fire("pick", SessionState.SUMMARY)
        show_summary(turn)
    elif pick.startswith(QUESTION_PREFIX) and state in engine.questions and state.partition(".")[2] in member:
        turn.fire("pick", state)
        prompt(turn)
    else:
        turn.say("error.choice.invalid")
        show_member_menu(turn)


def on_cancel_confirm(turn: Turn, event: ev.Event) -> None:
    pick = picked(event)
    if pick == YES:
        turn.fire("cancel", SessionState.CANCELLED)
        turn.out.append(DiscardData(tuple(turn.session.documents)))
        turn.wipe()
        turn.say("cancel.done")
    elif pick == NO:
        return_from_detour(turn)
    else:
        turn.say("error.choice.invalid")
        reask(turn)


MENUS: Mapping[str, Callable[[Turn, ev.Event], None]] = {
    SessionState.SUMMARY: on_summary,
    SessionState.EDIT_MENU: on_edit_menu,
    SessionState.MEMBER_MENU: on_member_menu,
    SessionState.CANCEL_CONFIRM: on_cancel_confirm,
}

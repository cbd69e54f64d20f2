"""The resident's commands: /start, /help, /human, /status, /offers, /back, /cancel, /restart, /language.

A channel may give them as buttons (查看进度, 找工作人员, 上一题, 重新开始) that it reads as these
commands; the engine's own words name no command, so that each channel says how in its own way.
"""

from __future__ import annotations

from flows import events as ev
from flows.intents import LookupStatus, SetOffers
from flows.machine import has_edge
from flows.prompts import prompt, reask, start
from flows.session import SessionState
from flows.turn import Turn


def on_command(turn: Turn, command: ev.Command) -> None:
    session = turn.session
    name = command.name.lower()
    if name == "start":
        if not _begin(turn):
            turn.say("command.welcome_back")
            reask(turn)
    elif name == "help":
        turn.say("command.help")
        reask(turn)
    elif name == "human":
        turn.request_human("resident_request")
        turn.say("human.recorded")
        reask(turn)
    elif name == "status":
        turn.out.append(LookupStatus())
    elif name == "offers":
        _offers(turn, command.arg.strip().lower())
    elif name == "restart":
        _restart(turn)
    elif session.final:
        turn.say("command.nothing_in_progress")
    elif name == "back":
        _go_back(turn)
    elif name == "cancel":
        _cancel(turn)
    elif name == "language":
        _detour_to_language(turn)
    else:
        turn.say("command.unknown", name=command.name)
        reask(turn)


def _offers(turn: Turn, choice: str) -> None:
    if choice in ("off", "on"):
        turn.out.append(SetOffers(choice == "on"))
        turn.say(f"command.offers_{choice}")
    else:
        turn.say("command.offers_usage")
    if not turn.session.final and turn.session.state != SessionState.NEW:
        reask(turn)


def _begin(turn: Turn) -> bool:
    """Begin anew when nothing is under way (never begun, or ended); whether it did."""
    session = turn.session
    if session.final:
        turn.restart()
    elif session.state != SessionState.NEW:
        return False
    start(turn)
    return True


def _restart(turn: Turn) -> None:
    """Start again: a new application once one has ended; in the middle of one, as /cancel (asking
    first, as the answers given are deleted)."""
    if not _begin(turn):
        _cancel(turn)


def _go_back(turn: Turn) -> None:
    session = turn.session
    engine = turn.engine
    asking = session.state in engine.questions or session.state == SessionState.SUMMARY
    before = engine.previous(session, turn.today) if asking else None
    if before is None or not has_edge(engine.machine, session.state, "back", before.state):
        if session.state == SessionState.EDIT_MENU:
            turn.fire("back", SessionState.SUMMARY)
        elif session.state == SessionState.MEMBER_MENU:
            turn.fire("back", SessionState.EDIT_MENU)
        else:
            turn.say("command.back_unavailable")
        reask(turn)
        return
    turn.fire("back", before.state)
    session.cursor = before.cursor
    reask(turn)


def _cancel(turn: Turn) -> None:
    session = turn.session
    if session.state == SessionState.NEW:
        turn.say("command.nothing_in_progress")
        start(turn)
        return
    if session.state != SessionState.CANCEL_CONFIRM:
        session.resume = [session.state, session.cursor]
        turn.fire("cancel", SessionState.CANCEL_CONFIRM)
    reask(turn)


def _detour_to_language(turn: Turn) -> None:
    """To the language question and, once answered, back to where the resident was."""
    session = turn.session
    language = turn.engine.language_state
    if language is None or not turn.engine.flow.starts_with_language() or session.state in (
        language,
        SessionState.CANCEL_CONFIRM,
    ):
        reask(turn)
        return
    session.resume = [session.state, session.cursor]
    turn.fire("start" if session.state == SessionState.NEW else "language", language)
    session.cursor = 0
    prompt(turn)

"""Answers recorded only once the resident confirms them in one tap ("按 800 元记录？").

A question's parser returns a ``Tentative`` when what was typed is not certain: an amount said
approximately or as a range, a yearly figure for a monthly question. The engine then asks
whether to record that value, with two buttons: yes records it and moves on, no asks the
question again; typing an answer instead answers the question afresh. The proposal is kept in
the session (``Session.pending``), so it survives a restart. Each proposal's buttons carry a
token of their own, so a press on an older proposal is refused as a stale button.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flows import events as ev
from flows.buttons import ACCEPT, RETYPE
from flows.intents import Option, Reply
from flows.session import Proposal, Session

if TYPE_CHECKING:
    from flows.turn import Turn

__all__ = ["ACCEPT", "RETYPE", "STALE", "Settled", "Tentative", "propose", "settle", "show"]

# A press of a confirmation button that is not the live proposal's.
STALE = "stale"

# Typed words that answer a proposal as its buttons do ("no" too: while a proposal is open it
# answers the proposal, not the question, where it would mean zero).
_YES_WORDS = frozenset({"是", "是的", "对", "对的", "好", "好的", "可以", "确认", "yes", "y", "ok", "okay", "correct"})
_NO_WORDS = frozenset({"不是", "不对", "不", "否", "no", "n", "wrong"})


@dataclass(frozen=True, slots=True)
class Tentative:
    """What a parser returns for an answer to confirm: the value to record, and how to ask.

    ``value`` and ``params`` are kept in the session: plain JSON-safe data only.
    """

    value: object
    key: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Settled:
    """What an event did to a proposal: ``ACCEPT`` (with the value), ``RETYPE`` or ``STALE``."""

    outcome: str
    value: object = None


def _position(session: Session) -> str:
    return f"{session.state}@{session.cursor}"


def _open(session: Session) -> Proposal | None:
    """The proposal waiting on the current question, if any."""
    pending = session.pending
    return pending if pending is not None and pending.get("at") == _position(session) else None


def propose(turn: Turn, tentative: Tentative) -> None:
    """Keep ``tentative`` in the session and ask the resident to confirm it."""
    session = turn.session
    session.pending = {
        "at": _position(session),
        # The turn number: unique to this proposal within the conversation (a restart keeps counting).
        "token": str(session.turns),
        "value": tentative.value,
        "key": tentative.key,
        "params": dict(tentative.params),
    }
    show(turn)


def show(turn: Turn) -> bool:
    """Ask again about the proposal open on the current question; false when there is none."""
    pending = _open(turn.session)
    if pending is None:
        return False
    token = pending["token"]
    options = (Option(f"{ACCEPT}:{token}", "confirm.yes"), Option(f"{RETYPE}:{token}", "confirm.no"))
    turn.out.append(Reply(pending["key"], dict(pending["params"]), options, free_text=True))
    return True


def settle(turn: Turn, event: ev.Event) -> Settled | None:
    """What ``event`` does to a proposal, or None when it answers the question (afresh).

    Any event that does not answer the proposal drops it: an answer typed instead replaces it.
    """
    session = turn.session
    pending = _open(session)
    if isinstance(event, ev.Choice):
        outcome, _, token = event.value.partition(":")
        if outcome in (ACCEPT, RETYPE):
            if pending is None or token != pending["token"]:
                return Settled(STALE)  # the live proposal, if any, stays open
            session.pending = None
            return Settled(outcome, pending["value"])
    session.pending = None
    if pending is not None and isinstance(event, ev.Text):
        word = event.text.strip().casefold()
        if word in _YES_WORDS:
            return Settled(ACCEPT, pending["value"])
        if word in _NO_WORDS:
            return Settled(RETYPE)
    return None

"""Time: the reminder after a quiet day, the expiry after a quiet month, and when each is due."""

from __future__ import annotations

from datetime import datetime

from flows.intents import DiscardData, ScheduleReminder
from flows.prompts import reask
from flows.session import SessionState
from flows.turn import Turn


def schedule(turn: Turn) -> None:
    """When the reminder and the expiry are due from now (nothing, once the flow has ended)."""
    session = turn.session
    if session.final:
        turn.out.append(ScheduleReminder(None, None))
        return
    last = datetime.fromisoformat(session.last_active_at)
    remind = None if session.reminded else (last + turn.settings.reminder_after).isoformat()
    turn.out.append(ScheduleReminder(remind, (last + turn.settings.expire_after).isoformat()))


def expired(turn: Turn) -> bool:
    session = turn.session
    if session.state == SessionState.NEW or session.final:
        return False
    last = datetime.fromisoformat(session.last_active_at)
    return turn.now - last >= turn.settings.expire_after


def expire(turn: Turn) -> None:
    turn.fire("expire", SessionState.EXPIRED)
    turn.out.append(DiscardData(tuple(turn.session.documents)))
    turn.wipe()
    turn.say(f"{turn.flow_name}.expired", days=turn.settings.expire_after.days)


def on_tick(turn: Turn) -> None:
    session = turn.session
    if session.final or session.state == SessionState.NEW:
        schedule(turn)
        return
    if expired(turn):
        expire(turn)
    elif not session.reminded:
        last = datetime.fromisoformat(session.last_active_at)
        if turn.now - last >= turn.settings.reminder_after:
            session.reminded = True
            turn.say(f"{turn.flow_name}.reminder", **turn.given_params())
            reask(turn)
    schedule(turn)

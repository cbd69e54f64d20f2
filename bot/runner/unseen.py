"""A press on the newest message the resident has been sent, while newer ones wait to be sent.

The resident sees only what was sent. While a sender is held up (a restart, a flood wait) the
question they last saw is, to them, the live one, whatever the outbox has queued since: a press on
it must not be called expired.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.ports import OutboxItem, UnitOfWork
from bot import callbacks

# How far past the pressed message to look for one the resident has been sent.
_LOOK_AHEAD = 50


@dataclass(frozen=True, slots=True)
class SeenPrompt:
    """The pressed message, the newest question the resident has been sent.

    Attributes:
        answered: a turn has answered it already (a press, or a typed answer), whose replies are
            still waiting to be sent: the press is one more tap while they wait.
    """

    item: OutboxItem
    answered: bool


async def newest_seen_prompt(uow: UnitOfWork, channel: str, external_id: str, pressed_id: int) -> SeenPrompt | None:
    """The pressed message when it is a question of the conversation that was sent to this identity
    and nothing sent after it; else None (a button that has expired indeed)."""
    pressed = await uow.outbox.get(pressed_id)
    if pressed is None or pressed.channel != channel or pressed.address != external_id or pressed.status != "sent":
        return None
    if not pressed.payload.get("buttons") or _a_notification(pressed):
        return None  # no question of the conversation (a notification's buttons answer themselves)
    later = await uow.outbox.recent(channel, external_id, limit=_LOOK_AHEAD, after=pressed_id)
    if any(item.kind == "message" and item.status == "sent" for item in later):
        return None  # they have seen newer messages: the question has passed
    # Its buttons taken away by a turn of theirs (a press, a typed answer), not by a reminder.
    answered = any(item.kind == "edit" and item.payload.get("edit_of") == pressed_id
                   and not item.payload.get("reasked") for item in later)
    return SeenPrompt(pressed, answered)


async def withdraw_reasked(uow: UnitOfWork, channel: str, external_id: str, pressed_id: int, live: OutboxItem) -> None:
    """Withdraw the unsent copy of the question (``live``) and what came with it: the reminder's
    words, the edit that would take the seen question's buttons away. Sent after the answer,
    they would ask a question already answered."""
    later = await uow.outbox.recent(channel, external_id, limit=_LOOK_AHEAD, after=pressed_id)
    for item in later:
        if (item.id <= live.id and item.status == "pending" and item.created_at == live.created_at
                and not _a_notification(item)):
            await uow.outbox.withdraw(item.id)


def _a_notification(item: OutboxItem) -> bool:
    return any(callbacks.is_action(str(button[0])) for button in item.payload.get("buttons") or [])

"""A message to a member of staff in their own chat (Telegram, where their account has an id),
sent through the outbox like every message, in the shape the channels read (``Outbound``)."""

from __future__ import annotations

from datetime import datetime

from backend.store.outbox import OutboxRepository
from backend.store.users import User

STAFF_CHANNEL = "telegram"


def staff_message(key: str, text: str, *, html: bool = True) -> dict[str, object]:
    """An outbox payload for a member of staff's chat."""
    return {"key": key, "text": text, "html": html, "buttons": [], "request_contact": False, "free_text": False,
            "contact_label": ""}


async def tell_staff(outbox: OutboxRepository, user: User, key: str, text: str, *, at: datetime,
                     html: bool = True) -> bool:
    """Queue ``text`` for ``user``'s chat; False (nothing queued) when they have no chat to reach."""
    if not user.telegram_id:
        return False
    await outbox.add(resident_id=None, channel=STAFF_CHANNEL, address=str(user.telegram_id), kind="message",
                     payload=staff_message(key, text, html=html), at=at)
    return True

"""A channel's message handled once: by an increasing id, or by a key remembered for good."""

from __future__ import annotations

from datetime import datetime

from backend.cases.ports import StoredResponse
from backend.ports import UnitOfWork

# What a key of a handled message is stored as; nothing of the message itself is kept.
_HANDLED = StoredResponse(request_hash="", status=200, body={})


async def accept_inbound(uow: UnitOfWork, channel: str, external_id: str, inbound_id: int | str, now: datetime
                         ) -> bool:
    """Whether the message is new (and now marked handled, in the turn's unit of work).

    Args:
        inbound_id: an int, the channel's increasing ids (Telegram's update ids), kept as a cursor
            per identity; a str, a key the channel repeats when it delivers a message again
            (WeChat's ``MsgId``, or sender and time of an event), kept in the idempotency store.
    """
    if isinstance(inbound_id, int):
        return await uow.residents.accept_inbound(channel, external_id, inbound_id)
    # A retry arriving meanwhile waits for this turn's outcome on the key's unique index.
    return await uow.idempotency.put_new(_owner(channel), inbound_id, _HANDLED, at=now)


async def handled(uow: UnitOfWork, channel: str, key: str) -> bool:
    """Whether a turn has taken the message with this key (a read; ``accept_inbound`` records it)."""
    return await uow.idempotency.get(_owner(channel), key) is not None


def _owner(channel: str) -> str:
    return f"inbound:{channel}"

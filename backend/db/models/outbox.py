"""Tables: messages waiting to be sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


class OutboxRow(Base):
    """A message for a resident, written in the transaction of the turn that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_channel_status_id", "channel", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # None for a message to a member of staff (a caseworker's ping).
    resident_id: Mapped[str | None] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_before: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    # 0: a reply to a resident who is chatting; 1: a status update; 2: a broadcast. Lower goes first.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Which sender holds the item, until when: several senders never serve one address at once.
    leased_by: Mapped[str | None] = mapped_column(String(64))
    leased_until: Mapped[datetime | None]

"""Tables: conversation state per resident and flow, and the log of its steps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


class ConversationSessionRow(Base):
    __tablename__ = "conversation_sessions"

    # The composite key is the unique (resident_id, flow) guard the upsert relies on.
    resident_id: Mapped[str] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(64), primary_key=True)
    snapshot: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
    remind_at: Mapped[datetime | None] = mapped_column(index=True)
    expire_at: Mapped[datetime | None] = mapped_column(index=True)


class ConversationTurnRow(Base):
    """One step change of a conversation; never the message content."""

    __tablename__ = "conversation_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    flow: Mapped[str] = mapped_column(String(64))
    turn: Mapped[int]
    state_before: Mapped[str] = mapped_column(String(64))
    state_after: Mapped[str] = mapped_column(String(64))
    event_kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]

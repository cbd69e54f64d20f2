"""Tables: residents' requests for a person and what was said in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


class EscalationRow(Base):
    """A resident's request for a person (``/human``, repeated invalid answers, an urgent need)."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(64))
    # open → claimed (a caseworker talks with the resident) → closed
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    created_at: Mapped[datetime]
    office: Mapped[str | None] = mapped_column(String(64))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_note: Mapped[str | None] = mapped_column(Text)
    supervisor_pinged_at: Mapped[datetime | None]


class EscalationMessageRow(Base):
    """Everything said in a request for a person, both ways, kept with the ticket."""

    __tablename__ = "escalation_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(16))  # resident, staff
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class EscalationPingRow(Base):
    """A caseworker's copy of a request (its Claim button), changed once someone claims it."""

    __tablename__ = "escalation_pings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    outbox_id: Mapped[int]

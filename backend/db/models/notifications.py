"""Tables: status updates for residents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


class NotificationRow(Base):
    """A status update for a resident, written in the transaction of the change that causes it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    application_number: Mapped[str | None] = mapped_column(String(40), index=True)  # a case's thread
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]]
    # Urgent ones (an emergency case) are sent in quiet hours too.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # pending → queued (in the outbox of the resident's channel), superseded by a newer one of the
    # same application, or waiting for the resident to come back (no channel that can push).
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    created_at: Mapped[datetime]
    # Not sent before this time: the offers' digest a while after the receipt, an unsolicited
    # message over the day's cap the next day.
    not_before: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    outbox_id: Mapped[int | None]

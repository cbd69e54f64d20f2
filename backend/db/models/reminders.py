"""Table: the deadline reminders sent about a case, each kind once per deadline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


class DeadlineReminderRow(Base):
    """A reminder of a case's deadline (before it, after it, to the supervisor), recorded as it is
    queued so that no pass, nor a restart, sends it again. A new deadline gets reminders of its own."""

    __tablename__ = "deadline_reminders"
    __table_args__ = (UniqueConstraint("application_id", "kind", "deadline_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    deadline_at: Mapped[datetime]
    sent_at: Mapped[datetime]

"""Tables: the messages between the office and the resident on a case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


class CaseMessageRow(Base):
    """A message to or from the resident on a case; added, never edited (only ``read_at`` is set)."""

    __tablename__ = "case_messages"
    # A case's thread in order, and the queue's "resident replied" flag for a page of cases.
    __table_args__ = (Index("ix_case_messages_application_read", "application_id", "direction", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    document_ids: Mapped[list[str]]
    at: Mapped[datetime]
    read_at: Mapped[datetime | None]

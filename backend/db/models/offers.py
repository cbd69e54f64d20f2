"""Tables: offers made to residents after assessment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


class OfferRow(Base):
    """Something offered to a resident after assessment (a charity project); never offered twice."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("resident_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    application_number: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # project
    ref: Mapped[str] = mapped_column(String(64), index=True)
    # offered → accepted (a referral), declined, or full (the project had no place left); an offer
    # still "offered" after expires_at is expired (listed no more, answered as such)
    status: Mapped[str] = mapped_column(String(16), default="offered", server_default="offered")
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

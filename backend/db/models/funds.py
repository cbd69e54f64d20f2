"""Tables: named funds and their entries."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


class FundRow(Base):
    """A named fund (冠名基金) held by an enterprise or a merchant."""

    __tablename__ = "funds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    holder: Mapped[str] = mapped_column(String(16))  # enterprise or merchant
    holder_ref: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class FundEntryRow(Base):
    """Money into (a donation) or out of (spending on a project or household) a named fund; never updated."""

    __tablename__ = "fund_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fund_id: Mapped[int] = mapped_column(ForeignKey("funds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # donation, spending, correction
    # Donation, spending: above zero, the kind gives the direction; correction: its effect, signed.
    amount: Mapped[Decimal]
    ref: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]

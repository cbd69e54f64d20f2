"""Tables: the credit-point ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


class PointAccountRow(Base):
    """A holder of credit points: a volunteer, a resident, an enterprise, a merchant, or the issuer."""

    __tablename__ = "point_accounts"
    __table_args__ = (UniqueConstraint("holder", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    holder: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class PointEntryRow(Base):
    """One side of a ledger transaction; never updated (a correction is a reversal transaction)."""

    __tablename__ = "point_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    txn: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("point_accounts.id"), index=True)
    amount: Mapped[int]
    cause: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class RedemptionCodeRow(Base):
    """A one-time code a holder shows a merchant; only its hash is kept."""

    __tablename__ = "redemption_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("point_accounts.id"))
    points: Mapped[int]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    txn: Mapped[str | None] = mapped_column(String(64))

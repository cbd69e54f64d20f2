"""Tables: applications, their queryable copies and their status history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base, Json


class ApplicationRow(Base):
    __tablename__ = "applications"
    # The console's queue of an office: filtered, counted per filter and paged from this index
    # alone, without reading the rows (whose payload and assessment are large). The id is last so
    # that PostgreSQL, whose index entries do not carry it otherwise, can page by index only.
    __table_args__ = (
        Index("ix_applications_queue", "office", "emergency", "layer", "resilience_level", "status", "deadline_at",
              "submitted_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    schema_version: Mapped[int]
    office: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    submitted_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # What the policy engine and routing made of it (queryable copies; the full result is in assessment).
    layer: Mapped[str | None] = mapped_column(String(32), index=True)
    resilience_level: Mapped[int | None]
    emergency: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    assessment: Mapped[dict[str, Any] | None]
    queues: Mapped[list[str] | None] = mapped_column(Json)
    station: Mapped[str | None] = mapped_column(String(64))
    deadline_at: Mapped[datetime | None]
    # Who works the case now, and who proposed its decision (maker-checker compares the two).
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The proposed or final decision: package, monthly amount, reasons, appeal deadline.
    decision: Mapped[dict[str, Any] | None]


class ApplicationIdHashRow(Base):
    """A keyed hash of one household ID number; the raw number lives only inside the payload."""

    __tablename__ = "application_id_hashes"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    id_hash: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)


class HouseholdMemberRow(Base):
    """A queryable copy of one household member for reporting."""

    __tablename__ = "household_members"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    relation: Mapped[str] = mapped_column(String(16))
    age: Mapped[int]
    health: Mapped[str] = mapped_column(String(16))
    disability_grade: Mapped[int | None]
    work: Mapped[str] = mapped_column(String(16))
    monthly_income: Mapped[Decimal]


class StatusHistoryRow(Base):
    __tablename__ = "status_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    actor: Mapped[str] = mapped_column(String(64), default="system", server_default="system")
    # The lifecycle action that caused the change (none for the first status).
    action: Mapped[str | None] = mapped_column(String(32))

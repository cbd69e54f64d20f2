"""Tables: volunteers, their skills, their tasks and certificates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


class VolunteerRow(Base):
    """A resident registered for the credit + volunteer scheme (信用+志愿)."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    mobile: Mapped[str] = mapped_column(String(20))
    offices: Mapped[list[str]]
    availability: Mapped[list[str]]  # weekly slots: weekday_morning ... weekend_evening
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]


class VolunteerSkillRow(Base):
    """A skill a volunteer offers; it counts for matching once a caseworker has qualified it."""

    __tablename__ = "volunteer_skills"

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True)
    skill: Mapped[str] = mapped_column(String(32), primary_key=True)
    claimed_at: Mapped[datetime]
    qualified_by: Mapped[str | None] = mapped_column(String(64))
    qualified_at: Mapped[datetime | None]


class TaskRow(Base):
    """A service task for a case, done by one volunteer."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_number: Mapped[str | None] = mapped_column(String(40), index=True)
    # The household's resident, who confirms and rates the task.
    resident_id: Mapped[str | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    office: Mapped[str] = mapped_column(String(64))
    skill: Mapped[str] = mapped_column(String(32))
    given_name: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(Text, default="", server_default="")
    details: Mapped[str] = mapped_column(Text, default="", server_default="")
    # None until a caseworker schedules a task a resident asked for by accepting an offer.
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    duration_minutes: Mapped[int]
    # requested (by a resident; a caseworker schedules it) → open (looking for a volunteer) → assigned → done
    # (checked in) → confirmed (rated by the resident); or unfilled (nobody accepted), missed (the volunteer
    # says it did not happen), cancelled.
    status: Mapped[str] = mapped_column(String(16), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_round_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    checkin_sent_at: Mapped[datetime | None]
    # When the volunteer checked in on arrival; done_at is when they checked out (or said it was done).
    checked_in_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    # The time credited (points and hours both come from it): check-in to check-out, at most the planned
    # duration; the planned duration when they only said it was done.
    served_minutes: Mapped[int | None]
    photo_document_id: Mapped[str | None] = mapped_column(String(64))
    rating: Mapped[int | None]
    rated_at: Mapped[datetime | None]
    points_txn: Mapped[str | None] = mapped_column(String(64))


class TaskPingRow(Base):
    """A volunteer asked to take a task, and their answer."""

    __tablename__ = "task_pings"
    __table_args__ = (UniqueConstraint("task_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    round: Mapped[int]
    sent_at: Mapped[datetime]
    # accepted, declined, expired (no answer in time), taken (someone else accepted first)
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None]


class CertificateRow(Base):
    """An honour certificate given at a milestone of service hours; once per milestone."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("volunteer_id", "milestone_hours"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    milestone_hours: Mapped[int]
    issued_at: Mapped[datetime]

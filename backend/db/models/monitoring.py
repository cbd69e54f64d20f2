"""Tables: the monitored population (监测预警): registry, departments' feeds, alerts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


class RegistryHouseholdRow(Base):
    """A household of the monitored low-income population ("5+N"), as last assessed."""

    __tablename__ = "registry_households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # the household's code in the import
    office: Mapped[str] = mapped_column(String(64), index=True)
    # The household as the policy engine reads it (backend.policy.household.Household as JSON):
    # triggers change it and the engine evaluates it again.
    household: Mapped[dict[str, Any]]
    monthly_income: Mapped[Decimal]  # the household's, for triggers relative to income
    layer: Mapped[str | None] = mapped_column(String(32))
    resilience_level: Mapped[int | None]
    types: Mapped[list[str]]
    application_number: Mapped[str | None] = mapped_column(String(40))
    assessed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RegistryPersonRow(Base):
    """A person of the monitored population; the ID number only encrypted, matched by a keyed hash."""

    __tablename__ = "registry_persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("registry_households.id", ondelete="CASCADE"), index=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_cipher: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(60))
    birth_date: Mapped[date]
    relation: Mapped[str] = mapped_column(String(16))  # self (the head), spouse, child ...
    member: Mapped[int]  # the person's index in the household's members (its JSON carries no ID number)
    # dibao, tekun, relapse_watch, near_dibao, rigid_expense (the five registered groups) or
    # elderly, child, sick, disabled (the N others)
    category: Mapped[str] = mapped_column(String(32))
    earner: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The resident this person is in the chat as, when known (outreach goes there).
    resident_id: Mapped[str | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime]


class RegistryAssessmentRow(Base):
    """The history of a household's layer and resilience level; never updated."""

    __tablename__ = "registry_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("registry_households.id", ondelete="CASCADE"), index=True)
    layer: Mapped[str | None] = mapped_column(String(32))
    resilience_level: Mapped[int | None]
    types: Mapped[list[str]]
    cause: Mapped[str] = mapped_column(String(64))  # import, application, trigger:<rule>
    at: Mapped[datetime]


class FeedEventRow(Base):
    """One row of a department's data, matched to a person of the registry; once per source record."""

    __tablename__ = "feed_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(24))  # public_security, medical, disability, hr, education, ...
    record_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("registry_persons.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("registry_households.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # death, out_of_pocket, disability_assessed, unemployed ...
    occurred_on: Mapped[date]
    amount: Mapped[Decimal | None]
    grade: Mapped[int | None]
    detail: Mapped[dict[str, Any]]
    imported_at: Mapped[datetime]
    # Trigger evaluation takes the events not evaluated yet, as a set.
    evaluated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        UniqueConstraint("source", "record_id"),
        Index("ix_feed_events_household_occurred", "household_id", "occurred_on"),
        # Only the pending events: marking one evaluated drops its entry. Keyed by id, the order
        # events are imported and evaluated in: entries are added and removed at the index's end.
        Index("ix_feed_events_pending", "id", sqlite_where=text("evaluated = 0"),
              postgresql_where=text("evaluated = false")),
    )


class FeedEvaluationMarkRow(Base):
    """On PostgreSQL, the last event id trigger evaluation has taken in: the events above it are pending.

    Marking each of a million events evaluated would write a new version of every row and of its
    index entries (MVCC); the evaluation moves this one mark instead. SQLite, one writer and rows
    updated in place, marks the rows (``feed_events.evaluated``), which stays exact on PostgreSQL
    for the events evaluated before the mark existed. One row, id 1, made by the first evaluation.
    """

    __tablename__ = "feed_evaluation_mark"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    through_event_id: Mapped[int] = mapped_column(BigInteger)


class FeedKeyRow(Base):
    """A department's key for signing pushed events (encrypted with the installation's secret)."""

    __tablename__ = "feed_keys"

    source: Mapped[str] = mapped_column(String(24), primary_key=True)
    key_cipher: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class FeedNonceRow(Base):
    """A pushed request seen: the same signature is not accepted twice (replay protection)."""

    __tablename__ = "feed_nonces"

    source: Mapped[str] = mapped_column(String(24), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)


class AlertRow(Base):
    """A household whose situation worsened, for its street office to act on."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("registry_households.id", ondelete="CASCADE"), index=True)
    office: Mapped[str] = mapped_column(String(64), index=True)
    trigger: Mapped[str] = mapped_column(String(64))
    reason: Mapped[dict[str, Any]]  # the trigger's parameters, rendered in the reader's language
    trace: Mapped[dict[str, Any]]  # before and after: layer, level, types, and the rules' trace
    # new → acknowledged → acted, or dismissed (with a reason)
    status: Mapped[str] = mapped_column(String(16), default="new", server_default="new", index=True)
    deadline_at: Mapped[datetime]
    escalated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None]
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    # Outreach: sent to the resident in the chat, or listed for a home visit.
    outreach: Mapped[str | None] = mapped_column(String(16))
    # The day a caseworker means to visit the household (the region's calendar).
    visit_on: Mapped[date | None]

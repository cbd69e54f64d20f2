"""SQLAlchemy tables of the intake backend, portable between SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names keep migrations (and SQLite batch rebuilds) reproducible.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC and always read back aware in UTC (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        value = value.astimezone(UTC)
        # SQLite would silently drop the offset; storing naive UTC makes the text sortable.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
Json = JSON().with_variant(JSONB(), "postgresql")


class SerializedJson(TypeDecorator[str]):
    """A value for a :data:`Json` column given as JSON text already (serialized where it was made,
    a worker process say): written as it is, not serialized again."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def bind_processor(self, dialect: Dialect) -> None:
        return None


Money = Numeric(12, 2, asdecimal=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money, dict[str, Any]: Json, list[str]: Json}


class ResidentRow(Base):
    __tablename__ = "residents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A request for a person a caseworker has claimed: the resident's messages go to them.
    talking_to: Mapped[int | None] = mapped_column(Integer)
    # The resident said /offers off: nothing is offered to them.
    offers_off: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The flow their messages go to when it is not the intake (volunteer registration, a reply to a
    # caseworker's question); back to the intake when that flow ends.
    active_flow: Mapped[str | None] = mapped_column(String(32))


class ChannelIdentityRow(Base):
    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    # The newest inbound message id handled (a redelivered update is recognised and ignored).
    last_inbound_id: Mapped[int | None] = mapped_column(BigInteger)
    # The outbox message whose buttons are live; buttons of any other message have expired.
    active_prompt: Mapped[int | None]


class ConversationSessionRow(Base):
    __tablename__ = "conversation_sessions"

    # The composite key is the unique (resident_id, flow) guard the upsert relies on.
    resident_id: Mapped[str] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(64), primary_key=True)
    snapshot: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
    remind_at: Mapped[datetime | None] = mapped_column(index=True)
    expire_at: Mapped[datetime | None] = mapped_column(index=True)


class ConversationTurnRow(Base):
    """One step change of a conversation; never the message content."""

    __tablename__ = "conversation_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    flow: Mapped[str] = mapped_column(String(64))
    turn: Mapped[int]
    state_before: Mapped[str] = mapped_column(String(64))
    state_after: Mapped[str] = mapped_column(String(64))
    event_kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]


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


class DocumentRow(Base):
    __tablename__ = "documents"
    # Serves unattached(resident_id): the resident's documents with no application yet.
    __table_args__ = (Index("ix_documents_resident_id_application_id", "resident_id", "application_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(127))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


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


class OutboxRow(Base):
    """A message for a resident, written in the transaction of the turn that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_channel_status_id", "channel", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # None for a message to a member of staff (a caseworker's ping).
    resident_id: Mapped[str | None] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    not_before: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    # 0: a reply to a resident who is chatting; 1: a status update; 2: a broadcast. Lower goes first.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Which sender holds the item, until when: several senders never serve one address at once.
    leased_by: Mapped[str | None] = mapped_column(String(64))
    leased_until: Mapped[datetime | None]


class UserRow(Base):
    """A member of staff or a service account; only a hash of the API token is kept."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    office: Mapped[str | None] = mapped_column(String(64), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    telegram_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime]
    # The console's sign-in: an argon2 hash (None: this account cannot sign in to the console).
    # Failed sign-ins are counted in ``throttles``, per typed name and client address.
    password_hash: Mapped[str | None] = mapped_column(String(255))


class ConsoleSessionRow(Base):
    """A signed-in console session; the cookie holds a random token and only its hash is kept here."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The token every form of this session carries (compared with what a POST sends).
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ThrottleRow(Base):
    """Failures counted under one key (a keyed hash of what guesses are attributed to), and the
    block they led to; see ``backend/throttle.py``."""

    __tablename__ = "throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    since: Mapped[datetime | None]
    blocked_until: Mapped[datetime | None]
    # Blocks in a row: each lasts twice the one before, up to a cap.
    blocks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Last written: rows neither counting nor blocked for a while are purged.
    updated_at: Mapped[datetime] = mapped_column(index=True)


class CaseNoteRow(Base):
    """A caseworker's note on a case; notes are added, never edited."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class AuditRow(Base):
    """Who read or changed which case, when (no personal data in ``details``)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target_at", "target", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]]


class IdempotencyRow(Base):
    """The response to a request made with an idempotency key, replayed when the key comes again."""

    __tablename__ = "idempotency_keys"

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class NotificationRow(Base):
    """A status update for a resident, written in the transaction of the change that causes it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    application_number: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]]
    # Urgent ones (an emergency case) are sent in quiet hours too.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # pending → queued (in the outbox of the resident's channel), superseded by a newer one of the
    # same application, or waiting for the resident to come back (no channel that can push).
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    created_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]
    outbox_id: Mapped[int | None]


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


class OfferRow(Base):
    """Something offered to a resident after assessment (a charity project); never offered twice."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("resident_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    application_number: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # project
    ref: Mapped[str] = mapped_column(String(64), index=True)
    # offered → accepted (a referral), declined, or full (the project had no place left)
    status: Mapped[str] = mapped_column(String(16), default="offered", server_default="offered")
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


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
    # requested (by a resident; a caseworker schedules it) → open (looking for a volunteer) → assigned → done (checked in) → confirmed (rated by the
    # resident); or unfilled (nobody accepted), missed (the volunteer says it did not happen), cancelled.
    status: Mapped[str] = mapped_column(String(16), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_round_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    checkin_sent_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
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
    kind: Mapped[str] = mapped_column(String(16))  # donation, spending
    amount: Mapped[Decimal]  # always above zero; the kind gives the direction
    ref: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


# ---------------------------------------------------------------- monitoring (监测预警)


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

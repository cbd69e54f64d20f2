"""Tables: residents and the channel identities they write from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


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


class InboundArrivalRow(Base):
    """A numbered channel message (a Telegram update) that reached a process, on a database several
    processes share: a later message of the same identity waits while an earlier one is not done,
    so that turns keep the order messages arrived in, whichever process took each. ``done`` stays
    for a while after the turn, so that a redelivery is told from a message that arrived late."""

    __tablename__ = "inbound_arrivals"
    # The channel's numbers in a range, whatever the identity: the gaps before a message.
    __table_args__ = (Index("ix_inbound_arrivals_channel_inbound_id", "channel", "inbound_id"),)

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    inbound_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    arrived_at: Mapped[datetime]
    done: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

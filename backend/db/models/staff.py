"""Tables: members of staff, their console sessions and the sign-in throttle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, false, true
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.models.base import Base


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

"""Staff accounts and their roles, as every service checks them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    BOT_SERVICE = "bot-service"
    MERCHANT = "merchant"  # a charity merchant: confirms credit-point redemptions


# Roles that belong to one street office (the others work across the region).
OFFICE_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR})


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    office: str | None
    telegram_id: str | None
    on_duty: bool
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewUser:
    """An account to create, active from the start; only a hash of its token is kept."""

    username: str
    display_name: str
    role: Role
    office: str | None
    token_hash: str
    telegram_id: str | None
    on_duty: bool


class DuplicateUser(ValueError):
    """A user with this username or Telegram id exists already."""


class Unset:
    """Marks an argument left out (None is a value: it clears the column)."""


UNSET = Unset()


class UserRepository(Protocol):
    async def add(self, user: NewUser, *, at: datetime) -> User:
        """Raises DuplicateUser when the username or Telegram id is taken."""

    async def get(self, username: str) -> User | None: ...

    async def by_token_hash(self, token_hash: str) -> User | None:
        """The active user holding this token."""

    async def list(self, office: str | None = None) -> list[User]: ...

    async def update(self, username: str, *, on_duty: bool | Unset = UNSET, active: bool | Unset = UNSET,
                     token_hash: str | Unset = UNSET) -> User:
        """Raises NotFound for an unknown username."""

    async def least_loaded(self, office: str, *, on_duty: bool = False) -> User | None:
        """The active caseworker of ``office`` with the fewest open cases (oldest account on a tie)."""

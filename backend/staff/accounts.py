"""Creating and changing staff accounts (``yimen users``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from backend.policy.regions import RegionTree
from backend.staff.passwords import check_strength, hash_password
from backend.staff.tokens import new_token, token_hash
from backend.store.base import Transaction
from backend.store.console import ConsoleRepository
from backend.store.errors import NotFound
from backend.store.users import OFFICE_ROLES, NewUser, Role, User, UserRepository

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class AccountsUnitOfWork(Transaction, Protocol):
    """What managing staff accounts uses of a unit of work (a new password ends the console sessions)."""

    console: ConsoleRepository
    users: UserRepository


class AccountError(ValueError):
    """The account cannot be created as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class NewAccount:
    user: User
    token: str  # shown once, never stored


async def add_user(
    uow: AccountsUnitOfWork,
    regions: RegionTree,
    *,
    username: str,
    role: Role,
    office: str | None,
    display_name: str | None = None,
    telegram_id: str | None = None,
    on_duty: bool = False,
    now: datetime,
) -> NewAccount:
    """Create an account and its first token.

    Raises:
        AccountError: a malformed username, an office missing for an office role (or given for
            another), an unknown office.
        DuplicateUser: the username or Telegram id is taken.
    """
    if not _USERNAME.match(username):
        raise AccountError("a username is 2–64 lower-case letters, digits, '.', '_' or '-'")
    if role in OFFICE_ROLES and not office:
        raise AccountError(f"a {role.value} needs --office (the street office they work for)")
    if role not in OFFICE_ROLES and office:
        raise AccountError(f"a {role.value} works across the region: leave out --office")
    if office and regions.office(office) is None:
        known = ", ".join(sorted(regions.office_codes()))
        raise AccountError(f"unknown office {office!r}; the policy pack has: {known}")
    if telegram_id is not None and not telegram_id.lstrip("-").isdigit():
        raise AccountError("a Telegram id is a number (the user's numeric id, not their @name)")
    token = new_token()
    user = await uow.users.add(NewUser(
        username=username,
        display_name=display_name or username,
        role=role,
        office=office,
        token_hash=token_hash(token),
        telegram_id=telegram_id,
        on_duty=on_duty,
    ), at=now)
    return NewAccount(user, token)


async def rotate_token(uow: AccountsUnitOfWork, username: str) -> str:
    """Replace a user's token; the old one stops working at once. Raises NotFound."""
    token = new_token()
    await uow.users.update(username, token_hash=token_hash(token))
    return token


async def authenticate(uow: AccountsUnitOfWork, token: str) -> User | None:
    """The active user holding ``token``, or None."""
    return await uow.users.by_token_hash(token_hash(token))


async def set_password(uow: AccountsUnitOfWork, username: str, password: str) -> None:
    """Set a console password (argon2 hash); the user's sessions end and any lock-out is lifted.

    Raises:
        WeakPassword: shorter than the minimum.
        NotFound: no such user.
    """
    check_strength(password)
    if not await uow.console.set_password(username, hash_password(password)):
        raise NotFound(f"no user {username!r}")


FIRST_ADMIN = "admin"


async def first_admin(uow: AccountsUnitOfWork, regions: RegionTree, *, now: datetime) -> tuple[str, str] | None:
    """On a database with no administrator yet, create one with a generated console password:
    (username, password) to show once. None when an administrator exists already."""
    from backend.staff.passwords import new_password

    if any(u.role is Role.ADMIN for u in await uow.users.list()):
        return None
    await add_user(uow, regions, username=FIRST_ADMIN, role=Role.ADMIN, office=None,
                   display_name=FIRST_ADMIN, now=now)
    password = new_password()
    await set_password(uow, FIRST_ADMIN, password)
    return FIRST_ADMIN, password

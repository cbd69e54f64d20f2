"""Values of outreach: an alert's household, and its people as the chat may reach them."""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

from backend.store.base import Transaction
from backend.store.notifications import NotificationRepository


class AlertHousehold(NamedTuple):
    alert_id: int
    household_id: int
    office: str
    household: dict[str, Any]  # the policy engine's household, without ID numbers


class Contact(NamedTuple):
    member: int  # 0: the head of the household, who applies
    name: str
    id_cipher: str
    resident_id: str | None  # their chat identity, when known


class OutreachRepository(Protocol):
    async def pending(self, *, limit: int = 500) -> list[AlertHousehold]:
        """Open alerts not followed up yet, oldest first."""

    async def alert(self, alert_id: int) -> AlertHousehold | None: ...

    async def contacts(self, household_id: int) -> list[Contact]:
        """The household's people, the head first."""

    async def mark(self, alert_id: int, outreach: str) -> None: ...

    async def bind(self, household_id: int, member: int, resident_id: str) -> None: ...


class OutreachUnitOfWork(Transaction, Protocol):
    """What reaching out to an alert's household uses of a unit of work."""

    notifications: NotificationRepository
    outreach: OutreachRepository

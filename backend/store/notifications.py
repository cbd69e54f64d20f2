"""Notifications to residents: written by any service, delivered in their language by the dispatcher."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    resident_id: str
    application_number: str | None
    kind: str
    params: dict[str, Any]
    status: str
    created_at: datetime
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class DueNotification:
    """A notification to dispatch, with what delivery needs: the resident's language and the
    channel identity to push to (None when they have none that can be pushed to)."""

    notification: Notification
    locale: str | None
    channel: str | None
    address: str | None


# A notification's new status, and the outbox item it was queued as (None: it was not queued).
NoticeMark = tuple[int, str, int | None]


class NotificationRepository(Protocol):
    async def add(
        self,
        *,
        resident_id: str,
        application_number: str | None,
        kind: str,
        params: dict[str, object],
        at: datetime,
        urgent: bool = False,
        not_before: datetime | None = None,
    ) -> None:
        """Leave a notification for the dispatcher; with ``not_before`` it is held until then."""

    async def for_resident(self, resident_id: str) -> list[Notification]:
        """The resident's notifications, oldest first."""

    async def claim(self, *, channels: tuple[str, ...], urgent_only: bool, limit: int,
                    now: datetime) -> list[DueNotification]:
        """Pending notifications due by ``now`` (not held until later), oldest first, held until the
        unit of work ends; on PostgreSQL rows another dispatcher holds are skipped, so two
        dispatchers never take the same one.

        ``channels`` are those that can push, most preferred first."""

    async def mark(self, notification_id: int, *, status: str, at: datetime, outbox_id: int | None = None) -> None: ...

    async def mark_many(self, marks: Sequence[NoticeMark], *, at: datetime) -> None:
        """Mark several at once (a dispatcher's pass): (notification id, status, outbox id or None) each."""

    async def hold(self, notification_id: int, *, until: datetime) -> None:
        """Leave a pending notification pending, not sent before ``until``."""

    async def dispatched_since(self, resident_ids: set[str], kinds: frozenset[str], *,
                               since: datetime) -> dict[str, int]:
        """How many notifications of ``kinds`` each resident was sent (queued, or kept for their
        return) since ``since``; residents with none are left out."""

    async def waiting(self, resident_id: str) -> list[Notification]:
        """Notifications kept for the resident's return (no channel could push them), oldest first."""

    async def requeue_waiting(self, resident_id: str) -> None:
        """Make the resident's waiting notifications pending again (they gained a channel that can push)."""

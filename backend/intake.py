"""The backend side of an application: store it, record its first status, refuse duplicates.

Scoring and routing plug in behind ``submit`` later; the conversation only sees this interface.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from backend.application import ApplicationV1
from backend.ports import ApplicationSummary, UnitOfWork
from backend.status import ApplicationStatus


class IdHasher:
    """Keyed hashes of ID numbers: matchable without keeping the numbers in an index."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, id_number: str) -> str:
        return hmac.new(self._key, id_number.upper().encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Submitted:
    application: ApplicationSummary
    review_by: date


@dataclass(frozen=True, slots=True)
class Duplicate:
    existing: ApplicationSummary


class IntakeService:
    """Takes applications in. One instance serves every turn; it holds no state of its own."""

    def __init__(self, hasher: IdHasher, review_days: int = 10) -> None:
        self._hash = hasher
        self._review_days = review_days

    async def find_open(self, uow: UnitOfWork, id_numbers: list[str]) -> ApplicationSummary | None:
        """An open application of any household with one of these ID numbers."""
        return await uow.applications.find_open([self._hash(n) for n in id_numbers])

    async def submit(
        self,
        uow: UnitOfWork,
        payload: dict[str, Any],
        *,
        resident_id: str,
        document_ids: list[str],
        now: datetime,
    ) -> Submitted | Duplicate:
        """Validate and store an application in the caller's unit of work.

        Raises:
            pydantic.ValidationError: the payload does not fit the contract (a bug in the flow).
        """
        application = ApplicationV1.model_validate({**payload, "document_ids": document_ids})
        hashes = [self._hash(n) for n in application.id_numbers()]
        await uow.applications.lock_households(hashes)
        existing = await uow.applications.find_open(hashes)
        if existing is not None:
            return Duplicate(existing)
        summary = await uow.applications.add(
            application,
            resident_id=resident_id,
            id_hashes=hashes,
            status=ApplicationStatus.RECEIVED,
            at=now,
        )
        if document_ids:
            await uow.documents.attach(document_ids, summary.number)
        return Submitted(summary, now.date() + timedelta(days=self._review_days))

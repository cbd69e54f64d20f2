"""Applications as the resident's side stores them, and the documents uploaded for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from backend.application import ApplicationV1
from backend.status import ApplicationStatus


@dataclass(frozen=True, slots=True)
class ApplicationSummary:
    number: str
    status: ApplicationStatus
    submitted_at: datetime
    office: str


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: ApplicationStatus
    at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class AssessmentRecord:
    """What the policy engine and routing found for an application, as the case stores it."""

    layer: str
    resilience_level: int
    emergency: bool
    assessment: dict[str, object]
    queues: list[str]
    station: str | None
    deadline_at: datetime | None


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    id: str
    resident_id: str
    filename: str
    mime: str
    size: int
    sha256: str
    storage_key: str
    created_at: datetime


class ApplicationRepository(Protocol):
    async def lock_households(self, id_hashes: list[str]) -> None:
        """Hold these households until the unit of work ends, so two submissions cannot both pass."""

    async def find_open(self, id_hashes: list[str]) -> ApplicationSummary | None:
        """An open application any of whose household members has one of these ID hashes."""

    async def add(
        self,
        application: ApplicationV1,
        *,
        resident_id: str,
        id_hashes: list[str],
        status: ApplicationStatus,
        at: datetime,
    ) -> ApplicationSummary:
        """Store the application with its first status and return it with its number."""

    async def list_for_resident(self, resident_id: str) -> list[ApplicationSummary]: ...

    async def record_assessment(self, number: str, found: AssessmentRecord, *, at: datetime) -> None:
        """Store what the policy engine and routing found, and move the case to ``assessed``."""

    async def get(self, number: str) -> ApplicationV1 | None: ...

    async def history(self, number: str) -> list[StatusChange]: ...


class DocumentRepository(Protocol):
    async def add(self, document: DocumentMeta) -> None: ...

    async def get(self, document_id: str) -> DocumentMeta | None: ...

    async def attach(self, document_ids: list[str], application_number: str) -> None: ...

    async def unattached(self, resident_id: str) -> list[DocumentMeta]: ...

    async def delete(self, document_ids: list[str]) -> list[DocumentMeta]:
        """Delete the rows and return them so their bytes can be removed from storage."""

"""SQLAlchemy implementation of uploaded documents' metadata (the bytes live in document storage)."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import ApplicationRow, DocumentRow
from backend.db.sql import document_meta
from backend.ports import DocumentMeta, NotFound


class SqlDocumentRepository:
    """Metadata of uploaded documents; the bytes live in document storage."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, document: DocumentMeta) -> None:
        """Record an uploaded, not yet attached document."""
        # The row's columns are named like the metadata's fields.
        self._session.add(DocumentRow(**asdict(document), application_id=None))
        await self._session.flush()

    async def get(self, document_id: str) -> DocumentMeta | None:
        """The document's metadata, or None."""
        row = await self._session.get(DocumentRow, document_id)
        return document_meta(row) if row else None

    async def attach(self, document_ids: list[str], application_number: str) -> None:
        """Attach the documents to the application; only its own resident's documents move."""
        if not document_ids:
            return
        application = (
            await self._session.execute(
                select(ApplicationRow.id, ApplicationRow.resident_id).where(
                    ApplicationRow.number == application_number
                )
            )
        ).first()
        if application is None:
            raise NotFound(f"no application {application_number}")
        await self._session.execute(
            update(DocumentRow)
            .where(DocumentRow.id.in_(document_ids), DocumentRow.resident_id == application.resident_id)
            .values(application_id=application.id)
        )

    async def unattached(self, resident_id: str) -> list[DocumentMeta]:
        """The resident's documents not yet part of an application, oldest first."""
        rows = await self._session.scalars(
            select(DocumentRow)
            .where(DocumentRow.resident_id == resident_id, DocumentRow.application_id.is_(None))
            .order_by(DocumentRow.created_at, DocumentRow.id)
        )
        return [document_meta(r) for r in rows]

    async def delete(self, document_ids: list[str]) -> list[DocumentMeta]:
        """Delete the rows and return them so their bytes can be removed from storage."""
        if not document_ids:
            return []
        rows = await self._session.scalars(select(DocumentRow).where(DocumentRow.id.in_(document_ids)))
        found = [document_meta(r) for r in rows]
        await self._session.execute(delete(DocumentRow).where(DocumentRow.id.in_(document_ids)))
        return found

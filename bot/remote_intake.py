"""The intake seen from a bot that runs apart from the API (``yimen serve --role bot``).

Submissions go to the API over HTTP; the open-application lookup reads the shared database.
The idempotency key is derived from the resident and the application's content, so a turn
retried after a crash (or a timeout) sends the same key and gets the first answer back.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from backend.api.client import ApiClient, review_date, summary_of
from backend.crypto import IdHasher
from backend.intake import Duplicate, OpenApplications, Submitted
from backend.ports import UnitOfWork


def idempotency_key(resident_id: str, payload: dict[str, object]) -> str:
    content = {k: v for k, v in payload.items() if k != "submitted_at"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"intake-{resident_id}-{digest[:32]}"


class RemoteIntake(OpenApplications):
    def __init__(self, client: ApiClient, hasher: IdHasher) -> None:
        super().__init__(hasher)
        self._client = client

    async def submit(self, uow: UnitOfWork, payload: dict[str, object], *, resident_id: str, document_ids: list[str],
                     now: datetime) -> Submitted | Duplicate:
        status, answer = await self._client.create_application(
            resident_id=resident_id,
            application=payload,
            document_ids=document_ids,
            key=idempotency_key(resident_id, payload),
        )
        if status == 409:
            return Duplicate(summary_of(status, answer))
        return Submitted(summary_of(status, answer), review_date(answer))

"""The audit log: who did what to which record, kept for as long as the records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, object]


class AuditLog(Protocol):
    async def record(self, *, actor: str, action: str, target: str, details: Mapping[str, object],
                     at: datetime) -> None: ...

    async def for_target(self, target: str) -> list[AuditEntry]: ...

"""The conversation between the office and the resident on a case: its messages, kept for ever."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Direction(StrEnum):
    TO_RESIDENT = "to_resident"
    FROM_RESIDENT = "from_resident"


class MessageKind(StrEnum):
    QUESTION = "question"  # a request for information: the question asked
    REPLY = "reply"  # the resident's answer to a question
    MESSAGE = "message"  # anything else either side wrote


@dataclass(frozen=True, slots=True)
class CaseMessage:
    """One message between the office and the resident.

    Attributes:
        author: a staff member's username, or the resident's id for their own words.
        document_ids: documents the resident sent with it.
        read_at: when staff first opened the case after it came (messages from the resident).
    """

    id: int
    number: str
    direction: Direction
    kind: MessageKind
    author: str
    body: str
    document_ids: tuple[str, ...]
    at: datetime
    read_at: datetime | None


@dataclass(frozen=True, slots=True)
class SentNotice:
    """A notification of the case as the thread lists it: what was said, and whether it went out."""

    id: int
    kind: str
    params: dict[str, object]
    status: str
    at: datetime


class ThreadRepository(Protocol):
    async def add(self, number: str, *, direction: Direction, kind: MessageKind, author: str, body: str,
                  at: datetime, document_ids: tuple[str, ...] = ()) -> CaseMessage:
        """Append a message (raises NotFound for an unknown application)."""

    async def messages(self, number: str) -> list[CaseMessage]:
        """The case's messages, oldest first."""

    async def notices(self, number: str) -> list[SentNotice]:
        """The notifications written for the case's resident about it, oldest first."""

    async def mark_read(self, number: str, *, at: datetime) -> int:
        """Mark the resident's unread messages read; how many were."""

    async def unread(self, numbers: list[str]) -> set[str]:
        """Those of ``numbers`` with a message from the resident nobody has read yet."""

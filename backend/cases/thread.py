"""A case's thread: its messages, status events, notes and notices merged in order, with the
people behind them named as staff and residents know them.

The office side sees everything, internal notes marked; the resident's side sees only the
messages between them and the office (status events carry staff's notes, which are internal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from backend.cases.ports import Case, Note, StatusEvent
from backend.status import CaseStatus
from backend.store.threads import CaseMessage, Direction, MessageKind, SentNotice

SYSTEM = "system"
RESIDENT_ACTOR = "resident:"  # the actor of a status event the resident caused, with their id


class EntryKind(StrEnum):
    MESSAGE = "message"  # between the office and the resident
    STATUS = "status"  # the case moved; the note is staff's
    NOTE = "note"  # an internal note
    NOTICE = "notice"  # a notification written for the resident


class AuthorRole(StrEnum):
    STAFF = "staff"
    RESIDENT = "resident"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    """One line of the thread.

    Attributes:
        author: the display name of the staff member, the applicant's name, or "" for the system.
        body: a message's text, a note, a status event's note; empty for a notice.
        internal: seen by staff only.
        unread: a resident's message nobody had read before this reading.
    """

    kind: EntryKind
    at: datetime
    author: str
    author_role: AuthorRole
    body: str = ""
    internal: bool = False
    status: CaseStatus | None = None
    action: str | None = None
    message_kind: MessageKind | None = None
    document_ids: tuple[str, ...] = ()
    notice_kind: str | None = None
    notice_params: dict[str, object] = field(default_factory=dict)
    delivery: str | None = None
    unread: bool = False


def applicant_name(case: Case) -> str:
    """The applicant's name as they gave it (staff call the resident by it)."""
    applicant = case.payload.get("applicant") or {}
    return str(applicant.get("name") or "")


def staff_thread(
    messages: Iterable[CaseMessage], history: Iterable[StatusEvent], notes: Iterable[Note],
    notices: Iterable[SentNotice], *, staff_name: Callable[[str], str], applicant: str,
) -> list[ThreadEntry]:
    """Everything said and done on the case, oldest first (ties: messages, events, notes, notices).

    Args:
        staff_name: a username's display name.
        applicant: what to call the resident.
    """

    def actor(name: str) -> tuple[str, AuthorRole]:
        if name == SYSTEM:
            return "", AuthorRole.SYSTEM
        if name.startswith(RESIDENT_ACTOR):
            return applicant, AuthorRole.RESIDENT
        return staff_name(name), AuthorRole.STAFF

    entries: list[tuple[datetime, int, int, ThreadEntry]] = []
    for m in messages:
        entries.append((m.at, 0, m.id, _message_entry(m, staff_name, applicant)))
    for position, e in enumerate(history):
        author, role = actor(e.actor)
        entries.append((e.at, 1, position, ThreadEntry(EntryKind.STATUS, e.at, author, role, e.note, internal=True,
                                                       status=e.status, action=e.action)))
    for n in notes:
        author, role = actor(n.author)
        entries.append((n.at, 2, n.id, ThreadEntry(EntryKind.NOTE, n.at, author, role, n.body, internal=True)))
    for s in notices:
        entries.append((s.at, 3, s.id, ThreadEntry(EntryKind.NOTICE, s.at, "", AuthorRole.SYSTEM, notice_kind=s.kind,
                                                   notice_params=dict(s.params), delivery=s.status)))
    entries.sort(key=lambda item: item[:3])
    return [entry for *_, entry in entries]


def resident_thread(messages: Iterable[CaseMessage], *, staff_name: Callable[[str], str], applicant: str,
                    limit: int | None = None) -> list[ThreadEntry]:
    """What the resident sees of the thread: the messages between them and the office, oldest first
    (the last ``limit`` of them)."""
    entries = [_message_entry(m, staff_name, applicant) for m in sorted(messages, key=lambda m: (m.at, m.id))]
    return entries[-limit:] if limit else entries


def _message_entry(m: CaseMessage, staff_name: Callable[[str], str], applicant: str) -> ThreadEntry:
    if m.direction is Direction.FROM_RESIDENT:
        author, role = applicant, AuthorRole.RESIDENT
    else:
        author, role = staff_name(m.author), AuthorRole.STAFF
    return ThreadEntry(EntryKind.MESSAGE, m.at, author, role, m.body, message_kind=m.kind,
                       document_ids=m.document_ids,
                       unread=m.direction is Direction.FROM_RESIDENT and m.read_at is None)

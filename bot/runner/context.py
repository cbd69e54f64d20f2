"""The values a turn passes around: the message in hand, what a side handler answered, and
what a flow started from outside begins with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from backend.ports import DocumentMeta, Resident, UnitOfWork
from bot.outbound import Outbound
from flows import events as ev


@dataclass(frozen=True, slots=True)
class Message:
    """One resident message in its turn's unit of work, as the side handlers and the turn see it.

    Attributes:
        locale: the language to answer in when the flow has not chosen one.
        client_address: where the message came from, when the channel knows it (the web chat).
    """

    uow: UnitOfWork
    resident: Resident
    channel: str
    external_id: str
    event: ev.Event
    now: datetime
    locale: str
    locale_hint: str | None = None
    document: DocumentMeta | None = None
    html: bool = False
    client_address: str | None = None


@dataclass(frozen=True, slots=True)
class Answered:
    """A side handler's answer, which the runner stores and commits.

    Attributes:
        live: the last reply with buttons becomes the live prompt; False for replies on the side,
            which leave the question the resident is at live.
        resident_id: whose replies they are when not the sender's (an identity just linked).
        discarded: documents whose bytes go once the unit of work is committed.
    """

    replies: list[Outbound]
    live: bool = True
    resident_id: str | None = None
    discarded: tuple[DocumentMeta, ...] = ()


class SideHandler(Protocol):
    """A path a message may take before the turn proper: None lets the next one look at it."""

    async def __call__(self, message: Message, /) -> Answered | None: ...


@dataclass(frozen=True, slots=True)
class Preset:
    """What a flow started from outside begins with: answers it is given, and members; with
    ``confirm``, an application filled in for the resident to check answer by answer."""

    answers: dict[str, object] = field(default_factory=dict)
    members: tuple[dict[str, object], ...] = ()
    confirm: bool = False


@dataclass
class TurnOutput:
    replies: list[Outbound] = field(default_factory=list)
    discarded: list[DocumentMeta] = field(default_factory=list)

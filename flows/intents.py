"""Outbound intents: what the engine wants done. The engine never does any of it itself.

``Effect`` intents need an answer from the outside (the runner executes them and feeds
the result back as an event in the same turn); the others are acted on after the turn
is committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Option:
    """One button of a reply: the value it sends back and the message key of its label."""

    value: str
    key: str
    params: dict[str, object] = field(default_factory=dict)
    selected: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    """Send the message ``key`` rendered with ``params``, with ``options`` as buttons."""

    key: str
    params: dict[str, object] = field(default_factory=dict)
    options: tuple[Option, ...] = ()
    request_contact: bool = False
    free_text: bool = False  # typed text answers it (options are only shortcuts)
    # A question's place in its flow, (n, about m), shown above it; None when the flow does not show it.
    progress: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class RequestHuman:
    """Hand the conversation to a caseworker, saying why and at which step."""

    reason: str
    step: str


@dataclass(frozen=True, slots=True)
class ScheduleReminder:
    """When to nudge a resident who went quiet, and when their unfinished answers expire."""

    remind_at: str | None  # ISO datetime, or None when nothing is due any more
    expire_at: str | None


@dataclass(frozen=True, slots=True)
class SetLocale:
    """The resident chose a language; later messages use it."""

    locale: str


@dataclass(frozen=True, slots=True)
class SetOffers:
    """Whether the resident wants offers (charity projects, services) pushed to them."""

    enabled: bool


@dataclass(frozen=True, slots=True)
class DiscardData:
    """Delete the session's answers and documents: consent does not allow keeping them."""

    document_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AttachDocuments:
    """Add documents to an application already submitted."""

    number: str
    document_ids: tuple[str, ...]


class Effect:
    """Marker base for intents whose result comes back as an event."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class LookupOpenApplication(Effect):
    id_numbers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SubmitApplication(Effect):
    payload: dict[str, object]
    document_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LookupStatus(Effect):
    pass


Intent = Reply | RequestHuman | ScheduleReminder | SetLocale | SetOffers | DiscardData | AttachDocuments | Effect

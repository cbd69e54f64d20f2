"""Inbound events: what a channel hands the engine, and the results of effects fed back."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Text:
    """Words the resident typed (or a channel's speech recognition heard)."""

    text: str


@dataclass(frozen=True, slots=True)
class Choice:
    """A button press; ``value`` is the option's value as the engine offered it."""

    value: str


@dataclass(frozen=True, slots=True)
class FileUpload:
    """A document the channel has already put in document storage."""

    document_id: str
    filename: str
    size: int


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command such as ``/status``, with whatever followed it."""

    name: str
    arg: str = ""


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A sticker, voice note, location or anything else the flow cannot take."""

    kind: str


@dataclass(frozen=True, slots=True)
class Tick:
    """The scheduler's nudge: time has passed without the resident writing."""


# Results of effects, fed back by the runner within the same turn.


@dataclass(frozen=True, slots=True)
class OpenApplicationFound:
    """The resident already has an application under way: its number and status."""

    number: str
    status: str


@dataclass(frozen=True, slots=True)
class NoOpenApplication:
    """No application of the resident's is under way; a new one may start."""


@dataclass(frozen=True, slots=True)
class ApplicationSubmitted:
    number: str
    review_by: str  # ISO date by which a caseworker will have reviewed it


@dataclass(frozen=True, slots=True)
class SubmissionFailed:
    """The submission could not be taken (refused, or a service down); nothing was stored."""


@dataclass(frozen=True, slots=True)
class StatusListed:
    applications: tuple[dict[str, object], ...] = field(default=())  # as the backend lists them


Event = (
    Text
    | Choice
    | FileUpload
    | Command
    | Unsupported
    | Tick
    | OpenApplicationFound
    | NoOpenApplication
    | ApplicationSubmitted
    | SubmissionFailed
    | StatusListed
)


def kind_of(event: Event) -> str:
    """A content-free name for logs and the turn log."""
    if isinstance(event, Command):
        return f"command:{event.name}"
    return type(event).__name__.lower()

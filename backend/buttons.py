"""What a notification's buttons do, as values: the backend says which action and which ids,
and each channel turns them into its own buttons (the bot's callback codec, ``bot/callbacks.py``).

A notification's params carry them as ``{"buttons": [{"label": KEY, "action": {...}}]}``, JSON
as stored; ``button`` writes one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import ClassVar


class TaskChoice(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    DONE = "done"
    MISSED = "missed"
    CHECK_IN = "check_in"  # the volunteer arrived
    CHECK_OUT = "check_out"  # the volunteer leaves: the time between is what they served


class HomeChoice(StrEnum):
    APPLY = "apply"  # a volunteer applies for help themselves


@dataclass(frozen=True, slots=True)
class AnswerOffer:
    """Accept or decline an offer (a charity project, a volunteer service, the scheme)."""

    kind: ClassVar[str] = "offer"
    offer_id: int
    accept: bool


@dataclass(frozen=True, slots=True)
class ListOffers:
    """Show the resident's open offers, each to accept or decline."""

    kind: ClassVar[str] = "offers"


@dataclass(frozen=True, slots=True)
class ReplyNow:
    """Start answering the office's request for information about an application."""

    kind: ClassVar[str] = "reply"
    number: str


@dataclass(frozen=True, slots=True)
class AnswerTask:
    """A volunteer answers a task's ping, or checks in after it."""

    kind: ClassVar[str] = "task"
    task_id: int
    choice: TaskChoice


@dataclass(frozen=True, slots=True)
class RateTask:
    """The household rates the help it had, one to five stars."""

    kind: ClassVar[str] = "rate"
    task_id: int
    stars: int


@dataclass(frozen=True, slots=True)
class ApplyPrefilled:
    """Open the application the office filled in after a monitoring alert."""

    kind: ClassVar[str] = "apply"
    alert_id: int


@dataclass(frozen=True, slots=True)
class VolunteerHome:
    """On a volunteer's home: apply for help themselves."""

    kind: ClassVar[str] = "home"
    choice: HomeChoice


ButtonAction = AnswerOffer | ListOffers | ReplyNow | AnswerTask | RateTask | ApplyPrefilled | VolunteerHome
ACTIONS: dict[str, type[ButtonAction]] = {
    a.kind: a for a in (AnswerOffer, ListOffers, ReplyNow, AnswerTask, RateTask, ApplyPrefilled, VolunteerHome)
}


def button(action: ButtonAction, label: str) -> dict[str, object]:
    """A notification button as its params store it: the label's message key and the action."""
    return {"label": label, "action": {"kind": action.kind, **asdict(action)}}


def action_of(data: object) -> ButtonAction | None:
    """The action stored as ``data`` (decoded JSON); None when it is no action known here."""
    if not isinstance(data, dict) or data.get("kind") not in ACTIONS:
        return None
    fields = {k: v for k, v in data.items() if k != "kind"}
    try:
        if data["kind"] == "offer":
            return AnswerOffer(_int(fields["offer_id"]), _bool(fields["accept"]))
        if data["kind"] == "offers":
            return ListOffers()
        if data["kind"] == "reply":
            return ReplyNow(_str(fields["number"]))
        if data["kind"] == "task":
            return AnswerTask(_int(fields["task_id"]), TaskChoice(fields["choice"]))
        if data["kind"] == "rate":
            return RateTask(_int(fields["task_id"]), _int(fields["stars"]))
        if data["kind"] == "home":
            return VolunteerHome(HomeChoice(fields["choice"]))
        return ApplyPrefilled(_int(fields["alert_id"]))
    except (KeyError, ValueError, TypeError):
        return None


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(value)
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(value)
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value

"""The callback codec: a notification button's action as the value a chat button carries, and back.

Values are versioned. Version 2 reads ``v2:<kind>:<fields>``. Version 1 is what the backend wrote
before actions were typed (``offer:12:accept``, ``reply:HB-…``, ``task:3:accept``, ``rate:3:5``,
``apply:7``): messages and notifications already stored with it keep working, so it is decoded,
never written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.buttons import (
    AnswerOffer,
    AnswerTask,
    ApplyPrefilled,
    ButtonAction,
    HomeChoice,
    ListOffers,
    RateTask,
    ReplyNow,
    TaskChoice,
    VolunteerHome,
    action_of,
)

VERSION = 2
_PREFIX = f"v{VERSION}:"
_STARS = frozenset("12345")


def encode(action: ButtonAction) -> str:
    """The value a chat button carries for ``action``."""
    match action:
        case AnswerOffer(offer_id, accept):
            fields = f"{offer_id}:{'accept' if accept else 'decline'}"
        case ListOffers():
            fields = ""
        case ReplyNow(number):
            fields = number
        case AnswerTask(task_id, choice):
            fields = f"{task_id}:{choice.value}"
        case RateTask(task_id, stars):
            fields = f"{task_id}:{stars}"
        case ApplyPrefilled(alert_id):
            fields = str(alert_id)
        case VolunteerHome(choice):
            fields = choice.value
    return f"{_PREFIX}{action.kind}:{fields}"


def decode(value: str) -> ButtonAction | None:
    """The action a button's value stands for (either version); None for any other value (an
    answer to a question, or a malformed one)."""
    if value.startswith(_PREFIX):
        kind, _, fields = value[len(_PREFIX):].partition(":")
        return _decode(kind, fields)
    kind, _, fields = value.partition(":")
    return _decode(kind, fields) if kind in _V1_KINDS else None


def is_action(value: str) -> bool:
    return decode(value) is not None


def notification_buttons(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A notification's buttons as (value, label key), from params stored in either form: the
    typed actions, or version 1's ``[value, label key]`` pairs."""
    shown = []
    for stored in params.get("buttons") or ():
        if isinstance(stored, Mapping):
            action = action_of(stored.get("action"))
            if action is not None:
                shown.append((encode(action), str(stored.get("label", ""))))
        elif isinstance(stored, list | tuple) and len(stored) == 2:
            shown.append((str(stored[0]), str(stored[1])))
    return shown


def _decode(kind: str, fields: str) -> ButtonAction | None:
    if kind == "reply":
        return ReplyNow(fields)
    if kind == "offers":
        return ListOffers() if not fields else None
    if kind == "home":
        return VolunteerHome(HomeChoice(fields)) if fields in {c.value for c in HomeChoice} else None
    head, _, tail = fields.partition(":")
    if not (head.isascii() and head.isdigit()):
        return None
    if kind == "apply":
        return ApplyPrefilled(int(head)) if not tail and ":" not in fields else None
    if ":" in tail:
        return None
    if kind == "offer" and tail in ("accept", "decline"):
        return AnswerOffer(int(head), tail == "accept")
    if kind == "task" and tail in {c.value for c in TaskChoice}:
        return AnswerTask(int(head), TaskChoice(tail))
    if kind == "rate" and tail in _STARS:
        return RateTask(int(head), int(tail))
    return None


_V1_KINDS = frozenset({"offer", "reply", "task", "rate", "apply"})

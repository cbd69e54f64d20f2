"""What the emulator saw: API calls, and what reached a follower."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ApiCall:
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    # The error code the call was answered with (0: success), or "drop" / "slow".
    outcome: int | str = 0


@dataclass(frozen=True, slots=True)
class Received:
    """A message a follower got: ``kind`` is "passive", "custom" or "template"."""

    openid: str
    kind: str
    text: str = ""
    # A msgmenu's items as (id, content); a template's id and data.
    menu: tuple[tuple[str, str], ...] = ()
    template_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)

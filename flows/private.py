"""A value shown to the resident at the moment it matters and never kept in clear: the digits of
an ID number they just typed, say, in the error that tells them what is wrong with it.

A message parameter may be ``Private``. The channel that shows a reply at once shows its value;
whatever stores or logs the reply gets its masked form (``str()`` gives it, so code that does not
know about it cannot leak the value by formatting it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Private:
    """A message parameter with a clear ``value`` (repr hides it) and a ``masked`` form."""

    value: str = field(repr=False)
    masked: str

    def __str__(self) -> str:
        return self.masked


def has_private(params: Mapping[str, object]) -> bool:
    return any(isinstance(v, Private) for v in params.values())


def revealed(params: Mapping[str, object]) -> dict[str, object]:
    """The parameters with each private value in clear (for the resident's eyes only)."""
    return {k: v.value if isinstance(v, Private) else v for k, v in params.items()}


def masked(params: Mapping[str, object]) -> dict[str, object]:
    """The parameters with each private value masked (for what is stored)."""
    return {k: v.masked if isinstance(v, Private) else v for k, v in params.items()}

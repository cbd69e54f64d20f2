"""Notes the system writes on a case's history, kept as a code with parameters (never as prose in
one language) so that each reader sees them as a sentence in their own language.

A stored note reads ``system:<code>?<query>``; ``decode`` also reads the English notes that rows
written before the codes hold, so old histories stay readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

PREFIX = "system:"
ASSESSED = "assessed"
LEAST_LOADED = "least_loaded"
ON_DUTY = "on_duty"

_LEGACY_ASSESSED = re.compile(r"layer (\w+), resilience level (\w+)(, emergency)?")
_LEGACY = {"least-loaded caseworker": LEAST_LOADED, "emergency: on-duty caseworker": ON_DUTY}


@dataclass(frozen=True, slots=True)
class SystemNote:
    code: str
    params: dict[str, str] = field(default_factory=dict)


def encode(code: str, **params: object) -> str:
    """The stored form of a system note; parameters that are None are left out."""
    query = urlencode({k: str(v) for k, v in params.items() if v is not None})
    return f"{PREFIX}{code}" + (f"?{query}" if query else "")


def assessed(layer: str | None, resilience_level: int | None, *, emergency: bool) -> str:
    return encode(ASSESSED, layer=layer, level=resilience_level, emergency="1" if emergency else None)


def decode(note: str) -> SystemNote | None:
    """The system note a stored note is, or None for a person's own words."""
    if note.startswith(PREFIX):
        code, _, query = note[len(PREFIX):].partition("?")
        return SystemNote(code, dict(parse_qsl(query)))
    if note in _LEGACY:
        return SystemNote(_LEGACY[note])
    found = _LEGACY_ASSESSED.fullmatch(note)
    if found:
        layer, level, emergency = found.groups()
        params = {"layer": layer, "level": level} if level != "None" else {"layer": layer}
        if layer == "None":
            params.pop("layer")
        if emergency:
            params["emergency"] = "1"
        return SystemNote(ASSESSED, params)
    return None

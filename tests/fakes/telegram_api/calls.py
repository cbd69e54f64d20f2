"""One Bot API request the emulator received, with its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ApiCall:
    """One Bot API request the emulator received."""

    method: str
    params: dict[str, Any]
    time: float
    status: int | None = None
    fault: str | None = None
    response: dict[str, Any] | None = None
    http_method: str = "POST"

    @property
    def ok(self) -> bool:
        """Whether the call was answered with a 2xx status."""
        return self.status is not None and 200 <= self.status < 300

"""The port of the WeChat access token store, shared by every process of a deployment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_at: datetime


class AccessTokenStore(Protocol):
    async def lock(self, app_id: str) -> None:
        """Hold the account's token until the unit of work ends: one process refreshes it at a time."""

    async def get(self, app_id: str) -> AccessToken | None: ...

    async def put(self, app_id: str, token: AccessToken, *, at: datetime) -> None: ...

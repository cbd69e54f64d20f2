"""One API endpoint declared as data (its handler, roles and models), and the role sets endpoints name."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from backend.api.errors import Handler
from backend.cases.ports import Role

STAFF = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN})
MANAGERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
ANYONE = frozenset(Role)
CREATORS = frozenset({Role.BOT_SERVICE, Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What the router adds and the OpenAPI document describes; a caseworker or supervisor is further
    kept to their own office's cases by the case service."""

    method: str
    path: str
    handler: Handler
    roles: frozenset[Role]
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    many: bool = False  # the response is a list of ``response``
    # Authenticated by the caller's signature instead of a bearer token (a department's push).
    signed: bool = False

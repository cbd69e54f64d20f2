"""Bearer-token authentication and per-endpoint roles for ``/api/v1``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from backend.api.errors import error_response
from backend.app_keys import DATABASE, USER
from backend.cases.ports import Role, User
from backend.staff.accounts import authenticate

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC = frozenset({"/api/v1/openapi.json"})


class RecentTokens:
    """Tokens seen valid in the last ``ttl`` seconds, so a busy client is not looked up on every
    request (on SQLite each lookup would queue for the write lock). A rotated or deactivated
    token therefore stops working within ``ttl`` seconds, not at once."""

    def __init__(self, ttl: float = 10.0, size: int = 1024, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._size, self._clock = ttl, size, clock
        self._users: dict[str, tuple[User, float]] = {}

    def get(self, token: str) -> User | None:
        found = self._users.get(token)
        if found is None or found[1] < self._clock():
            return None
        return found[0]

    def put(self, token: str, user: User) -> None:
        if len(self._users) >= self._size:
            self._users.clear()
        self._users[token] = (user, self._clock() + self._ttl)


def bearer_auth(
    roles_of: Callable[[web.Request], frozenset[Role] | None],
    recent: RecentTokens | None = None,
    *,
    signed: Callable[[web.Request], bool] = lambda request: False,
) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A middleware: 401 without a valid token, 403 when the endpoint is not for the user's role.

    Endpoints ``signed`` names take no token: their handler checks the caller's signature (a
    department pushing events), and a token would prove nothing about the department.
    """
    recent = recent or RecentTokens()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/api/") or request.path in PUBLIC or signed(request):
            return await handler(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error_response(401, "unauthorized", "send 'Authorization: Bearer <token>'")
        token = token.strip()
        user = recent.get(token)
        if user is None:
            async with request.app[DATABASE].unit_of_work() as uow:
                user = await authenticate(uow, token)
            if user is not None:
                recent.put(token, user)
        if user is None:
            return error_response(401, "unauthorized", "the token is not valid")
        roles = roles_of(request)
        if roles is not None and user.role not in roles:
            return error_response(403, "forbidden", f"a {user.role.value} cannot use this endpoint")
        request[USER] = user
        return await handler(request)

    return middleware

"""Bearer-token authentication and per-endpoint roles for ``/api/v1``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from backend.api.errors import error_response
from backend.api.keys import DATABASE, USER
from backend.cases.ports import Role
from backend.staff.accounts import authenticate

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC = frozenset({"/api/v1/openapi.json"})


def bearer_auth(roles_of: Callable[[web.Request], frozenset[Role] | None]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A middleware: 401 without a valid token, 403 when the endpoint is not for the user's role."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/api/") or request.path in PUBLIC:
            return await handler(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return error_response(401, "unauthorized", "send 'Authorization: Bearer <token>'")
        async with request.app[DATABASE].unit_of_work() as uow:
            user = await authenticate(uow, token.strip())
        if user is None:
            return error_response(401, "unauthorized", "the token is not valid")
        roles = roles_of(request)
        if roles is not None and user.role not in roles:
            return error_response(403, "forbidden", f"a {user.role.value} cannot use this endpoint")
        request[USER] = user
        return await handler(request)

    return middleware

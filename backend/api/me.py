"""The signed-in user: who the token belongs to."""

from __future__ import annotations

from aiohttp import web

from backend.api.endpoint import ANYONE, Endpoint
from backend.api.schemas import Me
from backend.app_keys import USER


async def me(request: web.Request) -> web.Response:
    user = request[USER]
    profile = Me(username=user.username, display_name=user.display_name, role=user.role.value, office=user.office)
    return web.json_response(profile.model_dump())


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/api/v1/me", me, ANYONE, "The signed-in user", response=Me),
)

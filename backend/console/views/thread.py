"""Writing to the resident from the case page (the thread shows it with everything else)."""

from __future__ import annotations

from aiohttp import web

from backend.app_keys import CASES
from backend.console.common import database_of, form_of, now_of, redirect, user_of
from backend.console.views.case import number_of
from backend.store.errors import DecisionRefused

MAX_TEXT = 2000


async def send_message(request: web.Request) -> web.StreamResponse:
    number = number_of(request)
    body = (await form_of(request)).get("body", "")[:MAX_TEXT]
    async with database_of(request).unit_of_work() as uow:
        try:
            await request.config_dict[CASES].send_message(uow, user_of(request), number, body, now=now_of(request))
        except DecisionRefused:
            raise redirect(f"/console/cases/{number}", error="console.refused.message") from None
        await uow.commit()
    raise redirect(f"/console/cases/{number}", flash="console.flash.message")

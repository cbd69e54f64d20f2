"""Requests for a person: the live list of open tickets, and claiming, answering and closing one
through the same desk as Telegram and the terminal, so the resident hears it in their channel."""

from __future__ import annotations

from aiohttp import web

from backend.bounds import integer
from backend.cases.service import Forbidden
from backend.console.common import database_of, form_of, now_of, redirect, render, scope_of, user_of
from backend.console.keys import DESK
from backend.console.ports import Desk

LIMIT = 200


def _desk(request: web.Request) -> Desk | None:
    return request.config_dict.get(DESK)


async def _tickets(request: web.Request) -> dict[str, object]:
    user = user_of(request)
    async with database_of(request).unit_of_work() as uow:
        tickets = await uow.reports.tickets(scope_of(request), username=user.username, limit=LIMIT)
    return {"tickets": tickets, "desk": _desk(request) is not None}


async def escalations(request: web.Request) -> web.Response:
    return render(request, "escalations.html.j2", await _tickets(request))


async def live(request: web.Request) -> web.Response:
    """The list alone, for the page to refresh itself every few seconds."""
    return render(request, "tickets.html.j2", await _tickets(request))


def _ticket_id(request: web.Request) -> int:
    found = integer(request.match_info["ticket"], low=1)
    if found is None:
        raise web.HTTPNotFound()
    return found


async def ticket(request: web.Request) -> web.Response:
    user = user_of(request)
    ticket_id = _ticket_id(request)
    async with database_of(request).unit_of_work() as uow:
        found = await uow.escalations.get(ticket_id)
        if found is None:
            raise web.HTTPNotFound()
        _check_scope(request, found.office)
        said = await uow.escalations.messages(ticket_id)
    return render(request, "ticket.html.j2", {"ticket": found, "said": said, "desk": _desk(request) is not None,
                                              "mine": found.claimed_by == user.username})


def _check_scope(request: web.Request, office: str | None) -> None:
    scope = scope_of(request)
    if user_of(request).office is not None and office not in (None, scope.office):
        raise Forbidden("another office's request")


async def _audit(request: web.Request, action: str, ticket_id: int) -> None:
    """What a caseworker did with a request for a person from the console (never what was said)."""
    async with database_of(request).unit_of_work() as uow:
        await uow.audit.record(actor=user_of(request).username, action=f"escalation.{action}",
                               target=f"escalation:{ticket_id}", details={"from": "console"}, at=now_of(request))
        await uow.commit()


async def claim(request: web.Request) -> web.StreamResponse:
    ticket_id = _ticket_id(request)
    desk = _desk(request)
    if desk is None or not await desk.claim(user_of(request), ticket_id):
        raise redirect(f"/console/escalations/{ticket_id}", error="console.refused.ticket")
    await _audit(request, "claim", ticket_id)
    raise redirect(f"/console/escalations/{ticket_id}", flash="console.flash.claimed")


async def reply(request: web.Request) -> web.StreamResponse:
    ticket_id = _ticket_id(request)
    text = (await form_of(request)).get("text", "")[:2000]
    desk = _desk(request)
    if not text or desk is None or not await desk.reply(user_of(request), ticket_id, text):
        raise redirect(f"/console/escalations/{ticket_id}", error="console.refused.reply")
    await _audit(request, "reply", ticket_id)
    raise redirect(f"/console/escalations/{ticket_id}", flash="console.flash.replied")


async def close(request: web.Request) -> web.StreamResponse:
    ticket_id = _ticket_id(request)
    note = (await form_of(request)).get("note", "")[:2000]
    desk = _desk(request)
    if desk is None or not await desk.close(user_of(request), ticket_id, note):
        raise redirect(f"/console/escalations/{ticket_id}", error="console.refused.ticket")
    await _audit(request, "close", ticket_id)
    raise redirect("/console/escalations", flash="console.flash.closed")

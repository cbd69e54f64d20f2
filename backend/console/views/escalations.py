"""Requests for a person: the live list of open tickets, and claiming, answering and closing one
through the same desk as Telegram and the terminal, so the resident hears it in their channel."""

from __future__ import annotations

from aiohttp import web

from backend.bounds import integer
from backend.cases.ports import Role, UserRepository
from backend.console.common import database_of, form_of, now_of, redirect, render, scope_of, user_of
from backend.console.keys import DESK
from backend.ports import EscalationScope
from backend.store.console import Desk
from backend.store.errors import Forbidden

LIMIT = 200


def _desk(request: web.Request) -> Desk | None:
    return request.config_dict.get(DESK)


def _scope(request: web.Request) -> EscalationScope:
    """The user's requests for a person; an administrator who chose an office sees that office's."""
    user = user_of(request)
    scope = EscalationScope.of(user)
    chosen = scope_of(request).office
    return scope.only(chosen) if user.role is Role.ADMIN and chosen else scope


async def _tickets(request: web.Request) -> dict[str, object]:
    async with database_of(request).unit_of_work() as uow:
        tickets = await uow.escalations.listed(_scope(request), limit=LIMIT)
        people = await _people(uow.users)
    return {"tickets": tickets, "desk": _desk(request) is not None, "people": people}


async def _people(users: UserRepository) -> dict[str, str]:
    """Staff by username, so that who claimed or answered a request is shown by name."""
    return {u.username: u.display_name for u in await users.list()}


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
        if await uow.escalations.get(ticket_id) is None:
            raise web.HTTPNotFound()
        found = await uow.escalations.visible(ticket_id, EscalationScope.of(user))
        if found is None:
            raise Forbidden("a request outside the user's queues")
        said = await uow.escalations.messages(ticket_id)
        people = await _people(uow.users)
    return render(request, "ticket.html.j2", {"ticket": found, "said": said, "desk": _desk(request) is not None,
                                              "people": people,
                                              "mine": found.claimed_by == user.username})


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

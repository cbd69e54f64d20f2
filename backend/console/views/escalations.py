"""Requests for a person: the live list of open tickets, and claiming, answering and closing one
through the same desk as Telegram and the terminal, so the resident hears it in their channel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from backend.bounds import integer
from backend.cases.ports import Role, User, UserRepository
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


async def _through_desk(request: web.Request, action: str, call: Callable[[Desk, User, int], Awaitable[bool]] | None,
                        *, refused: str, flash: str, then: str | None = None) -> web.HTTPSeeOther:
    """Do ``action`` on the ticket through the desk and say where the caseworker goes: back to the
    ticket with the refusal when there is nothing to do (``call`` None), no desk or the desk did not
    do it; else, the action audited, to ``then`` (the ticket by default) with ``flash``."""
    ticket_id = _ticket_id(request)
    page = f"/console/escalations/{ticket_id}"
    desk = _desk(request)
    if call is None or desk is None or not await call(desk, user_of(request), ticket_id):
        return redirect(page, error=refused)
    await _audit(request, action, ticket_id)
    return redirect(then or page, flash=flash)


async def claim(request: web.Request) -> web.StreamResponse:
    raise await _through_desk(request, "claim", lambda desk, user, ticket_id: desk.claim(user, ticket_id),
                              refused="console.refused.ticket", flash="console.flash.claimed")


async def reply(request: web.Request) -> web.StreamResponse:
    text = (await form_of(request)).get("text", "")[:2000]
    said = (lambda desk, user, ticket_id: desk.reply(user, ticket_id, text)) if text else None
    raise await _through_desk(request, "reply", said, refused="console.refused.reply", flash="console.flash.replied")


async def close(request: web.Request) -> web.StreamResponse:
    note = (await form_of(request)).get("note", "")[:2000]
    raise await _through_desk(request, "close", lambda desk, user, ticket_id: desk.close(user, ticket_id, note),
                              refused="console.refused.ticket", flash="console.flash.closed",
                              then="/console/escalations")

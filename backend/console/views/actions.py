"""What a caseworker does to a case from the console: lifecycle actions, notes and service tasks.

Each goes through the same services as the API (the case service, volunteering), so scopes,
maker-checker and the audit log are theirs; a refusal comes back to the case page, named.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from aiohttp import web

from backend.app_keys import CASES, PACK, VOLUNTEERING
from backend.bounds import integer
from backend.cases.lifecycle import CaseAction, IllegalTransition
from backend.cases.service import ActionRequest
from backend.console.common import database_of, form_lists, form_of, now_of, redirect, user_of
from backend.console.views.case import number_of
from backend.store.errors import DecisionRefused
from backend.volunteers.ports import TaskSpec
from backend.volunteers.service import MAX_TASK_MINUTES

MAX_TEXT = 2000


def _case_url(number: str) -> str:
    return f"/console/cases/{number}"


def _refused(number: str, field: str | None) -> web.HTTPSeeOther:
    return redirect(_case_url(number), error=f"console.refused.{field or 'second_caseworker'}")


def _local(request: web.Request, day: str, time: str) -> datetime | None:
    """A date and time typed in the region's time zone, as an aware datetime (None if malformed)."""
    zone = ZoneInfo(request.config_dict[PACK].regions.timezone)
    try:
        return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=zone)
    except ValueError:
        return None


async def act(request: web.Request) -> web.StreamResponse:
    number = number_of(request)
    form = await form_of(request)
    try:
        action = CaseAction(form.get("action", ""))
    except ValueError:
        raise redirect(_case_url(number), error="console.refused.action") from None
    note = form.get("note", "")[:MAX_TEXT]
    amount: Decimal | None = None
    if form.get("amount"):
        try:
            amount = Decimal(form["amount"])
        except InvalidOperation:
            raise _refused(number, "amount") from None
    visit_at = None
    if action is CaseAction.SCHEDULE_VISIT:
        day, _, time = form.get("visit_at", "").partition("T")
        visit_at = _local(request, day, time)
        if visit_at is None:
            raise _refused(number, "visit_at")
    package = await form_lists(request, "package") if action is CaseAction.PROPOSE else None
    reasons = tuple(line.strip() for line in form.get("reasons", "").splitlines() if line.strip())
    action_request = ActionRequest(
        action=action, note=note, assignee=form.get("assignee") or None,
        question=form.get("question", "")[:MAX_TEXT] or None, visit_at=visit_at,
        package=tuple(package) if package else None, amount=amount, reasons=reasons,
    )
    try:
        async with database_of(request).unit_of_work() as uow:
            await request.config_dict[CASES].act(uow, user_of(request), number, action_request, now=now_of(request))
            await uow.commit()
    except IllegalTransition:
        raise redirect(_case_url(number), error="console.refused.illegal") from None
    except DecisionRefused as error:
        raise _refused(number, error.field) from None
    raise redirect(_case_url(number), flash=f"console.flash.{action.value}")


async def add_note(request: web.Request) -> web.StreamResponse:
    number = number_of(request)
    body = (await form_of(request)).get("body", "")[:MAX_TEXT]
    if not body:
        raise redirect(_case_url(number), error="console.refused.note")
    async with database_of(request).unit_of_work() as uow:
        await request.config_dict[CASES].add_note(uow, user_of(request), number, body, now=now_of(request))
        await uow.commit()
    raise redirect(_case_url(number), flash="console.flash.note")


async def create_task(request: web.Request) -> web.StreamResponse:
    number = number_of(request)
    user = user_of(request)
    form = await form_of(request)
    starts_at = _local(request, form.get("day", ""), form.get("time", ""))
    # Anything but a whole number of minutes a task may take is 0, which the service refuses by name.
    minutes = integer(form.get("minutes"), high=MAX_TASK_MINUTES) or 0
    if starts_at is None:
        raise redirect(_case_url(number), error="console.refused.starts_at")
    now = now_of(request)
    async with database_of(request).unit_of_work() as uow:
        case = await request.config_dict[CASES].get(uow, user, number, now=now)
        spec = TaskSpec(
            skill=form.get("skill", ""), office=case.office, given_name=form.get("given_name", "")[:60],
            address=form.get("address", "")[:MAX_TEXT], details=form.get("details", "")[:MAX_TEXT],
            starts_at=starts_at, ends_at=starts_at + timedelta(minutes=max(minutes, 1)),
            duration_minutes=minutes, application_number=number,
        )
        try:
            await request.config_dict[VOLUNTEERING].create_task(uow, user, spec, now=now)
        except DecisionRefused as error:
            raise redirect(_case_url(number), error=f"console.refused.{error.field or 'task'}") from None
        await uow.commit()
    raise redirect(_case_url(number), flash="console.flash.task")

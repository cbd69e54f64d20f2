"""What a caseworker does to a case from the console: lifecycle actions, notes and service tasks.

Each goes through the same services as the API (the case service, volunteering), so scopes,
maker-checker and the audit log are theirs; a refusal comes back to the case page, named.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from aiohttp import web

from amounts import ParseError, parse_amount
from backend.app_keys import CASES, PACK, TRANSLATIONS, VOLUNTEERING
from backend.bounds import integer
from backend.cases.lifecycle import CaseAction, IllegalTransition, Lifecycle
from backend.cases.service import ActionRequest
from backend.console.common import database_of, form_lists, form_of, now_of, redirect, user_of
from backend.console.views.case import PREVIEWED, number_of, render_case
from backend.store.errors import DecisionRefused
from backend.volunteers.ports import TaskSpec
from backend.volunteers.service import MAX_TASK_MINUTES

MAX_TEXT = 2000
_LIFECYCLE = Lifecycle()
# The largest monthly amount a proposal may name; anything above is a typing slip.
MAX_AMOUNT = Decimal("99999999.99")


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


def _amount(typed: str) -> tuple[Decimal | None, str | None]:
    """An amount as people write it (两千二, 2,200, 2200元) and the error key if it is none."""
    if not typed:
        return None, None
    try:
        return parse_amount(typed, maximum=MAX_AMOUNT), None
    except ParseError as error:
        return None, f"console.field.{error.code}"


async def act(request: web.Request) -> web.StreamResponse:
    """Take a lifecycle action. A form that cannot be used comes back with what was typed and the
    error at its field; a decision first comes back with the resident's message to confirm."""
    number = number_of(request)
    form = await form_of(request)
    try:
        action = CaseAction(form.get("action", ""))
    except ValueError:
        raise redirect(_case_url(number), error="console.refused.action") from None
    typed = {k: v for k, v in form.items() if k != "csrf"}
    package = await form_lists(request, "package") if action is CaseAction.PROPOSE else None
    typed_back: dict[str, object] = {**typed, "package": package}
    amount, amount_error = _amount(form.get("amount", ""))
    if amount_error:
        return await render_case(request, {"action": action, "typed": typed_back, "errors": {"amount": amount_error}},
                                 status=422)
    visit_at = None
    if action is CaseAction.SCHEDULE_VISIT:
        day, _, time = form.get("visit_at", "").partition("T")
        visit_at = _local(request, day, time)
        if visit_at is None:
            return await render_case(request, {"action": action, "typed": typed_back,
                                               "errors": {"visit_at": "console.refused.visit_at"}}, status=422)
    reason_codes = tuple(await form_lists(request, "reason_codes")) if action is CaseAction.REJECT else ()
    action_request = ActionRequest(
        action=action, note=form.get("note", "")[:MAX_TEXT], assignee=form.get("assignee") or None,
        question=form.get("question", "")[:MAX_TEXT] or None, visit_at=visit_at,
        package=tuple(package) if package else None, amount=amount, reason_codes=reason_codes,
        resident_text=form.get("resident_text", "")[:MAX_TEXT],
    )
    typed_back["reason_codes"] = list(reason_codes)
    cases = request.config_dict[CASES]
    user = user_of(request)
    now = now_of(request)
    try:
        if action in PREVIEWED and form.get("confirmed") != "1":
            async with database_of(request).unit_of_work() as uow:
                case = await cases.get(uow, user, number, now=now)
                resident = await uow.residents.get(case.resident_id)
                await uow.commit()  # the audited read
            # Refused as the action itself would be (its status, maker-checker, its fields), so
            # that nothing is confirmed in vain.
            _LIFECYCLE.apply(case.status, action)
            cases.check(user, case, action_request, now=now)
            if action not in cases.allowed(user, case, now=now):
                raise _refused(number, None)
            # The notice as the resident will read it, in their language (the page escapes it).
            messages = request.config_dict[TRANSLATIONS]((resident.locale if resident else None) or "")
            text = cases.preview(case, action_request, messages, now=now)
            return await render_case(request, {"action": action, "typed": typed_back, "confirm": action,
                                               "preview": text})
        async with database_of(request).unit_of_work() as uow:
            await cases.act(uow, user, number, action_request, now=now)
            await uow.commit()
    except IllegalTransition:
        raise redirect(_case_url(number), error="console.refused.illegal") from None
    except DecisionRefused as error:
        if error.field:
            return await render_case(request, {"action": action, "typed": typed_back,
                                               "errors": {error.field: f"console.refused.{error.field}"}}, status=422)
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

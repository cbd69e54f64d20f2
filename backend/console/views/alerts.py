"""Monitoring alerts as work items: the list with the reason in words and its filters, an alert's
page with the household and what may be done (acknowledge, schedule a home visit, hand over the
pre-filled application's link, act, dismiss), and the printable home-visit list.

Every action goes through the alert service (backend.monitoring.alerts), as the API's do, so the
office scope, the lifecycle and the audit log are the service's; a refusal comes back to the
alert's page, named.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup

from backend.app_keys import CONFIG, OUTREACH, PACK
from backend.cases.ports import OFFICE_ROLES
from backend.console.alert_rows import AlertRow, alert_row, household_facts
from backend.console.common import (
    database_of,
    form_of,
    messages_of,
    now_of,
    redirect,
    render,
    user_of,
)
from backend.monitoring import alerts as service
from backend.monitoring.outreach_ports import Contact
from backend.monitoring.records import AlertAction, AlertQuery, AlertStatus
from backend.store.errors import DecisionRefused

PAGE = 50
VISITS = 200
# The time-left filter: open alerts past their deadline, due within a day, due later.
TIME_LEFT = ("overdue", "day", "later")
DAY = timedelta(hours=24)
_ACTIONS = {a.value: a for a in AlertAction}
_OPEN = {AlertStatus.NEW.value, AlertStatus.ACKNOWLEDGED.value}


def _alert_url(alert_id: int) -> str:
    return f"/console/alerts/{alert_id}"


def _alert_id(request: web.Request) -> int:
    raw = request.match_info["alert"]
    if not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound()
    return int(raw)


def _today(request: web.Request) -> date:
    return now_of(request).astimezone(ZoneInfo(request.config_dict[PACK].regions.timezone)).date()


def _filters(request: web.Request) -> dict[str, str]:
    """The list's filters as chosen, each kept only when it is one of its choices."""
    q = request.query
    rules = {rule.id for rule in request.config_dict[PACK].triggers.rules}
    offices = request.config_dict[PACK].regions.office_codes()
    chosen = {
        "office": q.get("office", "") if user_of(request).role not in OFFICE_ROLES else "",
        "rule": q.get("rule", ""),
        "status": q.get("status", ""),
        "left": q.get("left", ""),
    }
    valid = {"office": chosen["office"] in offices, "rule": chosen["rule"] in rules,
             "status": chosen["status"] in {s.value for s in AlertStatus}, "left": chosen["left"] in TIME_LEFT}
    return {name: value for name, value in chosen.items() if valid[name]}


def _query(request: web.Request, filters: dict[str, str], page: int) -> AlertQuery:
    now = now_of(request)
    due_from = due_to = None
    if filters.get("left") == "overdue":
        due_to = now
    elif filters.get("left") == "day":
        due_from, due_to = now, now + DAY
    elif filters.get("left") == "later":
        due_from = now + DAY
    status = filters.get("status")
    return AlertQuery(office=filters.get("office"), status=AlertStatus(status) if status else None,
                      trigger=filters.get("rule"), due_from=due_from, due_to=due_to, limit=PAGE,
                      offset=page * PAGE)


def _page(request: web.Request) -> int:
    raw = request.query.get("page", "0")
    return min(int(raw), 10_000) if raw.isdigit() else 0


async def alerts(request: web.Request) -> web.Response:
    filters, page = _filters(request), _page(request)
    user, now = user_of(request), now_of(request)
    async with database_of(request).unit_of_work() as uow:
        found, total = await service.list_alerts(uow, user, _query(request, filters, page), now=now)
        visits = (await service.list_alerts(uow, user, AlertQuery(office=filters.get("office"), visits=True,
                                                                  limit=1), now=now))[1]
    messages = messages_of(request)
    zone = ZoneInfo(request.config_dict[PACK].regions.timezone)
    rows = [alert_row(messages, a, now, zone) for a in found]
    return render(request, "alerts.html.j2", {
        "rows": rows, "total": total, "filters": filters, "visits": visits, "page": page,
        "more": (page + 1) * PAGE < total,
        "rules": [rule.id for rule in request.config_dict[PACK].triggers.rules],
        "statuses": [s.value for s in AlertStatus], "time_left": TIME_LEFT,
    })


async def alert_page(request: web.Request, *, form: dict[str, object] | None = None,
                     status: int = 200) -> web.Response:
    alert_id, user, now = _alert_id(request), user_of(request), now_of(request)
    async with database_of(request).unit_of_work() as uow:
        alert = await service.get_alert(uow, user, alert_id, now=now)  # audited: the page shows the trace
        history = [e for e in await uow.audit.for_target(f"alert:{alert_id}") if e.action != "alert.read"]
        household = await uow.outreach.alert(alert_id)
        contacts = await uow.outreach.contacts(alert.household_id)
        await uow.commit()
    messages = messages_of(request)
    zone = ZoneInfo(request.config_dict[PACK].regions.timezone)
    row = alert_row(messages, alert, now, zone)
    link = _link(request, alert_id) if request.query.get("link") == "1" and alert.status.value in _OPEN else None
    return render(request, "alert.html.j2", {
        "row": row, "alert": alert, "history": history,
        "members": household_facts(messages, household.household if household else {}),
        "head": _head(contacts),
        "actions": [a.value for a in service.allowed_actions(alert.status)],
        "open": alert.status.value in _OPEN, "link": link, "today": _today(request),
        "form": form or {}, "people": await _people(request),
    }, status=status)


async def _people(request: web.Request) -> dict[str, str]:
    async with database_of(request).unit_of_work() as uow:
        return {u.username: u.display_name for u in await uow.users.list()}


def _link(request: web.Request, alert_id: int) -> dict[str, object]:
    """The deep link of the alert's pre-filled application: a t.me address when the bot's username
    is known, else the command to type in any of Yimen's chats; and its QR code (inline SVG)."""
    payload = request.config_dict[OUTREACH].link(alert_id)
    bot = request.config_dict[CONFIG].telegram_bot_username
    target = f"https://t.me/{bot}?start={payload}" if bot else f"/start {payload}"
    return {"target": target, "url": target.startswith("https://"), "qr": qr_svg(target)}


def qr_svg(text: str) -> Markup:
    """``text`` as a QR code, an inline SVG (segno draws it; nothing is fetched)."""
    import segno  # only pages with a link need it

    # The text is ours (a signed payload, a bot's username): nothing in it needs escaping.
    return Markup(segno.make(text, error="m").svg_inline(scale=3, border=2))  # noqa: S704


async def act(request: web.Request) -> web.StreamResponse:
    """Take an action on an alert; a refusal comes back to its page with the field named."""
    alert_id, user, now = _alert_id(request), user_of(request), now_of(request)
    form = await form_of(request)
    action = form.get("action", "")
    try:
        async with database_of(request).unit_of_work() as uow:
            if action == "schedule_visit":
                on = _day(form.get("visit_on", ""))
                if on is None:
                    raise DecisionRefused("a home visit needs a day", field="visit_on")
                await service.schedule_visit(uow, user, alert_id, on, today=_today(request), now=now)
            elif action == "link":
                await service.record_link(uow, user, alert_id, now=now)
            elif action in _ACTIONS:
                await service.act_on_alert(uow, user, alert_id, _ACTIONS[action], note=form.get("note", "")[:2000],
                                           reason=form.get("reason", "")[:2000], now=now)
            else:
                raise DecisionRefused(f"no action {action!r}", field="action")
            await uow.commit()
    except DecisionRefused as refused:
        typed = {k: v for k, v in form.items() if k != "csrf"}
        return await alert_page(request, form={"action": action, "typed": typed,
                                               "error": f"console.refused.alert_{refused.field or 'action'}"},
                                status=422)
    except service.IllegalAlertTransition:
        raise redirect(_alert_url(alert_id), error="console.refused.alert_status") from None
    if action == "link":
        raise web.HTTPSeeOther(f"{_alert_url(alert_id)}?link=1#link")
    raise redirect(_alert_url(alert_id), flash=f"console.flash.alert_{action}")


def _day(typed: str) -> date | None:
    try:
        return date.fromisoformat(typed)
    except ValueError:
        return None


async def visits(request: web.Request) -> web.Response:
    """The households listed for a home visit, or with one scheduled: printable, each with the
    reason, the household's office and the link of its pre-filled application as a QR code."""
    user, now = user_of(request), now_of(request)
    filters = _filters(request)
    async with database_of(request).unit_of_work() as uow:
        found, total = await service.list_alerts(uow, user, AlertQuery(office=filters.get("office"), visits=True,
                                                                       limit=VISITS), now=now)
        heads = {alert.id: _head(await uow.outreach.contacts(alert.household_id)) for alert in found}
        # Printing the list hands over every link on it.
        for alert in found:
            await uow.audit.record(actor=user.username, action="alert.link", target=f"alert:{alert.id}",
                                   details={"list": "visits"}, at=now)
        await uow.commit()
    messages = messages_of(request)
    zone = ZoneInfo(request.config_dict[PACK].regions.timezone)
    # Scheduled visits first, by day; then the households listed and not scheduled yet, by deadline.
    ordered = sorted(found, key=lambda a: (a.visit_on is None, a.visit_on or date.min, a.deadline_at))
    entries: list[tuple[AlertRow, str | None, dict[str, object]]] = [
        (alert_row(messages, a, now, zone), heads[a.id], _link(request, a.id)) for a in ordered]
    return render(request, "visits.html.j2", {"entries": entries, "total": total, "printed": now,
                                              "filters": filters})


def _head(contacts: Sequence[Contact]) -> str | None:
    """The name of the head of the household (member 0; someone who died is member -1)."""
    return next((c.name for c in contacts if c.member == 0), None)

"""Alerts: a monitored household whose situation worsened, for its street office to act on.

Lifecycle: new → acknowledged → acted, or dismissed (with a reason) while new or acknowledged.
Each alert has a deadline (``alert_deadline_hours`` of the pack); one still new or acknowledged
past it is escalated once: the office's supervisors are told in their chat (an outbox row, as the
escalation desk writes them). Every action is audited.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime

from backend.delivery.staff_chat import tell_staff
from backend.monitoring.records import OPEN, Alert, AlertAction, AlertQuery, AlertReason, AlertStatus, AlertsUnitOfWork
from backend.store.base import Store
from backend.store.errors import DecisionRefused, Forbidden, NotFound
from backend.store.users import OFFICE_ROLES, Role, User
from locales import DEFAULT_LOCALE, Messages, Translations

log = logging.getLogger(__name__)

# How many overdue alerts one message to a supervisor lists (a Telegram message holds 4,096 characters).
LISTED = 10

S, A = AlertStatus, AlertAction
# action → (the statuses it may be taken from, the status it leads to)
TRANSITIONS: dict[AlertAction, tuple[frozenset[AlertStatus], AlertStatus]] = {
    A.ACKNOWLEDGE: (frozenset({S.NEW}), S.ACKNOWLEDGED),
    A.ACT: (frozenset({S.ACKNOWLEDGED}), S.ACTED),
    A.DISMISS: (frozenset({S.NEW, S.ACKNOWLEDGED}), S.DISMISSED),
}
_VERBS = {A.ACKNOWLEDGE: "acknowledge", A.ACT: "act on", A.DISMISS: "dismiss"}


class IllegalAlertTransition(ValueError):
    """The action is not allowed from the alert's current status (named in the message)."""

    def __init__(self, action: AlertAction, status: AlertStatus) -> None:
        super().__init__(f"cannot {_VERBS[action]} an alert that is {status.value}")
        self.action, self.status = action, status


def next_status(status: AlertStatus, action: AlertAction) -> AlertStatus:
    """The status after ``action``.

    Raises:
        IllegalAlertTransition: the action is not allowed from ``status``.
    """
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise IllegalAlertTransition(action, status)
    return target


def allowed_actions(status: AlertStatus) -> list[AlertAction]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


# ---------------------------------------------------------------- office staff


def _visible(user: User, alert: Alert) -> None:
    if user.role in OFFICE_ROLES and alert.office != user.office:
        raise Forbidden(f"alert {alert.id} belongs to {alert.office}, not {user.office}")
    if user.role not in OFFICE_ROLES and user.role is not Role.ADMIN:
        raise Forbidden(f"a {user.role.value} does not handle alerts")


async def list_alerts(uow: AlertsUnitOfWork, user: User, query: AlertQuery, *,
                      now: datetime) -> tuple[list[Alert], int]:
    """A page of alerts; office staff see their own office's only.

    Raises:
        Forbidden: office staff asked for another office.
    """
    if user.role in OFFICE_ROLES:
        if query.office not in (None, user.office):
            raise Forbidden(f"you work for {user.office}, not {query.office}")
        query = replace(query, office=user.office)
    elif user.role is not Role.ADMIN:
        raise Forbidden(f"a {user.role.value} does not handle alerts")
    return await uow.alerts.list(query, now=now)


async def get_alert(uow: AlertsUnitOfWork, user: User, alert_id: int, *, now: datetime) -> Alert:
    """One alert with its trace; the read is audited (the trace holds the household's situation).

    Raises:
        NotFound: no such alert.
        Forbidden: another office's alert.
    """
    alert = await uow.alerts.get(alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    _visible(user, alert)
    await uow.audit.record(actor=user.username, action="alert.read", target=f"alert:{alert_id}", details={}, at=now)
    return alert


async def act_on_alert(uow: AlertsUnitOfWork, user: User, alert_id: int, action: AlertAction, *, note: str = "",
                       reason: str = "", now: datetime) -> Alert:
    """Acknowledge an alert, record what was done (``act`` with a note) or dismiss it (with a reason).

    Raises:
        NotFound: no such alert.
        Forbidden: another office's alert.
        IllegalAlertTransition: not from the alert's current status.
        DecisionRefused: ``act`` without a note or ``dismiss`` without a reason (the field is named).
    """
    note, reason = note.strip(), reason.strip()
    if action is A.ACT and not note:
        raise DecisionRefused("say what was done: act needs a note", field="note")
    if action is A.DISMISS and not reason:
        raise DecisionRefused("dismiss needs a reason", field="reason")
    await uow.alerts.lock(alert_id)
    alert = await uow.alerts.get(alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    _visible(user, alert)
    status = next_status(alert.status, action)
    values: dict[str, object]
    if action is A.ACKNOWLEDGE:
        values = {"acknowledged_by": user.username, "acknowledged_at": now}
    else:
        values = {"closed_by": user.username, "closed_at": now}
        if action is A.DISMISS:
            values["dismiss_reason"] = reason
    await uow.alerts.move(alert_id, status=status, values=values)
    details = {"from": alert.status.value, "to": status.value}
    details.update({k: v for k, v in (("note", note), ("reason", reason)) if v})
    await uow.audit.record(actor=user.username, action=f"alert.{action.value}", target=f"alert:{alert_id}",
                           details=details, at=now)
    moved = await uow.alerts.get(alert_id)
    assert moved is not None
    return moved


async def schedule_visit(uow: AlertsUnitOfWork, user: User, alert_id: int, on: date, *, today: date,
                         now: datetime) -> Alert:
    """Schedule a home visit to the alert's household on ``on``; a new alert is acknowledged by it.

    Raises:
        NotFound: no such alert.
        Forbidden: another office's alert.
        DecisionRefused: a day before ``today`` (the field ``visit_on``), or a closed alert.
    """
    if on < today:
        raise DecisionRefused("a home visit needs a day from today on", field="visit_on")
    alert = await _open_for(uow, user, alert_id)
    values: dict[str, object] = {"visit_on": on}
    if alert.status is S.NEW:
        values.update(acknowledged_by=user.username, acknowledged_at=now)
    await uow.alerts.move(alert_id, status=S.ACKNOWLEDGED, values=values)
    await uow.audit.record(actor=user.username, action="alert.schedule_visit", target=f"alert:{alert_id}",
                           details={"from": alert.status.value, "to": S.ACKNOWLEDGED.value, "on": on.isoformat()},
                           at=now)
    moved = await uow.alerts.get(alert_id)
    assert moved is not None
    return moved


async def record_link(uow: AlertsUnitOfWork, user: User, alert_id: int, *, now: datetime) -> Alert:
    """A member of staff took the deep link of the alert's pre-filled application (to hand the
    household): recorded, since the link binds whoever opens it to the household.

    Raises:
        NotFound: no such alert.
        Forbidden: another office's alert.
        DecisionRefused: a closed alert.
    """
    alert = await _open_for(uow, user, alert_id)
    await uow.audit.record(actor=user.username, action="alert.link", target=f"alert:{alert_id}", details={}, at=now)
    return alert


async def _open_for(uow: AlertsUnitOfWork, user: User, alert_id: int) -> Alert:
    await uow.alerts.lock(alert_id)
    alert = await uow.alerts.get(alert_id)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    _visible(user, alert)
    if alert.status not in OPEN:
        raise DecisionRefused(f"alert {alert_id} is {alert.status.value}", field="status")
    return alert


# ---------------------------------------------------------------- messages


def render_reason(messages: Messages, reason: AlertReason) -> str:
    """Why an alert was raised, in the reader's language."""
    return messages.render(f"monitoring.reason.{reason['test']}", **dict(reason.get("params") or {}))


# ---------------------------------------------------------------- worker


async def escalate_overdue(database: Store[AlertsUnitOfWork], now: datetime, *,
                           messages: Messages | None = None) -> int:
    """Escalate, once, every open alert past its deadline: its office's supervisors are told in
    their chat, one message per office listing the alerts. How many alerts were escalated.

    Args:
        database: the connected database.
        now: the time deadlines are compared with.
        messages: staff messages (HTML-escaping, as staff read Telegram); default zh_CN.
    """
    async with database.unit_of_work() as uow:
        late = await uow.alerts.overdue(now)
        if not late:
            return 0
        marked = set(await uow.alerts.mark_escalated([a.id for a in late], at=now))
        late = [a for a in late if a.id in marked]
        if late:
            messages = messages or Translations(html=True)(DEFAULT_LOCALE)
            await _tell_supervisors(uow, late, messages, now)
        await uow.commit()
    return len(late)


async def _tell_supervisors(uow: AlertsUnitOfWork, late: list[Alert], messages: Messages, now: datetime) -> None:
    by_office: dict[str, list[Alert]] = {}
    for alert in late:
        by_office.setdefault(alert.office, []).append(alert)
    for office, alerts in by_office.items():
        supervisors = [u for u in await uow.users.list(office)
                       if u.role is Role.SUPERVISOR and u.active and u.telegram_id]
        if not supervisors:
            log.warning("%d alerts of %s passed their deadline and the office has no supervisor on Telegram",
                        len(alerts), office)
            continue
        listed = [{"id": a.id, "code": a.household_code, "test": a.reason["test"],
                   "params": dict(a.reason.get("params") or {}), "deadline": a.deadline_at} for a in alerts[:LISTED]]
        text = messages.render("monitoring.escalated", office=office, alerts=listed, more=len(alerts) - len(listed))
        for user in supervisors:
            await tell_staff(uow.outbox, user, "monitoring.escalated", text, at=now)

"""An alert as the console shows it: the reason in words (the API's own sentence), the household's
layer and resilience level before and after, the events that fired it, the time left, every code
by its label in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from backend.console.answers import members
from backend.console.labels import Labels
from backend.console.queue import TimeLeft, time_left
from backend.monitoring.alerts import render_reason
from backend.monitoring.records import OPEN, Alert, AlertReason
from locales import Messages


@dataclass(frozen=True, slots=True)
class Standing:
    layer: str
    level: str


@dataclass(frozen=True, slots=True)
class EventLine:
    kind: str
    on: str
    detail: str  # the amount or the grade, when the row has one


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    household_code: str
    office: str
    rule: str
    reason: str
    before: Standing | None
    after: Standing | None
    new_types: tuple[str, ...]
    events: tuple[EventLine, ...]
    status: str
    status_code: str
    deadline_at: datetime
    due: TimeLeft | None  # only while the alert is open
    outreach: str
    visit_on: date | None


def alert_row(messages: Messages, alert: Alert, now: datetime, zone: tzinfo) -> AlertRow:
    label = Labels(messages)
    trace: dict[str, Any] = dict(alert.trace or {})
    events = tuple(_event(messages, label, e) for e in trace.get("events") or () if isinstance(e, dict))
    return AlertRow(
        id=alert.id,
        household_code=alert.household_code,
        office=alert.office,
        rule=label.code(alert.trigger, "console.trigger."),
        reason=_reason(messages, alert.reason),
        before=_standing(label, trace.get("before")),
        after=_standing(label, trace.get("after")),
        new_types=tuple(label.code(t, "policy.type.") for t in trace.get("new_types") or ()),
        events=events,
        status=label.code(alert.status.value, "console.alert_status."),
        status_code=alert.status.value,
        deadline_at=alert.deadline_at,
        due=time_left(alert.deadline_at, now, zone=zone) if alert.status in OPEN else None,
        outreach=label.code(alert.outreach, "console.outreach."),
        visit_on=alert.visit_on,
    )


def _reason(messages: Messages, reason: AlertReason) -> str:
    """The API's sentence for the reason; a dash for a reason no test of this version names."""
    test = reason.get("test")
    return render_reason(messages, reason) if test and messages.has(f"monitoring.reason.{test}") else "—"


def _standing(label: Labels, snapshot: object) -> Standing | None:
    if not isinstance(snapshot, dict) or not snapshot.get("layer"):
        return None
    level = snapshot.get("resilience_level")
    return Standing(label.code(snapshot["layer"], "policy.layer."),
                    label.code(level, "console.level.") if level is not None else "—")


def _event(messages: Messages, label: Labels, event: dict[str, object]) -> EventLine:
    detail = ""
    if event.get("amount") not in (None, ""):
        detail = messages.money(event["amount"])
    elif event.get("grade") is not None:
        detail = messages.render("console.alert.grade", grade=event["grade"])
    on = event.get("occurred_on")
    return EventLine(label.code(event.get("kind"), "console.event."), messages.date(on) if on else "—", detail)


def household_facts(messages: Messages, household: dict[str, object]) -> list[dict[str, str]]:
    """The household's members as the registry holds them (no ID numbers: the registry's facts carry none)."""
    return members(household, messages, show_ids=False)

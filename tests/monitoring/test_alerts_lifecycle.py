"""The alert lifecycle (new → acknowledged → acted, or dismissed), its audit, and escalation of
alerts past their deadline to the office's supervisors, exactly once."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.cases.ports import Role
from backend.db.models import OutboxRow
from backend.monitoring.alerts import (
    IllegalAlertTransition,
    act_on_alert,
    allowed_actions,
    escalate_overdue,
    get_alert,
    list_alerts,
    next_status,
)
from backend.monitoring.records import AlertAction, AlertQuery, AlertStatus
from backend.ports import NotFound
from backend.store.errors import DecisionRefused, Forbidden
from bot.outbound import Outbound
from locales import Translations
from tests.cases.helpers import add_staff
from tests.monitoring.seed import NOW, add_alert, add_household, household, member

A, S = AlertAction, AlertStatus


@pytest.fixture
async def hubin(database) -> int:
    return (await add_household(database, household(member("self", 45, income="3500"), office="hubin"))).id


async def _staff(database, name: str, role: Role = Role.CASEWORKER, office: str | None = "hubin", **kw):
    return (await add_staff(database, name, role, office, **kw)).user


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [
        (S.NEW, A.ACKNOWLEDGE, S.ACKNOWLEDGED),
        (S.ACKNOWLEDGED, A.ACT, S.ACTED),
        (S.NEW, A.DISMISS, S.DISMISSED),
        (S.ACKNOWLEDGED, A.DISMISS, S.DISMISSED),
    ],
)
def test_legal_transitions(status: AlertStatus, action: AlertAction, after: AlertStatus) -> None:
    assert next_status(status, action) is after
    assert action in allowed_actions(status)


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (S.NEW, A.ACT, "cannot act on an alert that is new"),
        (S.ACKNOWLEDGED, A.ACKNOWLEDGE, "cannot acknowledge an alert that is acknowledged"),
        (S.ACTED, A.DISMISS, "cannot dismiss an alert that is acted"),
        (S.DISMISSED, A.ACKNOWLEDGE, "cannot acknowledge an alert that is dismissed"),
        (S.DISMISSED, A.ACT, "cannot act on an alert that is dismissed"),
    ],
)
def test_illegal_transitions_name_the_current_status(status: AlertStatus, action: AlertAction, message: str) -> None:
    with pytest.raises(IllegalAlertTransition, match=message) as raised:
        next_status(status, action)
    assert raised.value.status is status
    assert action not in allowed_actions(status)


def test_closed_alerts_allow_nothing() -> None:
    assert allowed_actions(S.ACTED) == allowed_actions(S.DISMISSED) == []


async def test_acknowledge_act_and_the_audit_trail(database, hubin: int) -> None:
    wang = await _staff(database, "wang")
    alert_id = await add_alert(database, hubin)
    async with database.unit_of_work() as uow:
        acknowledged = await act_on_alert(uow, wang, alert_id, A.ACKNOWLEDGE, now=NOW)
        acted = await act_on_alert(uow, wang, alert_id, A.ACT, note="  visited; temporary assistance  ",
                                   now=NOW + timedelta(hours=3))
        await uow.commit()
    assert (acknowledged.status, acknowledged.acknowledged_by, acknowledged.acknowledged_at) == (
        S.ACKNOWLEDGED, "wang", NOW)
    assert (acted.status, acted.closed_by, acted.closed_at) == (S.ACTED, "wang", NOW + timedelta(hours=3))
    async with database.unit_of_work() as uow:
        trail = await uow.audit.for_target(f"alert:{alert_id}")
    assert [(e.action, e.actor, e.details) for e in trail] == [
        ("alert.acknowledge", "wang", {"from": "new", "to": "acknowledged"}),
        ("alert.act", "wang", {"from": "acknowledged", "to": "acted", "note": "visited; temporary assistance"}),
    ]


async def test_dismiss_needs_a_reason_and_act_a_note(database, hubin: int) -> None:
    wang = await _staff(database, "wang")
    alert_id = await add_alert(database, hubin)
    async with database.unit_of_work() as uow:
        with pytest.raises(DecisionRefused) as refused:
            await act_on_alert(uow, wang, alert_id, A.DISMISS, reason="  ", now=NOW)
        assert refused.value.field == "reason"
        await act_on_alert(uow, wang, alert_id, A.ACKNOWLEDGE, now=NOW)
        with pytest.raises(DecisionRefused) as refused:
            await act_on_alert(uow, wang, alert_id, A.ACT, now=NOW)
        assert refused.value.field == "note"
        dismissed = await act_on_alert(uow, wang, alert_id, A.DISMISS, reason="moved away last year", now=NOW)
        await uow.commit()
    assert (dismissed.status, dismissed.dismiss_reason, dismissed.closed_by) == (
        S.DISMISSED, "moved away last year", "wang")


async def test_an_illegal_action_changes_nothing(database, hubin: int) -> None:
    wang = await _staff(database, "wang")
    alert_id = await add_alert(database, hubin, status="acted")
    async with database.unit_of_work() as uow:
        with pytest.raises(IllegalAlertTransition, match="that is acted"):
            await act_on_alert(uow, wang, alert_id, A.DISMISS, reason="x", now=NOW)
        assert (await uow.alerts.get(alert_id)).status is S.ACTED
        assert await uow.audit.for_target(f"alert:{alert_id}") == []


async def test_office_staff_work_their_own_office_only(database, hubin: int) -> None:
    zhao = await _staff(database, "zhao", office="wenchang")
    root = await _staff(database, "root", Role.ADMIN, None)
    bot = await _staff(database, "bot", Role.BOT_SERVICE, None)
    other = (await add_household(database, household(member("self", 40, income="3000"), office="wenchang"))).id
    mine, theirs = await add_alert(database, hubin), await add_alert(database, other, office="wenchang")
    async with database.unit_of_work() as uow:
        with pytest.raises(Forbidden):
            await get_alert(uow, zhao, mine, now=NOW)
        with pytest.raises(Forbidden):
            await act_on_alert(uow, zhao, mine, A.ACKNOWLEDGE, now=NOW)
        with pytest.raises(Forbidden):
            await list_alerts(uow, zhao, AlertQuery(office="hubin"), now=NOW)
        with pytest.raises(Forbidden):
            await list_alerts(uow, bot, AlertQuery(), now=NOW)
        with pytest.raises(NotFound):
            await get_alert(uow, root, 999_999, now=NOW)
        own, total = await list_alerts(uow, zhao, AlertQuery(), now=NOW)
        assert [a.id for a in own] == [theirs] and total == 1
        every, total = await list_alerts(uow, root, AlertQuery(), now=NOW)
        assert {a.id for a in every} == {mine, theirs} and total == 2
        one_office, _ = await list_alerts(uow, root, AlertQuery(office="hubin"), now=NOW)
        assert [a.id for a in one_office] == [mine]


async def test_the_list_filters_by_status_and_overdue_and_pages(database, hubin: int) -> None:
    root = await _staff(database, "root", Role.ADMIN, None)
    late = await add_alert(database, hubin, created_at=NOW - timedelta(days=3))
    soon = await add_alert(database, hubin, created_at=NOW - timedelta(hours=1))
    done = await add_alert(database, hubin, status="acted", created_at=NOW - timedelta(days=5))
    async with database.unit_of_work() as uow:
        ordered, total = await list_alerts(uow, root, AlertQuery(), now=NOW)
        assert [a.id for a in ordered] == [late, soon, done] and total == 3
        overdue, _ = await list_alerts(uow, root, AlertQuery(overdue=True), now=NOW)
        assert [a.id for a in overdue] == [late]
        on_time, _ = await list_alerts(uow, root, AlertQuery(overdue=False), now=NOW)
        assert [a.id for a in on_time] == [soon, done]
        acted, _ = await list_alerts(uow, root, AlertQuery(status=S.ACTED), now=NOW)
        assert [a.id for a in acted] == [done]
        page, total = await list_alerts(uow, root, AlertQuery(limit=1, offset=1), now=NOW)
        assert [a.id for a in page] == [soon] and total == 3


async def _outbox(database) -> list[OutboxRow]:
    async with database.engine.connect() as connection:
        return list((await connection.execute(select(OutboxRow).order_by(OutboxRow.id))).all())


async def test_overdue_alerts_are_escalated_to_the_supervisors_once(database, hubin: int) -> None:
    await _staff(database, "boss", Role.SUPERVISOR, telegram_id="9001")
    await _staff(database, "deputy", Role.SUPERVISOR, telegram_id="9002")
    await _staff(database, "quiet", Role.SUPERVISOR)  # not on Telegram
    await _staff(database, "wang", telegram_id="9003", on_duty=True)  # a caseworker: not told
    await _staff(database, "far", Role.SUPERVISOR, office="wenchang", telegram_id="9004")
    overdue = await add_alert(database, hubin, created_at=NOW - timedelta(hours=49))
    also = await add_alert(database, hubin, status="acknowledged", created_at=NOW - timedelta(hours=50))
    await add_alert(database, hubin, created_at=NOW - timedelta(hours=47))  # not due yet
    await add_alert(database, hubin, status="acted", created_at=NOW - timedelta(days=9))  # closed

    assert await escalate_overdue(database, NOW) == 2
    assert await escalate_overdue(database, NOW + timedelta(hours=1)) == 0

    sent = await _outbox(database)
    assert sorted(row.address for row in sent) == ["9001", "9002"]
    message = Outbound.from_payload(sent[0].payload)
    assert message.key == "monitoring.escalated" and message.html
    assert f"#{also}" in message.text and f"#{overdue}" in message.text and "受灾损失 ¥5,000.00" in message.text
    async with database.unit_of_work() as uow:
        assert (await uow.alerts.get(overdue)).escalated_at == NOW
        assert (await uow.alerts.get(also)).escalated_at == NOW
    # The alert not yet due is escalated once its deadline passes, in a message of its own.
    assert await escalate_overdue(database, NOW + timedelta(hours=2)) == 1
    assert len(await _outbox(database)) == 4


async def test_escalation_in_the_staff_language(database, hubin: int) -> None:
    await _staff(database, "boss", Role.SUPERVISOR, telegram_id="9001")
    await add_alert(database, hubin, created_at=NOW - timedelta(days=3))
    await escalate_overdue(database, NOW, messages=Translations(html=True)("en"))
    [row] = await _outbox(database)
    assert "disaster losses of CN¥5,000.00" in row.payload["text"]


async def test_an_office_without_a_supervisor_on_telegram_is_logged(database, hubin: int, caplog) -> None:
    caplog.set_level(logging.WARNING)
    await add_alert(database, hubin, created_at=NOW - timedelta(days=3))
    assert await escalate_overdue(database, NOW) == 1
    assert await _outbox(database) == []
    assert "no supervisor on Telegram" in caplog.text

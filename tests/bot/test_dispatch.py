"""The notification dispatcher: into the resident's channel once, in their language, not at night."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from backend.db.models import NotificationRow, OutboxRow
from flows import events as ev
from tests.bot import dispatching
from tests.fakes.clock import FakeClock

NOON = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in the region
NIGHT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 23:00 in the region


def dispatcher(database, clock, batch=200):
    return dispatching.dispatcher(database, clock, quiet="22:00-07:00", batch=batch)


async def resident(database, channel="telegram", address="42", locale="en"):
    async with database.unit_of_work() as uow:
        who = await uow.residents.identify(channel, address, now=NOON)
        if locale:
            await uow.residents.set_locale(who.id, locale)
        await uow.commit()
    return who.id


async def notify(database, resident_id, kind, number="YM20261130000001", urgent=False, **params):
    async with database.unit_of_work() as uow:
        await uow.notifications.add(resident_id=resident_id, application_number=number, kind=kind, params=params,
                                    at=NOON, urgent=urgent)
        await uow.commit()


async def outbox(database):
    async with database.engine.connect() as connection:
        return (await connection.execute(select(OutboxRow).order_by(OutboxRow.id))).all()


async def statuses(database):
    async with database.engine.connect() as connection:
        rows = await connection.execute(
            select(NotificationRow.kind, NotificationRow.status).order_by(NotificationRow.id)
        )
        return [tuple(r) for r in rows]


async def test_a_decision_is_queued_once_in_the_residents_language_with_their_words_escaped(database):
    who = await resident(database)
    await notify(database, who, "rejected", reasons=["income <checked>"], appeal_by="2027-01-29")
    done = await dispatcher(database, FakeClock(NOON)).drain()
    assert (done.queued, done.superseded, done.waiting) == (1, 0, 0)
    (item,) = await outbox(database)
    assert (item.channel, item.address, item.payload["key"], item.payload["html"]) == ("telegram", "42",
                                                                                     "notice.rejected", True)
    assert "income &lt;checked&gt;" in item.payload["text"] and "January 29, 2027" in item.payload["text"]
    assert (await dispatcher(database, FakeClock(NOON)).drain()).claimed == 0
    assert len(await outbox(database)) == 1


async def test_updates_of_one_application_in_one_pass_tell_where_it_stands_now(database):
    who = await resident(database)
    await notify(database, who, "submitted")
    await notify(database, who, "assessed", emergency=False)
    await notify(database, who, "assigned", caseworker="王芳")
    await notify(database, who, "submitted", number="YM20261130000002")
    await dispatcher(database, FakeClock(NOON)).drain()
    assert await statuses(database) == [("submitted", "superseded"), ("assessed", "superseded"),
                                        ("assigned", "queued"), ("submitted", "queued")]
    assert [i.payload["key"] for i in await outbox(database)] == ["notice.assigned", "notice.submitted"]


async def test_at_night_only_urgent_notifications_go_and_the_rest_wait_for_the_morning(database):
    who = await resident(database)
    await notify(database, who, "under_review", number="YM1")
    await notify(database, who, "assigned", number="YM2", urgent=True, caseworker="王芳")
    clock = FakeClock(NIGHT)
    await dispatcher(database, clock).drain()
    assert [i.payload["key"] for i in await outbox(database)] == ["notice.assigned"]
    clock.advance(timedelta(hours=8))  # 07:00
    await dispatcher(database, clock).drain()
    assert [i.payload["key"] for i in await outbox(database)] == ["notice.assigned", "notice.under_review"]


async def test_a_terminal_resident_sees_the_update_when_they_next_write(database, conversations):
    who = await resident(database, channel="terminal", address="local", locale="zh_CN")
    await notify(database, who, "info_requested", question="请补充诊断证明")
    await dispatcher(database, FakeClock(NOON)).drain()
    assert await statuses(database) == [("info_requested", "waiting")] and await outbox(database) == []
    replies = await conversations.handle("terminal", "local", ev.Command("start", ""))
    assert replies[0].key == "notice.info_requested" and "请补充诊断证明" in replies[0].text
    again = await conversations.handle("terminal", "local", ev.Command("help", ""))
    assert all(r.key != "notice.info_requested" for r in again)
    assert await statuses(database) == [("info_requested", "shown")]


async def test_a_crash_in_the_middle_of_a_pass_leaves_everything_pending(database, monkeypatch):
    who = await resident(database)
    for n in range(5):
        await notify(database, who, "under_review", number=f"YM{n}")

    async def failing_marks(self, marks, **kw):
        # The pass's outbox items are written by now, in its transaction: the crash takes them back.
        assert len((await self._session.execute(select(OutboxRow.id))).all()) == 5
        raise RuntimeError("killed")

    from backend.db.notifications import SqlNotificationRepository

    real_marks = SqlNotificationRepository.mark_many
    monkeypatch.setattr(SqlNotificationRepository, "mark_many", failing_marks)
    with pytest.raises(RuntimeError):
        await dispatcher(database, FakeClock(NOON)).run_once()
    assert await outbox(database) == [] and {s for _, s in await statuses(database)} == {"pending"}
    monkeypatch.setattr(SqlNotificationRepository, "mark_many", real_marks)
    await dispatcher(database, FakeClock(NOON)).drain()
    assert len(await outbox(database)) == 5


async def test_dispatchers_running_together_queue_each_notification_once(database):
    for r in range(20):
        who = await resident(database, address=str(r))
        for n in range(10):
            await notify(database, who, "under_review", number=f"YM{r}-{n}")
    clock = FakeClock(NOON)
    await asyncio.gather(*(dispatcher(database, clock, batch=25).drain() for _ in range(4)))
    async with database.engine.connect() as connection:
        queued = await connection.scalar(select(func.count()).select_from(OutboxRow))
        distinct = await connection.scalar(select(func.count(func.distinct(NotificationRow.outbox_id))))
    assert queued == distinct == 200


async def test_a_reminder_reaches_a_telegram_resident_through_the_outbox(database, conversations, clock):
    await conversations.handle("telegram", "42", ev.Command("start", ""), outbox=True, html=True)
    await conversations.handle("terminal", "local", ev.Command("start", ""))
    before = len(await outbox(database))
    clock.advance(timedelta(hours=25))
    kept = await conversations.tick()
    edit, *items = (await outbox(database))[before:]
    # The buttons of the question as first asked go (the question is asked again below them) ...
    assert edit.kind == "edit" and "chosen" not in edit.payload
    # ... then the reminder, and the question they stopped at (its buttons live again).
    assert [(i.address, i.payload["key"]) for i in items] == [
        ("42", "intake.reminder"), ("42", "intake.language.prompt")
    ]
    # The terminal resident's reminder is handed back for the terminal to show.
    assert [r.key for _, replies in kept for r in replies] == ["intake.reminder", "intake.language.prompt"]
    assert await conversations.tick() == [] and len(await outbox(database)) == before + 3


async def test_replies_go_before_status_updates_and_status_updates_before_broadcasts(database):
    who = await resident(database)
    async with database.unit_of_work() as uow:
        await uow.notifications.add(resident_id=who, application_number=None, kind="broadcast",
                                    params={"texts": {"zh_CN": "通知", "en": "Notice"}}, at=NOON)
        await uow.notifications.add(resident_id=who, application_number="YM1", kind="under_review", params={},
                                    at=NOON)
        await uow.commit()
    await dispatcher(database, FakeClock(NOON)).drain()
    async with database.unit_of_work() as uow:
        await uow.outbox.add(resident_id=who, channel="telegram", address="42", kind="message",
                             payload={"key": "reply", "text": "r"}, at=NOON)
        await uow.commit()
        due = await uow.outbox.due("telegram", now=NOON)
    assert [i.payload["key"] for i in due] == ["reply", "notice.under_review", "notice.broadcast"]

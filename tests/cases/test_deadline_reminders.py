"""Deadline reminders: the assignee before and after a case's deadline, then the office's
supervisors; each once, however many passes run (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backend.cases.deadline_reminders import Reminded, remind_deadlines, reminder_horizon
from backend.cases.ports import Role, Transition
from backend.db.models import DeadlineReminderRow, OutboxRow
from backend.status import CaseStatus
from locales import Translations
from tests.cases.helpers import NOW, PACK, add_staff, payload, submit

ZONE = ZoneInfo("Asia/Shanghai")
STAFF = Translations(html=True)


async def sent(database) -> list[tuple[str, str, str]]:
    """(address, message key, text) of every staff message queued, in order."""
    async with database.engine.connect() as connection:
        rows = (await connection.execute(
            select(OutboxRow.address, OutboxRow.payload, OutboxRow.resident_id).order_by(OutboxRow.id))).all()
    return [(r.address, r.payload["key"], r.payload["text"]) for r in rows if r.resident_id is None]


async def deadline_of(database, number: str):
    async with database.unit_of_work() as uow:
        case = await uow.cases.get(number)
    assert case is not None and case.deadline_at is not None
    return case.deadline_at


async def test_the_assignee_is_reminded_before_and_after_and_the_supervisor_after_each_once(database):
    await add_staff(database, "cw1", telegram_id="8001")
    await add_staff(database, "boss", Role.SUPERVISOR, telegram_id="9001")
    number = await submit(database, payload(1))
    deadline = await deadline_of(database, number)
    messages = STAFF("zh_CN")

    # Far from the deadline: nothing.
    assert not await remind_deadlines(database, PACK, NOW, messages=messages)
    assert await sent(database) == []

    # The day before the deadline (within 2 working days): the assignee, once.
    eve = deadline - timedelta(days=1)
    assert await remind_deadlines(database, PACK, eve, messages=messages) == Reminded(before=1)
    assert await remind_deadlines(database, PACK, eve + timedelta(hours=1), messages=messages) == Reminded()
    [(address, key, text)] = await sent(database)
    assert (address, key) == ("8001", "deadlines.before") and number in text and "即将到达办理时限" in text

    # Past the deadline: the assignee and the office's supervisor, once each.
    late = deadline + timedelta(minutes=1)
    assert await remind_deadlines(database, PACK, late, messages=messages) == Reminded(after=1, supervisor=1)
    # A second pass (or a restarted worker) sends nothing again.
    assert await remind_deadlines(database, PACK, late + timedelta(days=3), messages=messages) == Reminded()
    messages_sent = await sent(database)
    assert [(a, k) for a, k, _ in messages_sent] == [
        ("8001", "deadlines.before"), ("8001", "deadlines.after"), ("9001", "deadlines.supervisor")]
    assert all(number in text for _, _, text in messages_sent)
    assert "hubin" in messages_sent[2][2]
    async with database.engine.connect() as connection:
        kinds = sorted((await connection.execute(select(DeadlineReminderRow.kind))).scalars())
    assert kinds == ["after", "before", "supervisor"]


async def test_a_decided_case_is_not_reminded_and_an_emergency_only_once_late(database):
    await add_staff(database, "cw1", telegram_id="8001")
    await add_staff(database, "boss", Role.SUPERVISOR, telegram_id="9001")
    urgent = await submit(database, payload(2, urgent=True), "r2")
    closed = await submit(database, payload(3), "r3")
    async with database.unit_of_work() as uow:
        await uow.cases.transition(closed, Transition(status=CaseStatus.CLOSED, action="close", actor="cw1", note="",
                                                      at=NOW))
        await uow.commit()
    # An emergency's 24 hours lie within the horizon at once, but it gets no advance reminder.
    assert await remind_deadlines(database, PACK, NOW + timedelta(hours=1)) == Reminded()
    after = NOW + timedelta(days=60)
    assert await remind_deadlines(database, PACK, after) == Reminded(after=1, supervisor=1)
    assert all(urgent in text and closed not in text for _, _, text in await sent(database))


async def test_the_horizon_counts_working_days_across_a_holiday():
    # Tuesday Sep 30 2025, 10:00 in Demo City: 2 working days on are Oct 9 and Oct 10 (Oct 1–8 off).
    horizon = reminder_horizon(datetime(2025, 9, 30, 2, 0, tzinfo=UTC), PACK)
    assert horizon.astimezone(ZONE).date().isoformat() == "2025-10-10"


async def test_a_case_without_anyone_on_telegram_is_recorded_and_not_retried(database):
    await add_staff(database, "cw1")  # no Telegram id
    await submit(database, payload(4), "r4")
    after = NOW + timedelta(days=60)
    assert await remind_deadlines(database, PACK, after) == Reminded(after=1, supervisor=1)
    assert await remind_deadlines(database, PACK, after) == Reminded()
    assert await sent(database) == []


async def test_the_worker_pass_reminds_once(database):
    from bot.serve import _remind_deadlines

    await add_staff(database, "cw1", telegram_id="8001")
    await add_staff(database, "boss", Role.SUPERVISOR, telegram_id="9001")
    number = await submit(database, payload(5), "r5")
    late = await deadline_of(database, number) + timedelta(hours=2)
    for _ in range(2):
        await _remind_deadlines(database, PACK, lambda: late, STAFF("en"))
    texts = [(a, k) for a, k, _ in await sent(database)]
    assert texts == [("8001", "deadlines.after"), ("9001", "deadlines.supervisor")]
    assert "passed the deadline" in (await sent(database))[0][2]

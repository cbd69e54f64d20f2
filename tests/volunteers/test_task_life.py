"""Pings that respect people, and a task's time counted once: a volunteer is asked within their
stated hours (not the residents' nightly rule), the creator sees when each ping goes out and is
told when a round runs out (then the next volunteer is asked), check-in and check-out make the
hours, and /points shows hours and points from the same credits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from backend.buttons import AnswerTask, TaskChoice
from backend.db.models import NotificationRow, OutboxRow
from backend.volunteers.matching import next_ping_at
from backend.volunteers.ports import SLOTS, TaskStatus
from bot.volunteer_commands import answer as command_answer
from flows import events as ev
from tests.cases.helpers import NOW, add_staff
from tests.volunteers.helpers import TUESDAY_MORNING, VOLUNTEERING, ZONE, run, spec, volunteer

TUESDAY_2230 = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # 22:30 in the region
WEDNESDAY_1800 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
THURSDAY_MORNING = TUESDAY_MORNING + timedelta(days=2)


def local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%a %H:%M")


def test_a_ping_goes_out_within_the_volunteers_stated_hours():
    # Sunday 10:00: a weekday-morning volunteer on Monday at 08:00; a weekend one at once.
    assert local(next_ping_at(NOW, ["weekday_morning"], ZONE)) == "Mon 08:00"
    assert next_ping_at(NOW, ["weekend_morning"], ZONE) == NOW
    # 22:30 on a Tuesday: an evening volunteer the next evening, someone who said nothing at 08:00.
    assert local(next_ping_at(TUESDAY_2230, ["weekday_evening"], ZONE)) == "Wed 18:00"
    assert local(next_ping_at(TUESDAY_2230, [], ZONE)) == "Wed 08:00"
    # An early bird is not woken at 06:00 either.
    assert local(next_ping_at(TUESDAY_2230 + timedelta(hours=7, minutes=30), SLOTS, ZONE)) == "Wed 08:00"


async def test_an_evening_task_ping_waits_for_the_volunteers_evening_not_the_residents_morning(database):
    wang = (await add_staff(database, "wang")).user
    evening = await volunteer(database, "evening", slots=("weekday_evening",), now=TUESDAY_2230)
    task = await run(database, lambda uow: VOLUNTEERING.create_task(
        uow, wang, spec(starts_at=THURSDAY_MORNING), now=TUESDAY_2230))
    # The creator sees when it goes out.
    (ping,) = await run(database, lambda uow: uow.tasks.pings(task.id))
    assert ping.volunteer_id == evening.id and ping.sent_at == WEDNESDAY_1800 and ping.answer is None
    assert task.next_round_at == WEDNESDAY_1800 + timedelta(minutes=30)  # the round counts from then
    # Not before then; then even inside the residents' quiet hours (only urgent ones are claimed).
    async with database.unit_of_work() as uow:
        early = await uow.notifications.claim(channels=("telegram",), urgent_only=True, limit=10,
                                              now=WEDNESDAY_1800 - timedelta(minutes=1))
        due = await uow.notifications.claim(channels=("telegram",), urgent_only=True, limit=10, now=WEDNESDAY_1800)
    assert early == [] and [d.notification.kind for d in due] == ["task_offer"]
    # Nor does the home show it before it went out.
    assert await run(database, lambda uow: uow.tasks.open_pings(evening.id, now=TUESDAY_2230)) == []
    assert [t.id for t in await run(database, lambda uow: uow.tasks.open_pings(evening.id, now=WEDNESDAY_1800))] \
        == [task.id]


async def staff_messages(database):
    async with database.engine.connect() as connection:
        rows = (await connection.execute(
            select(OutboxRow.address, OutboxRow.payload).where(OutboxRow.resident_id.is_(None)).order_by(OutboxRow.id)
        )).all()
    return [(r.address, r.payload["text"]) for r in rows]


async def test_a_round_nobody_answers_tells_the_creator_and_asks_the_next_volunteer(database):
    wang = (await add_staff(database, "wang", telegram_id="9001")).user
    people = [await volunteer(database, f"v{i}", name=f"志愿者{i}", slots=SLOTS) for i in range(4)]
    task = await run(database, lambda uow: VOLUNTEERING.create_task(uow, wang, spec(), now=NOW))
    asked = {p.volunteer_id for p in await run(database, lambda uow: uow.tasks.pings(task.id))}
    assert len(asked) == 3 and await staff_messages(database) == []  # nothing to tell yet
    (fourth,) = [p for p in people if p.id not in asked]

    await run(database, lambda uow: VOLUNTEERING.tick(uow, NOW + timedelta(minutes=31)))
    pings = await run(database, lambda uow: uow.tasks.pings(task.id))
    assert [(p.volunteer_id, p.round, p.answer) for p in pings if p.round == 2] == [(fourth.id, 2, None)]
    assert {p.answer for p in pings if p.round == 1} == {"expired"}
    ((address, text),) = await staff_messages(database)
    assert address == "9001" and f"任务 #{task.id}" in text and "第 1 轮询问无人按时接受" in text
    assert fourth.name in text

    # The fourth is silent too: nobody is left, the task is unfilled and the creator hears it.
    await run(database, lambda uow: VOLUNTEERING.tick(uow, NOW + timedelta(minutes=62)))
    assert (await run(database, lambda uow: uow.tasks.get(task.id))).status is TaskStatus.UNFILLED
    messages = await staff_messages(database)
    assert len(messages) == 2 and "已没有可询问的志愿者" in messages[-1][1]


async def press(database, who, task_id, choice, now):
    return await run(database, lambda uow: VOLUNTEERING.press(uow, who.resident_id, AnswerTask(task_id, choice),
                                                               now=now))


async def points(database, who, now=NOW):
    return await run(database, lambda uow: command_answer(uow, who.resident_id, ev.Command("points"),
                                                          VOLUNTEERING._ledger, now=now))


async def test_check_in_and_out_make_the_hours_and_the_points_the_same_ones(database):
    wang = (await add_staff(database, "wang")).user
    helper = await volunteer(database, "helper", slots=SLOTS)
    task = await run(database, lambda uow: VOLUNTEERING.create_task(uow, wang, spec(minutes=120), now=NOW))
    assert (await press(database, helper, task.id, TaskChoice.ACCEPT, NOW)).key == "task.accepted"
    # Checking out before checking in, or in too early, is refused in words.
    assert (await press(database, helper, task.id, TaskChoice.CHECK_OUT, NOW)).key == "task.check_in_first"
    early = await press(database, helper, task.id, TaskChoice.CHECK_IN, TUESDAY_MORNING - timedelta(hours=2))
    assert early.key == "task.too_early"
    arrived = await press(database, helper, task.id, TaskChoice.CHECK_IN, TUESDAY_MORNING - timedelta(minutes=10))
    assert arrived.key == "task.checked_in" and arrived.options == ((AnswerTask(task.id, TaskChoice.CHECK_OUT),
                                                                     "task.button.check_out"),)
    # The end of the task passes: only the check-out is asked for.
    await run(database, lambda uow: VOLUNTEERING.tick(uow, TUESDAY_MORNING + timedelta(hours=2)))
    async with database.engine.connect() as connection:
        (params,) = (await connection.execute(
            select(NotificationRow.params).where(NotificationRow.kind == "task_checkin"))).scalars().all()
    assert [b["action"]["choice"] for b in params["buttons"]] == ["check_out"]
    # Out after 5 hours: a task planned for two earns two.
    left = await press(database, helper, task.id, TaskChoice.CHECK_OUT, TUESDAY_MORNING + timedelta(hours=5))
    assert left.key == "task.thanks" and left.params == {"task_id": task.id, "points": 20, "hours": "2.00"}
    said = await points(database, helper)
    assert said.params["balance"] == 20 and said.params["hours"] == "2.00"


async def test_points_credited_through_the_api_count_their_hours_and_a_reversal_takes_both_back(database):
    helper = await volunteer(database, "helper")
    ledger = VOLUNTEERING._ledger
    txn, credited = await run(database, lambda uow: ledger.credit_task(
        uow, str(helper.id), helper.name, hours=Decimal("1.5"), task="visit-17", by="wang", now=NOW))
    said = await points(database, helper)
    assert credited == 15 and said.params["balance"] == 15 and said.params["hours"] == "1.50"
    await run(database, lambda uow: ledger.reverse(uow, txn, reason="entered twice", by="wang", now=NOW))
    said = await points(database, helper)
    assert said.params["balance"] == 0 and said.params["hours"] == "0.00"

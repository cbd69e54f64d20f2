"""Service tasks: matching, pings, first accept wins, next rounds, check-in, points, rating, privacy."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.buttons import AnswerTask, RateTask, TaskChoice, action_of, button
from backend.cases.ports import Role
from backend.db.models import NotificationRow
from backend.points.ports import Holder
from backend.store.errors import Forbidden
from backend.volunteers.ports import TaskStatus
from backend.volunteers.service import TaskRefused
from bot.callbacks import decode
from tests.cases.helpers import NOW, add_staff, payload, submit
from tests.volunteers.helpers import TUESDAY_MORNING, VOLUNTEERING, run, spec, volunteer


async def staff(database, name="wang", office="hubin", role=Role.CASEWORKER):
    account = await add_staff(database, name, role, office)
    return account.user


async def notifications(database, kind=None):
    async with database.engine.connect() as connection:
        rows = (await connection.execute(
            select(NotificationRow.resident_id, NotificationRow.kind, NotificationRow.params)
            .order_by(NotificationRow.id)
        )).all()
    return [r for r in rows if kind is None or r.kind == kind]


async def create(database, user, task_spec=None, now=NOW):
    return await run(database, lambda uow: VOLUNTEERING.create_task(uow, user, task_spec or spec(), now=now))


async def press(database, volunteer_or_resident, value, now=NOW):
    """The button whose value (as a chat sends it) is ``value``, pressed."""
    resident = getattr(volunteer_or_resident, "resident_id", volunteer_or_resident)
    action = decode(value)
    assert isinstance(action, AnswerTask | RateTask)
    return await run(database, lambda uow: VOLUNTEERING.press(uow, resident, action, now=now))


async def test_the_best_few_are_pinged_available_first_then_least_loaded(database):
    wang = await staff(database)
    evening = await volunteer(database, "evening", slots=("weekday_evening",))
    busy = await volunteer(database, "busy")
    free = [await volunteer(database, f"free{i}") for i in range(2)]
    await volunteer(database, "tutor", skills=("tutoring",))
    # busy already holds an assigned task
    other = await create(database, wang, spec(starts_at=TUESDAY_MORNING + timedelta(days=2)))
    await run(database, lambda uow: uow.tasks.take(other.id, busy.id, at=NOW))

    task = await create(database, wang)
    assert task.status is TaskStatus.OPEN and task.round == 1
    pinged = [n for n in await notifications(database, "task_offer") if n.params["task_id"] == task.id]
    # Three per round (the pack's task_ping_batch): the two free ones, then busy (available but loaded);
    # the volunteer free only in the evening waits for the next round.
    residents = {n.resident_id for n in pinged}
    assert residents == {free[0].resident_id, free[1].resident_id, busy.resident_id}
    assert evening.resident_id not in residents
    assert pinged[0].params["buttons"] == [button(AnswerTask(task.id, TaskChoice.ACCEPT), "task.button.accept"),
                                           button(AnswerTask(task.id, TaskChoice.DECLINE), "task.button.decline")]


async def test_the_first_accept_wins_and_the_household_is_told(database):
    wang = await staff(database)
    number = await submit(database, payload(1))
    first, second = await volunteer(database, "first", name="王小明"), await volunteer(database, "second")
    task = await create(database, wang, spec(number=number))
    accepted = await press(database, first, f"task:{task.id}:accept")
    assert accepted.key == "task.accepted"
    assert accepted.params["address"] == "湖滨路 8 号 3 单元" and accepted.params["given_name"] == "秀英"
    late = await press(database, second, f"task:{task.id}:accept")
    assert late.key == "task.taken"
    found = await run(database, lambda uow: uow.tasks.get(task.id))
    assert found.status is TaskStatus.ASSIGNED and found.volunteer_id == first.id
    (told,) = await notifications(database, "task_assigned")
    assert told.params["volunteer"] == "小明"
    # The same button again changes nothing.
    assert (await press(database, first, f"task:{task.id}:accept")).key == "task.answered"


async def test_declines_and_silence_make_way_for_the_next_few_and_then_the_task_is_unfilled(database):
    wang = await staff(database)
    people = [await volunteer(database, f"v{i}") for i in range(4)]
    task = await create(database, wang)
    asked = [p for p in people if await run(database, lambda uow, p=p: uow.tasks.ping(task.id, p.id))]
    assert len(asked) == 3
    for person in asked:
        assert (await press(database, person, f"task:{task.id}:decline")).key == "task.declined"
    # All three said no: the fourth is asked at once.
    fourth = next(p for p in people if p not in asked)
    ping = await run(database, lambda uow: uow.tasks.ping(task.id, fourth.id))
    assert ping is not None and ping.round == 2
    # It is Sunday; a weekday-morning volunteer is asked on Monday at 08:00 (00:00 UTC), not before.
    assert ping.sent_at == NOW + timedelta(hours=22)
    # Nobody answers within the pack's 30 minutes of it; nobody is left to ask: unfilled.
    assert await run(database, lambda uow: VOLUNTEERING.tick(uow, ping.sent_at + timedelta(minutes=29))) == 0
    await run(database, lambda uow: VOLUNTEERING.tick(uow, ping.sent_at + timedelta(minutes=31)))
    found = await run(database, lambda uow: uow.tasks.get(task.id))
    assert found.status is TaskStatus.UNFILLED
    assert (await run(database, lambda uow: uow.tasks.ping(task.id, fourth.id))).answer == "expired"


async def test_reminder_check_in_points_certificate_and_rating(database):
    wang = await staff(database)
    number = await submit(database, payload(1), resident="household")
    helper = await volunteer(database, "helper")
    # Ten hours at once reach the pack's first certificate milestone.
    long = spec(number=number, minutes=600)
    task = await create(database, wang, long)
    await press(database, helper, f"task:{task.id}:accept")

    await run(database, lambda uow: VOLUNTEERING.tick(uow, TUESDAY_MORNING - timedelta(hours=1)))
    (reminder,) = await notifications(database, "task_reminder")
    assert reminder.resident_id == helper.resident_id and reminder.params["address"] == "湖滨路 8 号 3 单元"
    await run(database, lambda uow: VOLUNTEERING.tick(uow, TUESDAY_MORNING + timedelta(hours=10)))
    (checkin,) = await notifications(database, "task_checkin")
    assert [action_of(b["action"]) for b in checkin.params["buttons"]] == [AnswerTask(task.id, TaskChoice.DONE),
                                                                            AnswerTask(task.id, TaskChoice.MISSED)]
    # Ticking again asks nothing twice.
    await run(database, lambda uow: VOLUNTEERING.tick(uow, TUESDAY_MORNING + timedelta(hours=11)))
    assert len(await notifications(database, "task_checkin")) == 1

    thanks = await press(database, helper, f"task:{task.id}:done", now=TUESDAY_MORNING + timedelta(hours=10))
    assert thanks.key == "task.thanks" and thanks.params["points"] == 100  # 10 points an hour
    _, balance = await run(database, lambda uow: VOLUNTEERING._ledger.balance(uow, Holder.VOLUNTEER, str(helper.id)))
    assert balance == 100
    (certificate,) = await notifications(database, "certificate")
    assert certificate.resident_id == helper.resident_id and certificate.params["milestone"] == 10
    # Checking in twice credits nothing more.
    assert (await press(database, helper, f"task:{task.id}:done")).key == "task.answered"

    (confirm,) = await notifications(database, "task_confirm")
    household = confirm.resident_id
    assert action_of(confirm.params["buttons"][-1]["action"]) == RateTask(task.id, 5)
    assert await press(database, helper, f"rate:{task.id}:1") is None  # not theirs to rate
    rated = await press(database, household, f"rate:{task.id}:5")
    assert rated.key == "task.rated"
    found = await run(database, lambda uow: uow.tasks.get(task.id))
    assert found.status is TaskStatus.CONFIRMED and found.rating == 5


async def test_tasks_are_kept_to_the_office_and_checked_field_by_field(database):
    wang = await staff(database)
    with pytest.raises(Forbidden):
        await create(database, wang, spec(office="wenchang"))
    with pytest.raises(TaskRefused) as refused:
        await create(database, wang, spec(starts_at=NOW - timedelta(hours=1)))
    assert refused.value.field == "starts_at"
    with pytest.raises(TaskRefused) as refused:
        await create(database, wang, spec(skill="juggling"))
    assert refused.value.field == "skill"
    nobody = await create(database, wang)
    assert nobody.status is TaskStatus.UNFILLED  # no volunteer covers the office yet


async def test_a_volunteer_sees_none_of_the_households_sensitive_fields(database):
    wang = await staff(database)
    data = payload(7)
    data["members"][0].update(health="serious", disability_grade=1)
    number = await submit(database, data, resident="household")
    helper = await volunteer(database, "helper")
    task = await create(database, wang, spec(number=number))
    accepted = await press(database, helper, f"task:{task.id}:accept")
    await run(database, lambda uow: VOLUNTEERING.tick(uow, TUESDAY_MORNING + timedelta(hours=4)))
    seen = [n.params for n in await notifications(database) if n.resident_id == helper.resident_id]
    seen.append(accepted.params)
    assert len(seen) >= 3  # the offer, the check-in, the acceptance
    text = json.dumps(seen, ensure_ascii=False, default=str)
    id_number = data["applicant"]["id_number"]
    for secret in (id_number, id_number[-4:], number, "income", "health", "serious", "disability", "savings",
                   "monthly", "assets", data["applicant"]["name"], data["applicant"]["mobile"]):
        assert secret not in text, secret

"""The volunteer and task repositories, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from backend.volunteers.ports import PingAnswer, TaskStatus
from tests.cases.helpers import NOW
from tests.volunteers.helpers import TUESDAY_MORNING, run, spec, volunteer


async def test_a_registration_keeps_qualified_skills_and_drops_skills_no_longer_offered(database):
    first = await volunteer(database, "v1", skills=("hospital_escort", "tutoring"), qualified=("tutoring",))
    assert first.skills == {"hospital_escort": False, "tutoring": True}

    async def again(uow):
        return await uow.volunteers.add(resident_id=first.resident_id, name="李华", mobile="13900000000",
                                        offices=["hubin", "wenchang"], availability=["weekend_evening"],
                                        skills=["tutoring", "repairs"], at=NOW)
    updated = await run(database, again)
    assert updated.id == first.id and updated.name == "李华" and updated.offices == ("hubin", "wenchang")
    assert updated.skills == {"tutoring": True, "repairs": False}
    assert await run(database, lambda uow: uow.volunteers.qualify(first.id, "counselling", by="w", at=NOW)) is False


async def test_candidates_cover_the_office_with_the_skill_qualified_are_active_and_not_asked_yet(database):
    fit = await volunteer(database, "fit")
    await volunteer(database, "elsewhere", offices=("wenchang",))
    await volunteer(database, "unqualified", qualified=())
    paused = await volunteer(database, "paused")
    asked = await volunteer(database, "asked")

    async def step(uow):
        await uow.volunteers.set_paused(paused.id, True)
        task = await uow.tasks.add(spec(), created_by="wang", at=NOW)
        await uow.tasks.add_ping(task.id, asked.id, round=1, at=NOW)
        return await uow.volunteers.candidates(office="hubin", skill="hospital_escort", task_id=task.id)
    found = await run(database, step)
    assert [c.volunteer.id for c in found] == [fit.id]
    assert found[0].record.reliability == 0.5  # a newcomer


async def test_a_task_is_taken_once_and_its_pings_answered_once(database):
    one, two = await volunteer(database, "one"), await volunteer(database, "two")

    async def step(uow):
        task = await uow.tasks.add(spec(), created_by="wang", at=NOW)
        for v in (one, two):
            await uow.tasks.add_ping(task.id, v.id, round=1, at=NOW)
        assert await uow.tasks.unanswered(task.id) == 2
        assert await uow.tasks.take(task.id, one.id, at=NOW) is True
        assert await uow.tasks.take(task.id, two.id, at=NOW) is False
        assert await uow.tasks.answer_pings(task.id, PingAnswer.ACCEPTED, at=NOW, volunteer_id=one.id) == [one.id]
        assert await uow.tasks.answer_pings(task.id, PingAnswer.TAKEN, at=NOW) == [two.id]
        assert await uow.tasks.answer_pings(task.id, PingAnswer.EXPIRED, at=NOW) == []
        return await uow.tasks.get(task.id), await uow.tasks.ping(task.id, two.id)
    task, ping = await run(database, step)
    assert task.status is TaskStatus.ASSIGNED and task.volunteer_id == one.id
    assert ping.answer is PingAnswer.TAKEN


async def test_rounds_reminders_and_check_ins_come_due_and_hours_add_up(database):
    v = await volunteer(database, "v")

    async def step(uow):
        waiting = await uow.tasks.add(spec(), created_by="wang", at=NOW)
        await uow.tasks.update(waiting.id, next_round_at=NOW + timedelta(minutes=30))
        taken = await uow.tasks.add(spec(), created_by="wang", at=NOW)
        await uow.tasks.take(taken.id, v.id, at=NOW)
        return waiting.id, taken.id
    waiting, taken = await run(database, step)

    async def due(uow, now):
        return ([t.id for t in await uow.tasks.due_rounds(now)],
                [t.id for t in await uow.tasks.due_reminders(now, ahead=timedelta(hours=2))],
                [t.id for t in await uow.tasks.due_checkins(now)])
    assert await run(database, lambda uow: due(uow, NOW)) == ([], [], [])
    assert await run(database, lambda uow: due(uow, NOW + timedelta(minutes=30))) == ([waiting], [], [])
    assert await run(database, lambda uow: due(uow, TUESDAY_MORNING - timedelta(hours=1))) == ([waiting], [taken], [])
    assert await run(database, lambda uow: due(uow, TUESDAY_MORNING + timedelta(hours=3))) == ([waiting], [], [taken])

    async def finish(uow):
        await uow.tasks.update(taken, status=TaskStatus.DONE.value, done_at=TUESDAY_MORNING + timedelta(hours=3))
        return (await uow.volunteers.hours_served(v.id),
                await uow.tasks.awaiting_photo(v.id, since=TUESDAY_MORNING))
    hours, photo = await run(database, finish)
    assert hours == Decimal("3.00") and photo.id == taken

"""A volunteer's whole task on Telegram, through the Bot API emulator: the home, the ping accepted
by its button, check-in and check-out by buttons, a photo, the household's rating, and the same
hours and points in /points and on the home."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.volunteers.ports import SLOTS, TaskStatus
from bot.staff_commands import StaffCommands
from bot.telegram.service import TelegramBot, TelegramSettings
from tests.bot.casework import applied
from tests.bot.conftest import fast
from tests.bot.telegram_driver import act, settled
from tests.bot.test_volunteering_e2e import arrives
from tests.cases.helpers import add_staff
from tests.volunteers.helpers import spec, volunteer

STARTS = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in the region


@pytest.fixture
async def bot(emulator, database, telegram_conversations, clock):
    conversations = telegram_conversations
    backend = conversations.services.backend
    staff = StaffCommands(database, desk=conversations.desk, volunteering=backend.volunteering, ledger=backend.ledger,
                          clock=clock)
    running = TelegramBot(conversations,
                          fast(TelegramSettings(token=emulator.token, api_base_url=emulator.url, poll_timeout=1)),
                          desk=conversations.desk, staff_commands=staff)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def tap(emulator, database, user, label, message):
    await user.press(message, message.button(label)["callback_data"])
    await settled(database, user, emulator.last_update_id)
    return user.sent()[-1]


async def test_a_task_from_ping_to_points_on_telegram(emulator, database, clock, bot):
    conversations = bot.conversations
    teacher, household = emulator.user(4101, language_code="en"), emulator.user(4102, language_code="en")
    helper = await volunteer(database, str(teacher.id), name="Anna Li", slots=SLOTS, now=clock())
    async with database.unit_of_work() as uow:
        resident = await uow.residents.identify("telegram", str(teacher.id), now=clock())
        await uow.residents.set_locale(resident.id, "en")
        await uow.commit()
    home = (await act(emulator, database, teacher, "/start"))[-1]
    assert "this is your volunteer home" in home.plain_text and "No tasks for now" in home.plain_text

    _, number = await applied(conversations, database, "telegram", str(household.id))
    wang = (await add_staff(database, "wang")).user
    async with database.unit_of_work() as uow:
        task = await conversations.services.backend.volunteering.create_task(
            uow, wang, spec(starts_at=STARTS, minutes=90, number=number), now=clock())
        await uow.commit()
    ping = await arrives(database, clock, conversations, teacher, "A volunteer task near you")
    accepted = await tap(emulator, database, teacher, "Accept", ping)
    assert "the task is yours" in accepted.plain_text

    # Tuesday: the home offers the check-in; the check-in's answer carries the check-out.
    clock.advance(STARTS - timedelta(minutes=3) - clock())
    home = (await act(emulator, database, teacher, "hello"))[-1]
    assert "check in when you arrive" in home.plain_text
    checked_in = await tap(emulator, database, teacher, "Check in", home)
    assert "Checked in" in checked_in.plain_text
    clock.advance(timedelta(minutes=93))
    thanks = await tap(emulator, database, teacher, "Check out", checked_in)
    assert "1.50 hours of service recorded and 15 points credited" in thanks.plain_text
    await teacher.send_photo()
    await settled(database, teacher, emulator.last_update_id)
    assert teacher.sent()[-1].plain_text == "The photo was added to your task. Thank you."

    rating = await arrives(database, clock, conversations, household, "How was it?")
    rated = await tap(emulator, database, household, "★★★★★", rating)
    assert "Thank you for your rating (5 of 5)" in rated.plain_text

    points = (await act(emulator, database, teacher, "/points"))[-1].plain_text
    assert "You have 15 points, for 1.50 hours of service" in points
    home = (await act(emulator, database, teacher, "hello"))[-1].plain_text
    assert "1.50 hours of service, 15 points" in home
    async with database.unit_of_work() as uow:
        done = await uow.tasks.get(task.id)
    assert done.status is TaskStatus.CONFIRMED and done.served_minutes == 90 and done.photo_document_id
    assert done.volunteer_id == helper.id
    assert not emulator.flood_violations

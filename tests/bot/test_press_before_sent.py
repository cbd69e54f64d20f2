"""A press on the newest message the resident has been sent counts while newer ones wait to be
sent (a sender restarting, a flood wait): they cannot see what was not sent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from backend.db.models import OutboxRow
from flows import events as ev

CHANNEL = "telegram"
RESIDENT = "5150"


async def send_everything(database) -> None:
    """What the sender would do: every pending item goes out."""
    async with database.engine.begin() as connection:
        await connection.execute(update(OutboxRow).where(OutboxRow.status == "pending").values(status="sent"))


async def live_prompt_id(database) -> int:
    async with database.unit_of_work() as uow:
        item = await uow.outbox.live_prompt(CHANNEL, RESIDENT)
    assert item is not None
    return item.id


async def state(database) -> str:
    async with database.unit_of_work() as uow:
        resident = await uow.residents.find(CHANNEL, RESIDENT)
        assert resident is not None
        stored = await uow.sessions.load(resident.id, "intake")
    assert stored is not None
    return stored["state"]


async def test_a_second_tap_while_the_first_ones_reply_waits_counts_and_runs_no_second_turn(
    database, conversations
):
    await conversations.handle(CHANNEL, RESIDENT, ev.Command("start"), outbox=True)
    await send_everything(database)
    seen = await live_prompt_id(database)
    first = await conversations.press(CHANNEL, RESIDENT, seen, 0)
    assert not first.expired and first.replies
    after_first = await state(database)
    # The replies to that tap are not sent yet: the resident still sees the question, and taps again.
    again = await conversations.press(CHANNEL, RESIDENT, seen, 0)
    assert not again.expired and again.replies == []
    assert await state(database) == after_first  # its answer is on its way; nothing answered twice
    # Once the replies are out, the old question's buttons have expired indeed.
    await send_everything(database)
    late = await conversations.press(CHANNEL, RESIDENT, seen, 0)
    assert late.expired


async def test_a_press_on_the_question_they_saw_answers_it_and_withdraws_the_unsent_reminder(
    database, conversations, clock
):
    await conversations.handle(CHANNEL, RESIDENT, ev.Command("start"), outbox=True)
    await send_everything(database)
    seen = await live_prompt_id(database)
    asked = await state(database)
    clock.advance(conversations.services.settings.reminder_after + timedelta(minutes=1))
    await conversations.tick()  # a reminder asks the same question again, not sent yet
    reminder = await live_prompt_id(database)
    assert reminder != seen and await state(database) == asked

    pressed = await conversations.press(CHANNEL, RESIDENT, seen, 0)
    assert not pressed.expired and pressed.replies
    assert await state(database) != asked  # the press answered the question
    async with database.engine.connect() as connection:
        rows = await connection.execute(select(OutboxRow.kind, OutboxRow.payload).where(OutboxRow.status == "pending"))
        pending = [(kind, payload.get("key") or payload.get("chosen")) for kind, payload in rows]
    # The reminder and its copy of the question are withdrawn: asked after the answer, they would
    # only confuse. What goes out: the choice shown on the question they saw, and the next question.
    assert pending[0] == ("edit", "中文")
    assert [kind for kind, _ in pending[1:]] == ["message"] * (len(pending) - 1)
    assert not {"intake.reminder", "intake.language.prompt"} & {key for _, key in pending}


async def test_a_press_on_a_question_after_which_a_newer_one_was_sent_has_expired(database, conversations, clock):
    await conversations.handle(CHANNEL, RESIDENT, ev.Command("start"), outbox=True)
    await send_everything(database)
    seen = await live_prompt_id(database)
    asked = await state(database)
    clock.advance(conversations.services.settings.reminder_after + timedelta(minutes=1))
    await conversations.tick()
    await send_everything(database)  # the resident has the reminder's buttons now
    pressed = await conversations.press(CHANNEL, RESIDENT, seen, 0)
    assert pressed.expired and await state(database) == asked

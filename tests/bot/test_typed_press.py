"""Typed text that picks an option the channel showed (WeChat's numbered options) is a press,
read in the turn's own unit of work: the same turn as a tap on the button, once per message,
and a submission it makes that fails is answered as a failed tap is."""

from __future__ import annotations

from typing import Any

from backend.ports import UnitOfWork
from bot.app import build_conversations
from bot.runner import Conversations, Picked
from bot.wechat.choices import chosen_index
from flows import events as ev
from tests.bot.test_submission_failure import TO_THE_SUMMARY, DatabaseFails, applications, stored_session

CHANNEL = "wechat"
RESIDENT = "o_typed_press"


class Picks:
    """The live prompt's option a text names, as WeChat reads it; counts the unit of work it ran in."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.asked_in: list[UnitOfWork] = []

    async def __call__(self, uow: UnitOfWork) -> Picked | None:
        self.asked_in.append(uow)
        live = await uow.outbox.live_prompt(CHANNEL, RESIDENT)
        index = chosen_index(self.text, live.payload) if live is not None else None
        return Picked(live.id, index, live) if live is not None and index is not None else None


async def say(conversations: Conversations, text: str, inbound_id: int | None = None) -> tuple[list[Any], Picks]:
    pick = Picks(text)
    replies = await conversations.handle(CHANNEL, RESIDENT, ev.Text(text), outbox=True, pick=pick,
                                         inbound_id=inbound_id, locale_hint="zh_CN")
    return replies, pick


async def start(conversations: Conversations) -> None:
    await conversations.handle(CHANNEL, RESIDENT, ev.Command("start"), outbox=True, locale_hint="zh_CN")


async def state(database) -> dict[str, Any]:
    return await stored_session(database, CHANNEL, RESIDENT)


async def test_a_number_that_names_an_option_is_the_press_and_a_text_that_names_none_an_answer(
    database, conversations
):
    await start(conversations)
    async with database.unit_of_work() as uow:
        consent = await uow.outbox.live_prompt(CHANNEL, RESIDENT)
    assert consent is not None and consent.payload["key"] == "intake.consent.prompt"

    replies, pick = await say(conversations, "1")  # "I agree, for myself"
    assert len(pick.asked_in) == 1
    assert (await state(database))["answers"]["consent"] == "self"
    assert replies[-1].key == "intake.name.prompt"
    async with database.unit_of_work() as uow:  # the choice is shown on the message pressed
        edits = [i for i in await uow.outbox.recent(CHANNEL, RESIDENT, limit=5) if i.kind == "edit"]
    assert [e.payload["edit_of"] for e in edits] == [consent.id]

    replies, pick = await say(conversations, "王芳")  # a question answered in words
    assert len(pick.asked_in) == 1
    assert (await state(database))["answers"]["name"] == "王芳"


async def test_a_redelivered_message_picks_nothing_and_runs_no_second_turn(database, conversations):
    await start(conversations)
    await say(conversations, "1", inbound_id=7)
    before = await state(database)
    replies, pick = await say(conversations, "1", inbound_id=7)
    assert replies == [] and pick.asked_in == []
    assert await state(database) == before


async def test_a_typed_press_whose_submission_fails_is_answered_and_keeps_every_answer(
    database, config, clock, translations
):
    conversations = build_conversations(config, database, clock=clock, translations=translations,
                                        intake=DatabaseFails())
    await start(conversations)
    for line in TO_THE_SUMMARY:
        replies, _ = await say(conversations, line)
    assert replies[-1].key == "intake.summary"
    async with database.unit_of_work() as uow:
        summary = await uow.outbox.live_prompt(CHANNEL, RESIDENT)
    assert summary is not None

    replies, _ = await say(conversations, "1", inbound_id=99)  # submit: the database refuses it
    assert [r.key for r in replies] == ["submission.failed"]
    async with database.unit_of_work() as uow:  # the summary shows the choice, as after a tap
        edits = [i for i in await uow.outbox.recent(CHANNEL, RESIDENT, limit=5, after=summary.id)
                 if i.kind == "edit"]
    assert [e.payload["edit_of"] for e in edits] == [summary.id]
    assert (await state(database))["state"] == "summary"
    assert await applications(database) == 0
    # The message counts as handled: WeChat's retry of it submits nothing behind their back.
    replies, pick = await say(conversations, "1", inbound_id=99)
    assert replies == [] and pick.asked_in == []

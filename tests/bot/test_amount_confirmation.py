"""An amount's one-tap confirmation through the runner: its buttons live only while it is the live prompt,
and it survives a restart of the process between the proposal and the press."""

from __future__ import annotations

from backend.db.database import Database
from flows import events as ev
from tests.flows.helpers import APPLICANT_ID

CHANNEL, RESIDENT = "web", "w-1"
TO_INCOME: tuple[ev.Event, ...] = (
    ev.Command("start", ""), ev.Choice("agree"), ev.Choice("self"), ev.Text("张三"), ev.Text(APPLICANT_ID),
    ev.Text("13800138000"), ev.Choice("hubin"), ev.Choice("none"), ev.Text("1"), ev.Choice("healthy"),
    ev.Choice("employed"),
)


async def live_prompt(database: Database) -> tuple[int, str, list[str]]:
    """The live prompt's outbox id, message key and button labels."""
    async with database.unit_of_work() as uow:
        item = await uow.outbox.live_prompt(CHANNEL, RESIDENT)
    assert item is not None
    return item.id, item.payload["key"], [label for _, label, _ in item.payload["buttons"]]


async def test_only_the_live_proposal_can_be_pressed_and_it_outlives_a_restart(
    database, database_url, make_conversations
):
    conversations = make_conversations(database)
    for event in TO_INCOME:
        await conversations.handle(CHANNEL, RESIDENT, event, locale_hint="zh_CN", outbox=True)
    assert (await live_prompt(database))[1] == "intake.members.income.prompt"

    await conversations.handle(CHANNEL, RESIDENT, ev.Text("八百块左右"), locale_hint="zh_CN", outbox=True)
    first, key, labels = await live_prompt(database)
    assert (key, labels) == ("confirm.amount", ["是", "不是，重新输入"])
    await conversations.handle(CHANNEL, RESIDENT, ev.Text("大概九百"), locale_hint="zh_CN", outbox=True)
    second, key, _ = await live_prompt(database)
    assert key == "confirm.amount" and second != first

    # A new process: what awaits confirmation was kept with the session.
    restarted_database = Database(database_url)
    await restarted_database.connect()
    try:
        restarted = make_conversations(restarted_database)
        stale = await restarted.press(CHANNEL, RESIDENT, first, 0, locale_hint="zh_CN")
        assert stale.expired and stale.replies == []
        pressed = await restarted.press(CHANNEL, RESIDENT, second, 0, locale_hint="zh_CN")
        assert not pressed.expired
        assert [reply.key for reply in pressed.replies] == ["intake.other_income.prompt"]
        again = await restarted.press(CHANNEL, RESIDENT, second, 0, locale_hint="zh_CN")
        assert again.expired  # answered: its buttons are gone
    finally:
        await restarted_database.dispose()
    async with database.unit_of_work() as uow:
        resident = await uow.residents.find(CHANNEL, RESIDENT)
        assert resident is not None
        stored = await uow.sessions.load(resident.id, "intake")
    assert stored is not None
    assert stored["members"][0]["income"] == "900.00" and stored["pending"] is None

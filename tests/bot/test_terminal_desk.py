"""A caseworker at the terminal answers a resident at the terminal: list, claim, talk, close."""

from __future__ import annotations

import io

from backend.cases.ports import Role
from bot.terminal import CHANNEL
from bot.terminal_desk import TerminalCaseworker
from flows import events as ev
from locales import Translations
from tests.backend.factories import id_number
from tests.bot import dispatching
from tests.cases.helpers import add_staff

TO_NAME = (ev.Command("start"), ev.Choice("en"), ev.Choice("self"))
NAME_TO_OFFICE = (ev.Text("Zhang San"), ev.Text(id_number(7)), ev.Text("13800138000"), ev.Choice("hubin"))


async def test_a_terminal_caseworker_claims_talks_and_closes(conversations, database, clock):
    wang = (await add_staff(database, "wang", display_name="王芳")).user
    out = io.StringIO()
    desk = TerminalCaseworker(conversations, conversations.desk, wang, Translations()("en"), out=out)
    await desk.send("/tickets")
    assert "No request for a person is waiting." in out.getvalue()

    resident = "r-desk"
    for event in (*TO_NAME, *NAME_TO_OFFICE):
        await conversations.handle(CHANNEL, resident, event)
    await conversations.handle(CHANNEL, resident, ev.Command("human"))
    await desk.send("/tickets")
    assert "#1 — the resident asked for a person, at step urgent" in out.getvalue()
    await desk.send("/claim 1")
    assert out.getvalue().splitlines()[-1] == "已认领求助 #1"  # the desk answers in the office's language
    # The resident's words reach the desk; the caseworker's reach the resident when they next write.
    await conversations.handle(CHANNEL, resident, ev.Text("I have no food at home"))
    await desk.show_new()
    assert "I have no food at home" in out.getvalue()
    await desk.send("I am calling you now")
    dispatcher = dispatching.dispatcher(database, clock)
    await dispatcher.drain()
    replies = await conversations.handle(CHANNEL, resident, ev.Text("thank you"))
    assert any("王芳" in r.text and "I am calling you now" in r.text for r in replies)
    await desk.send("/close phoned, food parcel arranged")
    assert "Closed; the resident is back at their step." in out.getvalue()
    async with database.unit_of_work() as uow:
        ticket = await uow.escalations.get(1)
        who = await uow.residents.identify(CHANNEL, resident, now=clock())
    assert ticket.status == "closed" and ticket.claimed_by == "wang" and who.talking_to is None
    # A second caseworker is too late for a claimed request.
    li = (await add_staff(database, "li")).user
    other = io.StringIO()
    await TerminalCaseworker(conversations, conversations.desk, li, Translations()("en"), out=other).send("/claim 1")
    assert other.getvalue().splitlines()[-1] == "已由 wang 认领"


async def test_a_request_made_before_the_office_is_the_supervisors_until_the_office_is_known(
        conversations, database, clock):
    wang = (await add_staff(database, "wang")).user
    boss = (await add_staff(database, "boss", Role.SUPERVISOR)).user
    out, boss_out = io.StringIO(), io.StringIO()
    caseworker = TerminalCaseworker(conversations, conversations.desk, wang, Translations()("en"), out=out)
    supervisor = TerminalCaseworker(conversations, conversations.desk, boss, Translations()("en"), out=boss_out)
    resident = "r-early"
    for event in TO_NAME:
        await conversations.handle(CHANNEL, resident, event)
    await conversations.handle(CHANNEL, resident, ev.Command("human"))

    # No office yet: not a caseworker's to see or take, whichever office they work for.
    await caseworker.send("/tickets")
    assert "No request for a person is waiting." in out.getvalue() and "#1" not in out.getvalue()
    await caseworker.send("/claim 1")
    async with database.unit_of_work() as uow:
        assert (await uow.escalations.get(1)).status == "open"
    await supervisor.send("/tickets")
    assert "#1 — the resident asked for a person, at step name" in boss_out.getvalue()

    # The resident names their office; the worker's next pass moves the request to its queue.
    for event in NAME_TO_OFFICE:
        await conversations.handle(CHANNEL, resident, event)
    await conversations.desk.escalate_unclaimed()
    async with database.unit_of_work() as uow:
        assert (await uow.escalations.get(1)).office == "hubin"
    await caseworker.send("/tickets")
    assert "#1 — the resident asked for a person, at step name" in out.getvalue()
    await caseworker.send("/claim 1")
    assert out.getvalue().splitlines()[-1] == "已认领求助 #1"

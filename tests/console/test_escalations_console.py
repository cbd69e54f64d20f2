"""Requests for a person from the web: listed live, claimed, answered and closed through the bot's
desk, so the resident hears the caseworker in their own channel, and chat claims count here too."""

from __future__ import annotations

from contextlib import asynccontextmanager

from aiohttp.test_utils import TestClient, TestServer

from backend.quiet_hours import QuietHours
from bot.app import build_conversations
from bot.console_desk import ConsoleDesk
from bot.dispatch import NotificationDispatcher
from bot.terminal import CHANNEL
from flows import events as ev
from locales import Translations
from tests.bot.test_terminal_desk import NAME_TO_OFFICE, TO_NAME
from tests.console.conftest import console_application, post_form, sign_in
from tests.fakes.clock import Counter, FakeClock


@asynccontextmanager
async def _asked_for_a_person(config, database, clock, before):
    """The console with the bot's desk, after resident r1 went through ``before`` and asked for a
    person: the conversations, a client and the open request."""
    conversations = build_conversations(config, database, clock=clock, new_id=Counter("doc"),
                                        translations=Translations())
    desk = ConsoleDesk(conversations.desk, conversations)
    async with TestClient(TestServer(console_application(config, database, clock=clock, desk=desk))) as client:
        for event in (*before, ev.Command("human")):
            await conversations.handle(CHANNEL, "r1", event)
        async with database.unit_of_work() as uow:
            (ticket,) = await uow.escalations.open_for((await uow.residents.identify(CHANNEL, "r1", now=clock())).id)
        yield conversations, client, ticket


async def test_a_caseworker_claims_answers_and_closes_a_request_from_the_web(config, database, staff):
    clock = FakeClock()
    async with _asked_for_a_person(config, database, clock, (*TO_NAME, *NAME_TO_OFFICE)) as asked:
        conversations, client, ticket = asked
        assert ticket.office == "hubin"
        await sign_in(client, "wang")
        listed = await (await client.get("/console/escalations/live")).text()
        assert f'data-ticket="{ticket.id}"' in listed
        page = f"/console/escalations/{ticket.id}"
        claimed = await post_form(client, f"{page}/claim", page)
        assert "The request is yours" in await claimed.text()
        sent = await post_form(client, f"{page}/reply", page, text="你好，我是社工小王")
        assert "Sent to the resident" in await sent.text()
        # The resident reads it in their channel (the worker's pass first), and writes back.
        await NotificationDispatcher(database, translations=Translations(), html_translations=Translations(html=True),
                                     quiet=QuietHours.parse("00:00-00:00", "Asia/Shanghai"), clock=clock).drain()
        replies = await conversations.handle(CHANNEL, "r1", ev.Text("谢谢"))
        assert any("你好，我是社工小王" in r.text for r in replies)
        conversation = await (await client.get(page)).text()
        assert "谢谢" in conversation and "你好，我是社工小王" in conversation
        # Someone else cannot answer or close it.
        client.session.cookie_jar.clear()
        await sign_in(client, "li")
        refused = await post_form(client, f"{page}/reply", page, text="hi")
        assert "Nothing was sent" in await refused.text()
        client.session.cookie_jar.clear()
        await sign_in(client, "wang")
        closed = await post_form(client, f"{page}/close", page, note="helped by phone")
        assert "The request is closed" in await closed.text()
        async with database.unit_of_work() as uow:
            assert (await uow.escalations.get(ticket.id)).status == "closed"
            audit = [(e.actor, e.action) for e in await uow.audit.for_target(f"escalation:{ticket.id}")]
        assert audit == [("wang", "escalation.claim"), ("wang", "escalation.reply"), ("wang", "escalation.close")]


async def test_without_a_desk_requests_are_listed_but_not_answered(client, staff, database):
    async with database.unit_of_work() as uow:
        resident = await uow.residents.identify(CHANNEL, "r1", now=FakeClock()())
        await uow.escalations.add(resident.id, reason="urgent_need", step="urgent", at=FakeClock()(), office="hubin",
                                  urgent=True)
        await uow.commit()
    await sign_in(client, "wang")
    page = await (await client.get("/console/escalations")).text()
    assert "an urgent need" in page and "answered only in chat" in page and "/claim" not in page


async def test_a_request_made_before_the_office_is_for_supervisors_until_the_office_is_known(config, database, staff):
    async with _asked_for_a_person(config, database, FakeClock(), TO_NAME) as (conversations, client, ticket):
        assert ticket.office is None
        page = f"/console/escalations/{ticket.id}"
        for caseworker in ("wang", "zhao"):  # of the office the resident will choose, and of another
            client.session.cookie_jar.clear()
            await sign_in(client, caseworker)
            listed = await (await client.get("/console/escalations/live")).text()
            assert f'data-ticket="{ticket.id}"' not in listed
            assert (await client.get(page)).status == 403
            refused = await post_form(client, f"{page}/claim", "/console/escalations")
            assert "The request is yours" not in await refused.text()
        async with database.unit_of_work() as uow:
            assert (await uow.escalations.get(ticket.id)).status == "open"
        for manager in ("boss", "root"):
            client.session.cookie_jar.clear()
            await sign_in(client, manager)
            listed = await (await client.get("/console/escalations/live")).text()
            assert f'data-ticket="{ticket.id}"' in listed and "City-wide (no office chosen yet)" in listed
            assert (await client.get(page)).status == 200

        # The resident chooses their office; after the worker's pass it is in that office's queue.
        for event in NAME_TO_OFFICE:
            await conversations.handle(CHANNEL, "r1", event)
        await conversations.desk.escalate_unclaimed()
        client.session.cookie_jar.clear()
        await sign_in(client, "zhao")
        assert f'data-ticket="{ticket.id}"' not in await (await client.get("/console/escalations/live")).text()
        client.session.cookie_jar.clear()
        await sign_in(client, "wang")
        assert f'data-ticket="{ticket.id}"' in await (await client.get("/console/escalations/live")).text()
        claimed = await post_form(client, f"{page}/claim", page)
        assert "The request is yours" in await claimed.text()

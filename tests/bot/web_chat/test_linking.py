"""Linking Telegram to a web resident with a one-time code: the web resident keeps everything, and
Telegram then sees the same applications and session and gets the status updates."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.db.links import LINK_CHANNEL
from backend.db.models import ChannelIdentityRow
from bot.app import build_conversations
from bot.linking import LinkCodes
from bot.runner import Conversations
from flows import events as ev
from locales import Translations
from tests.bot.casework import START_REVIEW, acted, dispatched, request_info
from tests.bot.telegram_driver import act
from tests.bot.web_chat.test_web_chat import applied_and_acted
from tests.cases.helpers import NOW, add_staff, payload


async def link(conversations, telegram_id: str, code: str):
    return await conversations.handle("telegram", telegram_id, ev.Command("link", code), outbox=True, html=True)


async def started(browser):
    """A browser in English whose resident has begun a conversation."""
    web = browser(language="en")
    await web.open()
    await web.start()
    return web


async def resident_of(database, channel: str, external_id: str) -> str | None:
    async with database.unit_of_work() as uow:
        found = await uow.residents.find(channel, external_id)
    return found.id if found else None


@pytest.fixture
def chat_conversations(database, config, clock, translations) -> Conversations:
    """Codes 1000000001, 1000000002 ... instead of random ones, so that two are never the same by chance
    (and none is one of the guesses below, 6000000000 and up)."""
    counter = itertools.count(1000000001)
    return build_conversations(config, database, clock=clock, translations=translations,
                               html_translations=Translations(html=True),
                               links=LinkCodes(config.secret_key, draw=lambda: str(next(counter))))


async def test_telegram_linked_with_a_code_shares_the_web_residents_applications_and_updates(
    emulator, database, clock, polling_bot, telegram_conversations, telegram_web
):
    account = await add_staff(database, "wang")
    web = telegram_web(language="en")
    # An update while the resident is on the web only: it waits for them.
    resident, number = await applied_and_acted(telegram_conversations, database, clock, account, web, START_REVIEW)
    code = await web.link_code()
    assert len(code) == 12 and code[3] == code[7] == " " and code.replace(" ", "").isdigit()  # 123 456 7890
    # Only a keyed hash of the code is stored.
    async with database.engine.connect() as connection:
        (stored,) = (await connection.execute(
            select(ChannelIdentityRow.external_id).where(ChannelIdentityRow.channel == LINK_CHANNEL)
        )).scalars().all()
    assert code.replace(" ", "") not in stored and len(stored) == 64
    user = emulator.user(4004, language_code="en")
    (answer,) = await act(emulator, database, user, f"/link {code}")
    assert answer.plain_text.startswith("Linked!")
    assert await resident_of(database, "telegram", "4004") == resident
    # Telegram sees the web resident's application.
    status = await act(emulator, database, user, "/status")
    assert any(number in (m.plain_text or "") for m in status)
    # What waited for the web resident is pushed to Telegram now, and so is what comes next.
    await dispatched(database, clock)
    await acted(telegram_conversations, database, clock, account, number, request_info("Please send the bill"))
    for _ in range(200):
        texts = [m.plain_text or "" for m in user.sent()]
        if any("Please send the bill" in t for t in texts) and any("is being reviewed" in t for t in texts):
            break
        await asyncio.sleep(0.05)
    assert any(f"Your application {number} is being reviewed." in t for t in texts), texts
    assert any("Please send the bill" in t for t in texts), texts
    # The page says so; and the code cannot be used again.
    page = await web.open()
    assert "Linked with Telegram" in page.html
    other = emulator.user(4005, language_code="en")
    (again,) = await act(emulator, database, other, f"/link {code}")
    assert again.plain_text.startswith("That code is wrong, has expired or has been used already")


async def test_the_linked_identity_carries_on_where_the_web_resident_was(browser, database, chat_conversations, config):
    web = browser(language="en")
    await web.open()
    page = await web.start()
    page = await web.press_value(page.live_buttons()[0][0])  # agree, applying for myself
    # Someone who wrote to the bot before, with nothing of record: their unfinished start is dropped.
    await chat_conversations.handle("telegram", "77", ev.Command("start"), outbox=True, html=True)
    await chat_conversations.upload("telegram", "77", "a.png", "image/png", b"\x89PNG\r\n\x1a\n", outbox=True,
                                    html=True)
    before = await resident_of(database, "telegram", "77")
    code = await web.link_code()
    replies = await link(chat_conversations, "77", code)
    assert [r.key for r in replies] == ["link.done", "command.welcome_back", "intake.name.prompt"]
    web_resident = await resident_of(database, "web", web.web_id)
    assert await resident_of(database, "telegram", "77") == web_resident != before
    async with database.unit_of_work() as uow:
        assert await uow.residents.get(before) is None
        assert await uow.documents.unattached(web_resident) == []
    # One session, two ways in: answered on Telegram, seen on the web.
    replies = await chat_conversations.handle("telegram", "77", ev.Text("张三"), outbox=True, html=True)
    assert replies[-1].key == "intake.id_number.prompt"
    page = await web.open()
    assert [m.key for m in page.messages if not m.mine][-1] == "intake.name.prompt"  # the web's own transcript
    page = await web.send("110105198001010016")
    assert page.keys == ["intake.mobile.prompt"]
    # Sending a code of the same resident again changes nothing.
    assert [r.key for r in await link(chat_conversations, "77", await web.link_code())] == ["link.already"]


async def test_a_code_is_taken_once_within_ten_minutes_and_guessing_is_slowed(
    browser, database, chat_conversations, config, clock
):
    web = await started(browser)
    code = await web.link_code()
    clock.advance(timedelta(minutes=10))
    assert [r.key for r in await link(chat_conversations, "1", code)] == ["link.invalid"]  # expired
    first, second = await web.link_code(), await web.link_code()
    assert [r.key for r in await link(chat_conversations, "2", first)] == ["link.invalid"]  # replaced by the second
    assert (await link(chat_conversations, "2", second))[0].key == "link.done"
    assert [r.key for r in await link(chat_conversations, "3", second)] == ["link.invalid"]  # used
    assert [r.key for r in await link(chat_conversations, "4", "12ab")] == ["link.usage"]
    assert [r.key for r in await link(chat_conversations, "4", "")] == ["link.usage"]
    # Five codes that led nowhere in an hour, then even a right one waits.
    for guess in ("0000000001", "0000000002", "0000000003", "000-000-0004"):
        assert [r.key for r in await link(chat_conversations, "5", guess)] == ["link.invalid"]
    fresh = await web.link_code()
    assert [r.key for r in await link(chat_conversations, "5", "000 000 0005")] == ["link.invalid"]
    assert [r.key for r in await link(chat_conversations, "5", fresh)] == ["link.too_many"]
    clock.advance(timedelta(hours=1))
    fresh = await web.link_code()
    assert (await link(chat_conversations, "5", fresh))[0].key == "link.done"


async def test_a_telegram_identity_with_its_own_application_is_not_linked(browser, database, chat_conversations):
    web = await started(browser)
    async with database.unit_of_work() as uow:
        own = await uow.residents.identify("telegram", "9", now=NOW)
        await chat_conversations.services.intake.submit(uow, payload(2), resident_id=own.id, document_ids=[], now=NOW)
        await uow.commit()
    code = await web.link_code()
    replies = await link(chat_conversations, "9", code)
    assert [r.key for r in replies] == ["link.refused"]
    assert await resident_of(database, "telegram", "9") == own.id
    assert await resident_of(database, "web", web.web_id) != own.id


async def test_a_sustained_guessing_attack_drops_every_live_code_and_makes_all_link_wait(
    browser, database, chat_conversations, config, clock
):
    """Every new chat is a new identity, so guesses are also counted for the whole installation."""
    from bot.linking import GLOBAL

    web = await started(browser)
    code = await web.link_code()
    for n in range(GLOBAL.max_failures):
        # A new chat for every guess: no identity reaches its own limit.
        assert [r.key for r in await link(chat_conversations, f"guesser{n}", f"{9000000000 + n}")] == ["link.invalid"]
    assert [r.key for r in await link(chat_conversations, "owner", code)] == ["link.paused"]
    clock.advance(GLOBAL.first_block)
    # The attack is over; the code that was live then is gone, and a new one works.
    assert [r.key for r in await link(chat_conversations, "owner", code)] == ["link.invalid"]
    assert (await link(chat_conversations, "owner2", await web.link_code()))[0].key == "link.done"


async def test_guesses_are_limited_per_client_address(database, chat_conversations, config, clock):
    from bot.linking import PER_ADDRESS

    links = chat_conversations.links
    async with database.unit_of_work() as uow:
        owner = await uow.residents.identify("web", "w" * 24, now=NOW)
        code = await links.issue(uow, owner.id, now=NOW)
        await uow.commit()

    async def guess(external_id: str, arg: str, address: str):
        async with database.unit_of_work() as uow:
            resident = await uow.residents.identify("web", external_id, now=NOW)
            linked = await links.redeem(uow, resident, "web", external_id, ev.Command("link", arg), now=NOW,
                                        address=address)
            await uow.commit()
        return linked.reply.key

    for n in range(PER_ADDRESS.max_failures):
        assert await guess(f"browser{n:020d}", f"{8000000000 + n}", "203.0.113.5") == "link.invalid"
    assert await guess(f"browser{99:020d}", code, "203.0.113.5") == "link.too_many"
    assert await guess(f"browser{98:020d}", code, "198.51.100.7") == "link.done"


async def test_a_residents_own_code_dies_after_a_few_wrong_tries_from_them(browser, database, chat_conversations,
                                                                          config):
    from bot.linking import OWN_CODE_DIES_AFTER

    web = await started(browser)
    code = await web.link_code()
    for n in range(OWN_CODE_DIES_AFTER):
        await web.send(f"/link {7000000000 + n}")
    assert [r.key for r in await link(chat_conversations, "77", code)] == ["link.invalid"]


async def test_concurrent_guesses_look_up_no_more_codes_than_the_limit(database, chat_conversations):
    from bot.linking import PER_SOURCE

    async def guess(n: int):
        return await link(chat_conversations, "same chat", f"{6000000000 + n}")

    keys = [r[0].key for r in await asyncio.gather(*(guess(n) for n in range(15)))]
    assert keys.count("link.invalid") == PER_SOURCE.max_failures
    assert keys.count("link.too_many") == 15 - PER_SOURCE.max_failures


async def test_the_web_chat_counts_guesses_per_client_address_whatever_the_cookie(browser, chat_conversations,
                                                                                 config):
    from bot.linking import PER_ADDRESS

    owner = browser(language="en")
    await owner.open()
    await owner.start()
    code = await owner.link_code()
    # Each guess from a browser of its own, as a guesser throwing cookies away would: all from one address.
    for n in range(PER_ADDRESS.max_failures):
        guesser = browser(language="en")
        await guesser.open()
        assert (await guesser.send(f"/link {7000000000 + n}")).keys == ["link.invalid"]
    last = browser(language="en")
    await last.open()
    assert (await last.send(f"/link {code}")).keys == ["link.too_many"]

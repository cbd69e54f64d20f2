"""A person when a person is needed: caseworkers pinged, the first claim wins, messages relayed both
ways, /close returns the resident to their step, and a request nobody claims reaches the supervisor."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from backend.cases.ports import Role
from bot.app import build_conversations
from bot.desk import EscalationDesk
from bot.telegram.service import TelegramBot, TelegramSettings
from locales import Translations
from tests.bot.conftest import fast
from tests.bot.dispatching import dispatcher, until
from tests.bot.telegram_driver import Contact, Tap, act
from tests.cases.helpers import add_staff

TO_OFFICE = ("/start", Tap(0), "张三", "110105198001010016", Contact("+86 138 0013 8000"), Tap(0))


@pytest.fixture
def desk(database, clock) -> EscalationDesk:
    return EscalationDesk(database, translations=Translations(html=True), clock=clock, staff_refresh=0)


@pytest.fixture
def telegram_conversations(database, config, clock, translations, desk):
    return build_conversations(config, database, clock=clock, translations=translations,
                               html_translations=Translations(html=True), desk=desk)


@pytest.fixture
async def desk_bot(emulator, telegram_conversations, desk):
    bot = TelegramBot(
        telegram_conversations,
        fast(TelegramSettings(token=emulator.token, api_base_url=emulator.url, poll_timeout=1)),
        desk=desk,
    )
    await bot.start()
    try:
        yield bot, desk
    finally:
        await bot.stop()


async def delivered(database, clock, predicate, timeout: float = 10.0):
    """Run the notification dispatcher, as the worker does, until ``predicate`` holds."""
    worker = dispatcher(database, clock)
    for _ in range(int(timeout / 0.05)):
        await worker.drain()
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not delivered in time")


async def test_a_caseworker_claims_a_request_and_talks_with_the_resident(emulator, database, clock, desk_bot):
    await add_staff(database, "wang", display_name="王芳", telegram_id="9001", on_duty=True)
    await add_staff(database, "li", display_name="李强", telegram_id="9002", on_duty=True)
    await add_staff(database, "zhao", office="wenchang", telegram_id="9003", on_duty=True)
    wang, li, zhao = emulator.user(9001), emulator.user(9002), emulator.user(9003)
    resident = emulator.user(3004, language_code="zh-hans")
    for action in TO_OFFICE:
        await act(emulator, database, resident, action)
    await act(emulator, database, resident, "/human")
    await until(lambda: wang.sent() and li.sent())
    assert not zhao.sent()  # another office
    (ping,) = li.sent()
    assert "求助 #1" in ping.plain_text and "居民要求人工" in ping.plain_text
    wang_ping, wang_claim = wang.sent()[0], wang.sent()[0].buttons[0]["callback_data"]
    await li.press(ping, ping.buttons[0]["callback_data"])
    await until(lambda: len(li.sent()) >= 2 and wang.sent()[0].edits)
    assert "已由李强认领" in wang.sent()[0].plain_text and not wang.sent()[0].buttons
    assert "您已认领" in li.sent()[0].plain_text
    # The other caseworker is too late.
    await wang.press(wang_ping, wang_claim)
    await until(lambda: wang.callback_answers())
    assert wang.callback_answers()[-1].get("text") == "已由 li 认领"
    await delivered(database, clock, lambda: any("李强来了" in (m.plain_text or "") for m in resident.sent()))

    before = len(resident.sent())
    await resident.send("家里没饭吃了")
    await until(lambda: any("家里没饭吃了" in (m.plain_text or "") for m in li.sent()))
    await li.send("您好，我马上联系您")
    await delivered(database, clock,
                    lambda: any("李强：您好，我马上联系您" in (m.plain_text or "") for m in resident.sent()))
    await li.send("/close 已电话联系")
    await until(lambda: any("已结束" in (m.plain_text or "") for m in li.sent()))
    await delivered(database, clock, lambda: any("已结束这次对话" in (m.plain_text or "") for m in resident.sent()))
    # Back where they were: the urgent-need question after the office.
    await until(lambda: any(m.buttons for m in resident.sent()[before:]))
    async with database.unit_of_work() as uow:
        messages = await uow.escalations.messages(1)
        ticket = await uow.escalations.get(1)
    assert [(m.sender, m.body) for m in messages] == [
        ("resident", "家里没饭吃了"), ("staff", "您好，我马上联系您"), ("staff", "已电话联系")
    ]
    assert ticket.status == "closed" and ticket.claimed_by == "li"
    # "没饭吃" is a crisis word, but the message went to the caseworker who already had them: no second request.
    async with database.unit_of_work() as uow:
        assert await uow.escalations.get(2) is None


async def test_a_request_nobody_claims_reaches_the_supervisor(emulator, database, clock, desk_bot):
    _, desk = desk_bot
    await add_staff(database, "wang", telegram_id="9001", on_duty=True)
    await add_staff(database, "boss", Role.SUPERVISOR, telegram_id="9009")
    boss = emulator.user(9009)
    resident = emulator.user(3005, language_code="en")
    for action in TO_OFFICE:
        await act(emulator, database, resident, action)
    await act(emulator, database, resident, "/human")
    clock.advance(timedelta(minutes=9))
    assert await desk.escalate_unclaimed() == 0
    clock.advance(timedelta(minutes=2))
    assert await desk.escalate_unclaimed() == 1
    assert await desk.escalate_unclaimed() == 0  # once
    desk_bot[0].sender.wake()
    await until(lambda: boss.sent())
    assert "无人认领" in boss.sent()[0].plain_text and boss.sent()[0].buttons


async def test_a_message_given_up_is_reported_to_the_office(emulator, database, telegram_conversations, desk, clock):
    from tests.bot.telegram_driver import HAPPY_PATH, complete_intake

    bot = TelegramBot(
        telegram_conversations,
        fast(TelegramSettings(token=emulator.token, api_base_url=emulator.url, poll_timeout=1, send_attempts=2)),
        desk=desk,
    )
    await bot.start()
    try:
        await add_staff(database, "boss", Role.SUPERVISOR, telegram_id="9009")
        boss = emulator.user(9009)
        resident = emulator.user(3007, language_code="en")
        await complete_intake(emulator, database, resident, HAPPY_PATH)
        async with database.unit_of_work() as uow:
            who = await uow.residents.identify("telegram", "3007", now=clock())
            await uow.outbox.add(resident_id=who.id, channel="telegram", address="3007", kind="message",
                                 payload={"key": "notice.approved", "text": "approved", "html": False}, at=clock())
            await uow.commit()
        emulator.fail_next("sendMessage", "500", times=2)
        bot.sender.wake()
        await until(lambda: boss.sent(), timeout=15)
        assert "YM20261129000001" in boss.sent()[0].plain_text and "notice.approved" in boss.sent()[0].plain_text
        assert not any(m.text == "approved" for m in resident.sent())
    finally:
        await bot.stop()


async def test_a_request_made_before_the_office_reaches_supervisors_then_follows_the_office(
        emulator, database, clock, desk_bot):
    bot, desk = desk_bot
    await add_staff(database, "wang", telegram_id="9001", on_duty=True)
    await add_staff(database, "zhao", office="wenchang", telegram_id="9003", on_duty=True)
    await add_staff(database, "boss", Role.SUPERVISOR, telegram_id="9009")
    await add_staff(database, "chief", Role.SUPERVISOR, office="wenchang", telegram_id="9010")
    wang, zhao, boss, chief = (emulator.user(n) for n in (9001, 9003, 9009, 9010))
    resident = emulator.user(3006, language_code="zh-hans")
    for action in TO_OFFICE[:3]:  # consent and for whom; the office is not asked yet
        await act(emulator, database, resident, action)
    await act(emulator, database, resident, "/human")
    async with database.unit_of_work() as uow:
        ticket = await uow.escalations.get(1)
    assert ticket.office is None
    # The city-level queue is the supervisors': every office's get a copy, no caseworker does.
    await until(lambda: boss.sent() and chief.sent())
    assert not wang.sent() and not zhao.sent()
    assert "全市队列" in boss.sent()[0].plain_text
    async with database.unit_of_work() as uow:
        wang_user = await uow.users.get("wang")
    assert await desk.claim(wang_user, 1) == "这个按钮已过期，请使用最新一条消息里的按钮。"
    async with database.unit_of_work() as uow:
        assert (await uow.escalations.get(1)).status == "open"
    # Nobody claims it in time: the supervisors are reminded, as for an office's request.
    clock.advance(timedelta(minutes=11))
    assert await desk.escalate_unclaimed() == 1
    bot.sender.wake()
    await until(lambda: len(boss.sent()) >= 2 and len(chief.sent()) >= 2)
    assert "无人认领" in boss.sent()[1].plain_text

    # The resident answers the rest up to the office: the worker's pass moves the request there.
    for action in TO_OFFICE[3:]:
        await act(emulator, database, resident, action)
    await desk.escalate_unclaimed()
    bot.sender.wake()
    await until(lambda: wang.sent())
    assert not zhao.sent() and "求助 #1" in wang.sent()[0].plain_text
    # Another office's supervisor no longer may take it; the office's caseworker does.
    async with database.unit_of_work() as uow:
        chief_user = await uow.users.get("chief")
    assert await desk.claim(chief_user, 1) == "这个按钮已过期，请使用最新一条消息里的按钮。"
    await wang.press(wang.sent()[0], wang.sent()[0].buttons[0]["callback_data"])
    await until(lambda: wang.callback_answers())
    async with database.unit_of_work() as uow:
        assert (await uow.escalations.get(1)).claimed_by == "wang"


async def test_asking_again_once_the_office_is_known_moves_a_city_request_there(database, clock):
    desk = EscalationDesk(database, translations=Translations(html=True), clock=clock, staff_refresh=0)
    await add_staff(database, "wang", telegram_id="9001", on_duty=True)
    await add_staff(database, "boss", Role.SUPERVISOR, telegram_id="9009")
    async with database.unit_of_work() as uow:
        resident = await uow.residents.identify("telegram", "3008", now=clock())
        await desk.open(uow, resident.id, reason="resident_request", step="name", office=None, now=clock())
        # An urgent need answered right after the office asks for a person again, with the office.
        await desk.open(uow, resident.id, reason="urgent_need", step="urgent", office="hubin", now=clock())
        await uow.commit()
    async with database.unit_of_work() as uow:
        (ticket,) = await uow.escalations.open_for(resident.id)
        pinged = [username for username, _ in await uow.escalations.pings(ticket.id)]
    assert ticket.office == "hubin" and pinged == ["boss", "wang"]
    # A supervisor takes a city-level request like any in their queues.
    async with database.unit_of_work() as uow:
        other = await uow.residents.identify("telegram", "3009", now=clock())
        await desk.open(uow, other.id, reason="resident_request", step="name", office=None, now=clock())
        await uow.commit()
        boss = await uow.users.get("boss")
    async with database.unit_of_work() as uow:
        (city,) = await uow.escalations.open_for(other.id)
    assert await desk.claim(boss, city.id) == f"已认领求助 #{city.id}"

"""From "giving fish" to "teaching to fish", end to end on Telegram: a household accepts an offered
volunteer service; two volunteers register by deep link and are qualified by a caseworker in chat;
one declines the task, the other accepts, checks in, is credited points, reaches a milestone and
receives a certificate; the household rates the service; a redemption moves points exactly once."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from backend.cases.ports import CaseQuery, Role
from backend.points.ports import Holder
from backend.volunteers.ports import TaskSpec, TaskStatus
from bot.app import build_conversations
from bot.desk import EscalationDesk
from bot.staff_commands import StaffCommands
from bot.telegram.service import TelegramBot, TelegramSettings
from locales import Translations
from tests.bot.conftest import fast
from tests.bot.dispatching import dispatcher
from tests.bot.telegram_driver import Contact, act, complete_intake, last_with_buttons, settled
from tests.cases.helpers import add_staff

# Tuesday 1 December 2026, 09:00 to 12:00 in the region.
STARTS = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def telegram_conversations(database, config, clock, translations):
    desk = EscalationDesk(database, translations=Translations(html=True), clock=clock, staff_refresh=0)
    return build_conversations(config, database, clock=clock, translations=translations,
                               html_translations=Translations(html=True), desk=desk)


@pytest.fixture
async def bot(emulator, database, telegram_conversations, clock):
    conversations = telegram_conversations
    desk, backend = conversations.desk, conversations.services.backend
    staff = StaffCommands(database, desk=desk, volunteering=backend.volunteering, ledger=backend.ledger, clock=clock)
    running = TelegramBot(conversations,
                          fast(TelegramSettings(token=emulator.token, api_base_url=emulator.url, poll_timeout=1)),
                          desk=desk, staff_commands=staff)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def arrives(database, clock, conversations, user, needle, timeout=15.0):
    """Dispatch notifications as the worker does until a message containing ``needle`` reaches ``user``."""
    worker = dispatcher(database, clock, conversations.storage)
    for _ in range(int(timeout / 0.05)):
        await worker.drain()
        found = [m for m in user.sent() if needle in (m.plain_text or m.text or "")]
        if found:
            return found[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"{needle!r} never reached {user.id}: {[m.plain_text for m in user.sent()][-5:]}")


async def tap(emulator, database, user, label, message=None):
    message = message or last_with_buttons(user)
    await user.press(message, message.button(label)["callback_data"])
    await settled(database, user, emulator.last_update_id)


async def register(emulator, database, user, name):
    """The volunteer registration, opened by the deep link /start volunteer."""
    replies = await act(emulator, database, user, "/start volunteer")
    assert "credit + volunteer scheme" in replies[0].plain_text
    await tap(emulator, database, user, "I agree")
    await act(emulator, database, user, name)
    await act(emulator, database, user, Contact("+86 139 1234 5678"))
    for label in ("Hubin", "Done", "Going with someone to hospital", "Done", "Weekday mornings", "Done"):
        await tap(emulator, database, user, label)
    await tap(emulator, database, user, "Submit")
    assert "You are registered" in user.sent()[-1].plain_text
    async with database.unit_of_work() as uow:
        resident = await uow.residents.identify("telegram", str(user.id), now=datetime.now(UTC))
        return await uow.volunteers.by_resident(resident.id)


async def test_a_service_from_offer_to_certificate_and_a_redemption_once(emulator, database, clock, bot):
    conversations = bot.conversations
    await add_staff(database, "wang", display_name="王芳", telegram_id="9001", on_duty=True)
    await add_staff(database, "shop", Role.MERCHANT, display_name="明湖超市", telegram_id="9100")
    wang, shop = emulator.user(9001), emulator.user(9100)
    household = emulator.user(3101, language_code="en")
    anna, ben = emulator.user(3201, language_code="en"), emulator.user(3202, language_code="en")

    # The household applies; among its offers, an escort to hospital for its chronic illness.
    # They come as one digest an hour after the receipt; "Your offers" lists them to answer.
    await complete_intake(emulator, database, household)
    clock.advance(timedelta(hours=1))
    digest = await arrives(database, clock, conversations, household, "Going with someone to hospital")
    await tap(emulator, database, household, "Your offers", digest)
    listed = household.sent()[-1]
    (number,) = re.findall(r"(\d+)\. a volunteer to help, free of charge: Going with someone to hospital",
                           listed.plain_text)
    await tap(emulator, database, household, f"Accept {number}", listed)
    assert "will arrange the volunteer" in household.sent()[-1].plain_text

    # Two volunteers register in the chat; a caseworker vouches for their skill there too.
    volunteers = [
        await register(emulator, database, anna, "Anna Li"), await register(emulator, database, ben, "Ben Wu")
    ]
    for volunteer in volunteers:
        await wang.send(f"/qualify {volunteer.id} hospital_escort")
        await arrives(database, clock, conversations, wang, f"已确认{volunteer.name}具备")  # staff read Chinese
    # Ben served seven hours before; this task's three take him to the first milestone (ten).
    async with database.unit_of_work() as uow:
        earlier = await uow.tasks.add(TaskSpec("hospital_escort", "hubin", "X", "Y", "", STARTS - timedelta(days=30),
                                               STARTS - timedelta(days=30), 420), created_by="wang", at=clock())
        await uow.tasks.take(earlier.id, volunteers[1].id, at=clock())
        await uow.tasks.update(earlier.id, status=TaskStatus.DONE.value, done_at=clock(), served_minutes=420)
        await conversations.services.backend.ledger.credit_task(uow, str(volunteers[1].id), "Ben Wu",
                                                                hours=Decimal("7.00"), task=str(earlier.id),
                                                                by="volunteer", now=clock())
        (case,), _ = await uow.cases.list(CaseQuery(), now=clock())
        (requested,) = [t for t in await uow.tasks.for_application(case.number) if t.status is TaskStatus.REQUESTED]
        caseworker = await uow.users.get("wang")
        task = await conversations.services.backend.volunteering.schedule(
            uow, caseworker, requested.id, address="Hubin Road 8, unit 3", details="Follow-up at City Hospital No. 1",
            starts_at=STARTS, ends_at=STARTS + timedelta(hours=3), now=clock())
        await uow.commit()
    assert task.status is TaskStatus.OPEN

    # It is Sunday: they are asked when their weekday mornings begin, Monday at 08:00.
    clock.advance(datetime(2026, 11, 30, 0, 0, tzinfo=UTC) - clock())
    # Both are asked; Anna declines, Ben accepts.
    asked_anna = await arrives(database, clock, conversations, anna, "A volunteer task near you")
    asked_ben = await arrives(database, clock, conversations, ben, "A volunteer task near you")
    assert "Hubin Road" not in asked_anna.plain_text  # the address only once the task is theirs
    await tap(emulator, database, anna, "Decline", asked_anna)
    assert "we will ask someone else" in anna.sent()[-1].plain_text
    await tap(emulator, database, ben, "Accept", asked_ben)
    accepted = ben.sent()[-1].plain_text
    assert "the task is yours" in accepted and "Hubin Road 8, unit 3" in accepted
    await arrives(database, clock, conversations, household, "will help you")

    # After the task: the check-in, points, and the certificate as a document.
    clock.advance(STARTS + timedelta(hours=3, minutes=5) - clock())
    async with database.unit_of_work() as uow:
        await conversations.services.backend.volunteering.tick(uow, clock())
        await uow.commit()
    checkin = await arrives(database, clock, conversations, ben, "Did it happen?")
    await tap(emulator, database, ben, "Done", checkin)
    assert "30 points credited" in ben.sent()[-1].plain_text
    worker = dispatcher(database, clock, conversations.storage)
    for _ in range(300):
        await worker.drain()
        documents = [m for m in ben.sent() if m.kind == "document"]
        if documents:
            break
        await asyncio.sleep(0.05)
    (certificate,) = documents
    assert certificate.file_name.endswith(".svg")
    assert b"Ben Wu" in emulator._files[certificate.file_id].data and b"10" in emulator._files[certificate.file_id].data

    # The household confirms and rates it.
    rating = await arrives(database, clock, conversations, household, "How was it?")
    await tap(emulator, database, household, "★★★★★", rating)
    assert "Thank you for your rating (5 of 5)" in household.sent()[-1].plain_text

    # Ben asks for a code; the merchant confirms it once; the second time is refused.
    points = (await act(emulator, database, ben, "/points"))[-1].plain_text
    assert "You have 100 points, for 10.00 hours of service" in points  # 70 of them for the earlier 7 hours
    reply = (await act(emulator, database, ben, "/code 20"))[-1].plain_text
    code = re.search(r"\b(\d{8})\b", reply).group(1)
    await shop.send(f"/redeem {code}")
    await arrives(database, clock, conversations, shop, "核销成功：已兑换 20 积分")
    await shop.send(f"/redeem {code}")
    await arrives(database, clock, conversations, shop, "兑换码未通过")
    ledger = conversations.services.backend.ledger
    async with database.unit_of_work() as uow:
        assert (await ledger.balance(uow, Holder.VOLUNTEER, str(volunteers[1].id)))[1] == 80
        assert (await ledger.balance(uow, Holder.MERCHANT, "shop"))[1] == 20
        assert (await ledger.balance(uow, Holder.VOLUNTEER, str(volunteers[0].id)))[1] == 0
    assert not emulator.flood_violations


"""Outreach on Telegram: a household monitoring found gets a message with a button; the application
opens filled in from the registry; the resident confirms each answer, corrects one, and submits.
A household with nobody in the chat is listed for a home visit instead."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from backend.db.models import AlertRow, RegistryHouseholdRow, RegistryPersonRow
from backend.monitoring.outreach import Outreach
from bot.app import build_conversations
from bot.telegram.service import TelegramSettings
from locales import Translations
from tests.bot import dispatching
from tests.bot.conftest import fast
from tests.bot.telegram_driver import TelegramBot, last_with_buttons, settled
from tests.cases.helpers import PACK

HEAD_ID, CHILD_ID = "110105198001010016", "11010520140101001X"
HOUSEHOLD = {
    "members": [
        {"relation": "self", "age": 46, "health": "serious", "disability_grade": None, "work": "unemployed",
         "monthly_income": "0"},
        {"relation": "child", "age": 12, "health": "healthy", "disability_grade": None, "work": "student",
         "monthly_income": "0"},
    ],
    "other_income": {"relatives_support": "0", "pension": "0", "agricultural": "0", "other": "0"},
    "assets": {"savings": "3000", "vehicles": 0, "homes": 1},
    "rigid_spending": {"medical": "42000", "education": "800"},
    "housing": {"status": "own", "monthly_rent": None},
    "hardship": {"types": ["illness"], "account": ""},
    "urgent_needs": [],
    "able_supporter": False,
    "region": {"district": "minghu", "office": "hubin"},
}


def cipher(id_number: str) -> str:
    return id_number[::-1]  # the registry's vault is tested on its own; any reversible stand-in does here


OUTREACH = Outreach(PACK, decrypt=cipher, secret=b"k")


@pytest.fixture
def telegram_conversations(database, config, clock, translations):
    return build_conversations(config, database, clock=clock, translations=translations,
                               html_translations=Translations(html=True), outreach=OUTREACH)


@pytest.fixture
async def bot(emulator, telegram_conversations):
    running = TelegramBot(telegram_conversations,
                          fast(TelegramSettings(token=emulator.token, api_base_url=emulator.url, poll_timeout=1)))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def household(database, clock, code, resident_id=None) -> int:
    now = clock()
    async with database.engine.begin() as connection:
        household_id = (await connection.execute(insert(RegistryHouseholdRow).values(
            code=code, office="hubin", household=HOUSEHOLD, monthly_income=Decimal(0), layer="dibao_marginal",
            resilience_level=3, types=["illness"], created_at=now, updated_at=now,
        ).returning(RegistryHouseholdRow.id))).scalar_one()
        for member, (name, number, relation, born) in enumerate((
            ("王建国", HEAD_ID, "self", date(1980, 1, 1)), ("王小明", CHILD_ID, "child", date(2014, 1, 1)),
        )):
            await connection.execute(insert(RegistryPersonRow).values(
                household_id=household_id, id_hash=f"{code}-{member}", id_cipher=cipher(number), name=name,
                birth_date=born, relation=relation, member=member, category="near_dibao", earner=member == 0,
                resident_id=resident_id if member == 0 else None, created_at=now,
            ))
        await connection.execute(insert(AlertRow).values(
            household_id=household_id, office="hubin", trigger="medical_spending", reason={}, trace={},
            status="new", deadline_at=now + timedelta(hours=48), created_at=now,
        ))
    return household_id


async def tap(emulator, database, user, label=None, *, selected=False):
    message = last_with_buttons(user)
    buttons = message.buttons
    if selected:
        button = next(b for b in buttons if b["text"].startswith("✓ "))
    else:
        button = message.button(label)
    await user.press(message, button["callback_data"])
    await settled(database, user, emulator.last_update_id)


async def test_a_household_found_by_monitoring_applies_by_confirming_what_the_office_knows(
    emulator, database, clock, bot
):
    user = emulator.user(5151, language_code="en")
    await user.send("/start")  # they once talked to the bot: the chat knows them
    await settled(database, user, emulator.last_update_id)
    async with database.unit_of_work() as uow:
        resident = await uow.residents.identify("telegram", "5151", now=clock())
    await household(database, clock, "H-1", resident.id)
    await household(database, clock, "H-2")  # nobody of this one is in the chat

    async with database.unit_of_work() as uow:
        assert await OUTREACH.reach_out(uow, now=clock()) == (1, 1)
        assert await OUTREACH.reach_out(uow, now=clock()) == (0, 0)  # never twice
        await uow.commit()
    async with database.engine.connect() as connection:
        assert sorted((await connection.execute(select(AlertRow.outreach))).scalars()) == ["sent", "visit"]
    dispatcher = dispatching.dispatcher(database, clock)
    for _ in range(200):
        await dispatcher.drain()
        if any("may now be eligible" in (m.plain_text or "") for m in user.sent()):
            break
        await asyncio.sleep(0.05)
    await tap(emulator, database, user, "Check and apply")
    assert "as the office filled it in" in "".join(m.plain_text or "" for m in user.sent()[-3:])

    corrected = False
    for _ in range(60):
        latest = user.sent()[-1]
        if "mobile" in (latest.plain_text or "").lower() and not latest.buttons:
            # Not known to the office: the one question asked afresh, answered by sharing the number.
            await user.share_contact("+86 139 1234 5678")
            await settled(database, user, emulator.last_update_id)
            continue
        message = last_with_buttons(user)
        text = message.plain_text or ""
        labels = [b["text"] for b in message.buttons]
        if "Submit" in labels:
            break
        if "I agree, applying for myself" in labels:
            await tap(emulator, database, user, "I agree, applying for myself")
        elif "savings" in text.lower() and not corrected:
            await user.send("1500")  # the one correction
            await settled(database, user, emulator.last_update_id)
            corrected = True
        elif any(label.startswith("Keep") for label in labels):
            await tap(emulator, database, user, "Keep")
        elif any(label.startswith("✓ ") for label in labels) and "Done" not in labels:
            await tap(emulator, database, user, selected=True)
        elif "Done" in labels:
            await tap(emulator, database, user, "Done")
        else:
            await tap(emulator, database, user, "Skip")
    await tap(emulator, database, user, "Submit")
    assert corrected
    async with database.unit_of_work() as uow:
        (application,) = await uow.applications.list_for_resident(resident.id)
        stored = await uow.applications.get(application.number)
    assert stored.applicant.name == "王建国" and stored.applicant.id_number == HEAD_ID
    assert stored.assets.savings == Decimal("1500.00")
    assert stored.members[1].id_number == CHILD_ID and stored.members[0].health == "serious"
    assert stored.rigid_spending.medical == Decimal("42000.00")


async def test_a_button_of_another_household_opens_nothing(emulator, database, clock, telegram_conversations):
    from bot.terminal import CHANNEL
    from flows import events as ev

    await household(database, clock, "H-3")  # alert 1, nobody bound
    replies = await telegram_conversations.handle(CHANNEL, "stranger", ev.Choice("apply:1"))
    assert all(r.key != "outreach.prefilled" for r in replies)


async def test_a_household_listed_for_a_visit_applies_by_the_caseworkers_link(database, clock, telegram_conversations):
    from bot.terminal import CHANNEL
    from flows import events as ev

    await household(database, clock, "H-4")  # alert 1, nobody of it in the chat
    link = OUTREACH.link(1)
    assert OUTREACH.parse_link(link) == 1 and OUTREACH.parse_link("apply-1-0000") is None
    assert OUTREACH.parse_link(link.replace("apply-1-", "apply-2-")) is None  # not another household's
    opened = await telegram_conversations.handle(CHANNEL, "visited", ev.Command("start", link))
    assert opened[0].key == "outreach.prefilled"
    # The link was for the head, whose chat it now is: someone else opening it gets the ordinary start.
    other = await telegram_conversations.handle(CHANNEL, "someone-else", ev.Command("start", link))
    assert all(r.key != "outreach.prefilled" for r in other)

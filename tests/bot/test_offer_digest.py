"""Offers that wait and don't crowd: after a submission one digest instead of a message per
offer, at the pack's delay and never in quiet hours; a daily cap of unsolicited messages that
holds the rest to the next day and never holds a status update; the open offers on request."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from backend.db.models import NotificationRow, OutboxRow
from backend.delivery.pacing import Pacing
from backend.quiet_hours import QuietHours
from bot.dispatch import NotificationDispatcher
from bot.terminal import CHANNEL
from flows import events as ev
from locales import Translations
from tests.bot.test_volunteer_chat import button, say
from tests.cases.helpers import PACK, payload
from tests.fakes.clock import FakeClock

# 20:30 in the region: the digest's hour after the receipt ends in quiet hours (22:00-07:00).
EVENING = datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
NOON = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


def dispatcher(database, clock):
    return NotificationDispatcher(database, translations=Translations(), html_translations=Translations(html=True),
                                  quiet=QuietHours.parse("22:00-07:00", "Asia/Shanghai"), clock=clock, pack=PACK)


async def telegram_resident(database, address="42", at=NOON):
    async with database.unit_of_work() as uow:
        who = await uow.residents.identify("telegram", address, now=at)
        await uow.residents.set_locale(who.id, "en")
        await uow.commit()
    return who.id


async def submitted(conversations, database, who, at, serial=1):
    """An unemployed adult's application: it brings volunteer services and the scheme invitation."""
    data = payload(serial)
    data["members"][0]["work"] = "unemployed"
    data["submitted_at"] = at.isoformat()
    async with database.unit_of_work() as uow:
        outcome = await conversations.services.intake.submit(uow, data, resident_id=who, document_ids=[], now=at)
        await uow.commit()
    return outcome.application.number


async def sent(database):
    async with database.engine.connect() as connection:
        rows = await connection.execute(select(OutboxRow.payload).order_by(OutboxRow.id))
        return [payload["key"] for (payload,) in rows]


async def pending(database):
    async with database.engine.connect() as connection:
        rows = await connection.execute(select(NotificationRow.kind, NotificationRow.not_before)
                                        .where(NotificationRow.status == "pending").order_by(NotificationRow.id))
        return [tuple(r) for r in rows]


def test_the_pacing_is_read_from_the_pack_with_its_defaults_elsewhere():
    assert Pacing.of(PACK, date(2026, 12, 5)) == Pacing(timedelta(minutes=60), 2, 30)
    assert Pacing.of(None, date(2026, 12, 5)) == Pacing()
    assert Pacing.of(PACK, date(2020, 1, 1)) == Pacing()  # before the parameters' first date


async def test_one_digest_an_hour_after_the_receipt_and_never_in_quiet_hours(conversations, database):
    clock = FakeClock(EVENING)
    who = await telegram_resident(database, at=EVENING)
    await submitted(conversations, database, who, EVENING)
    async with database.unit_of_work() as uow:
        made = await uow.offers.open_for(who, now=EVENING)
        notes = await uow.notifications.for_resident(who)
    assert len(made) >= 2
    # Status updates of the case, and ONE notification for all the offers.
    assert [n.kind for n in notes if n.application_number is None] == ["offers"]
    (digest,) = [n for n in notes if n.kind == "offers"]
    assert digest.params["offer_ids"] == [o.id for o in made]

    await dispatcher(database, clock).drain()
    assert "notice.offers" not in await sent(database)  # the case's news goes; the offers wait
    assert await pending(database) == [("offers", EVENING + timedelta(hours=1))]
    clock.advance(timedelta(minutes=59))
    assert (await dispatcher(database, clock).drain()).queued == 0
    # An hour after 20:30, and 22:00 later still, it is quiet hours: the digest waits for the morning.
    clock.now = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)  # 22:05
    assert (await dispatcher(database, clock).drain()).queued == 0
    clock.now = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 07:00 the next day
    assert (await dispatcher(database, clock).drain()).queued == 1
    assert (await sent(database)).count("notice.offers") == 1
    async with database.engine.connect() as connection:
        (payload,) = (await connection.execute(
            select(OutboxRow.payload).where(OutboxRow.payload["key"].as_string() == "notice.offers"))).one()
    assert "credit + volunteer scheme" in payload["text"] and "Tutoring" not in payload["text"]
    assert [label for _, label, _ in payload["buttons"]] == ["Your offers"]


async def test_a_digest_whose_offers_were_all_answered_is_not_sent(conversations, database):
    clock = FakeClock(NOON)
    who = await telegram_resident(database)
    await submitted(conversations, database, who, NOON)
    async with database.unit_of_work() as uow:
        for offer in await uow.offers.open_for(who, now=NOON):
            await uow.offers.answer(offer.id, status="declined", at=NOON)
        await uow.commit()
    clock.advance(timedelta(hours=1))
    await dispatcher(database, clock).drain()
    assert "notice.offers" not in await sent(database)


async def test_the_daily_cap_holds_unsolicited_messages_to_the_next_day_and_never_a_status_update(database):
    clock = FakeClock(NOON)
    who = await telegram_resident(database)
    async with database.unit_of_work() as uow:
        for n in range(3):
            await uow.notifications.add(resident_id=who, application_number=None, kind="broadcast",
                                        params={"texts": {"en": f"news {n}", "zh_CN": f"消息 {n}"}}, at=NOON)
        await uow.commit()
    done = await dispatcher(database, clock).drain()
    assert (done.queued, done.held) == (2, 1)  # the pack's cap: two a day
    # Later that day: another unsolicited one waits too; the case's own news goes at once.
    clock.advance(timedelta(hours=3))
    async with database.unit_of_work() as uow:
        await uow.notifications.add(resident_id=who, application_number=None, kind="outreach",
                                    params={"alert_id": 1, "buttons": []}, at=clock())
        await uow.notifications.add(resident_id=who, application_number="YM20261130000001", kind="approved",
                                    params={"package": ["medical"], "amount": "450"}, at=clock())
        await uow.commit()
    done = await dispatcher(database, clock).drain()
    assert (done.queued, done.held) == (1, 1)
    assert (await sent(database))[-1] == "notice.approved"
    # Held to the next day, not dropped: after midnight it is quiet hours, then both go.
    next_morning = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 07:00 on 1 December
    assert all(until == datetime(2026, 11, 30, 16, 0, tzinfo=UTC) for _, until in await pending(database))
    clock.now = next_morning
    done = await dispatcher(database, clock).drain()
    assert (done.queued, done.held) == (2, 0)
    assert await pending(database) == []


async def test_offers_listed_on_request_answered_from_the_list_and_gone_once_answered(conversations, database,
                                                                                        clock):
    async with database.unit_of_work() as uow:
        who = (await uow.residents.identify(CHANNEL, "jobless", now=clock())).id
        await uow.residents.set_locale(who, "en")
        await uow.commit()
    await submitted(conversations, database, who, clock())
    listed = (await say(conversations, "jobless", "/offers"))[-1]
    assert listed.key == "offers.list"
    async with database.unit_of_work() as uow:
        kinds = [o.kind for o in await uow.offers.open_for(who, now=clock())]
    assert [b.label for b in listed.buttons] == [f"{a} {n}" for n in range(1, len(kinds) + 1)
                                                 for a in ("Accept", "Not now")]
    service = kinds.index("service") + 1
    (said,) = await say(conversations, "jobless", ev.Choice(button([listed], f"Not now {service}")))
    assert said.key == "offer.declined_service"
    again = (await say(conversations, "jobless", "/offers"))[-1]
    assert len(again.buttons) == 2 * (len(kinds) - 1)
    # An offer past its time is listed no more.
    clock.advance(timedelta(days=30))
    assert (await say(conversations, "jobless", "/offers"))[-1].key == "offers.none"
    # /offers off still turns offers off.
    assert (await say(conversations, "jobless", "/offers off"))[0].key == "command.offers_off"


async def test_a_status_update_waiting_for_the_resident_carries_the_offers_button(conversations, database, clock):
    async with database.unit_of_work() as uow:
        who = (await uow.residents.identify(CHANNEL, "jobless", now=clock())).id
        await uow.residents.set_locale(who, "en")
        await uow.commit()
    await submitted(conversations, database, who, clock())
    await NotificationDispatcher(database, translations=Translations(), html_translations=Translations(html=True),
                                 quiet=QuietHours.parse("00:00-00:00", "Asia/Shanghai"), clock=clock).drain()
    replies = await say(conversations, "jobless", "hi")
    updates = [r for r in replies if r.key.startswith("notice.")]
    assert updates and all(r.key != "notice.offers" for r in updates)  # the digest is not due yet
    assert [b.label for b in updates[-1].buttons] == ["Your offers"]
    assert all(not r.buttons for r in updates[:-1])
    listed = (await say(conversations, "jobless", ev.Choice(button(updates, "Your offers"))))[-1]
    assert listed.key == "offers.list" and listed.buttons


async def test_the_status_list_carries_the_offers_button_while_offers_are_open(conversations, database, clock):
    async with database.unit_of_work() as uow:
        who = (await uow.residents.identify(CHANNEL, "jobless", now=clock())).id
        await uow.residents.set_locale(who, "en")
        await uow.commit()
    assert all(not r.buttons for r in await say(conversations, "jobless", "/status"))  # no offers yet
    await submitted(conversations, database, who, clock())
    replies = await say(conversations, "jobless", "/status")
    (status,) = [r for r in replies if r.key == "status.list"]
    assert [b.label for b in status.buttons] == ["Your offers"]
    listed = (await say(conversations, "jobless", ev.Choice(button([status], "Your offers"))))[-1]
    assert listed.key == "offers.list"

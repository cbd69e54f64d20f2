"""The record of numbered messages in flight (InboundOrder), on whichever database the fixture
gives: the same statements serve every database, though only PostgreSQL's turns consult them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


async def arrive(database, external_id: str, *numbers: int) -> None:
    async with database.unit_of_work() as uow:
        for number in numbers:
            await uow.inbound.arrive("telegram", external_id, number, now=NOW)
        await uow.commit()


async def test_a_gap_among_the_channels_numbers_is_missing_whichever_identity_fills_it(database):
    async with database.unit_of_work() as uow:
        # Nothing on record: nothing can be told missing (the store's first message).
        assert not await uow.inbound.missing_before("telegram", 100, 40)
    await arrive(database, "1", 100, 101)
    await arrive(database, "2", 103)
    await arrive(database, "9", 104)  # another channel's numbers are its own
    async with database.unit_of_work() as uow:
        await uow.inbound.arrive("wechat", "x", 102, now=NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert not await uow.inbound.missing_before("telegram", 102, 40)  # 100 and 101; none before 100
        assert await uow.inbound.missing_before("telegram", 104, 40)  # 102 has not arrived
        assert not await uow.inbound.missing_before("telegram", 104, 1)  # only 103 is looked at
    await arrive(database, "3", 102)
    async with database.unit_of_work() as uow:
        assert not await uow.inbound.missing_before("telegram", 105, 40)


async def test_an_earlier_message_waits_until_settled_and_only_while_patience_lasts(database):
    await arrive(database, "1", 7, 9)
    async with database.unit_of_work() as uow:
        since = NOW - timedelta(seconds=15)
        assert await uow.inbound.earlier_waiting("telegram", "1", 9, patience_since=since)
        assert not await uow.inbound.earlier_waiting("telegram", "2", 9, patience_since=since)
        assert not await uow.inbound.earlier_waiting("telegram", "1", 9, patience_since=NOW)  # past patience
        await uow.inbound.settle("telegram", "1", 7)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert not await uow.inbound.earlier_waiting("telegram", "1", 9, patience_since=since)

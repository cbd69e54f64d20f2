"""What a fired rule does: the household assessed again, its registry row and history updated, and
an alert for its office when it worsened, once per rule within the window."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, text, update

from backend.db.models import FeedEventRow, RegistryHouseholdRow, RegistryPersonRow
from backend.monitoring.triggers import evaluate
from tests.monitoring.seed import (
    FAMILY,
    IMPORTED,
    NOW,
    PACK,
    TODAY,
    add_events,
    add_household,
    alerts,
    event,
    history,
    household,
    member,
    pending,
    registry,
    reimport,
)

# Two well-paid earners with savings: ¥12,000 of medical bills changes neither layer nor level.
COMFORTABLE = household(member("self", 45, income="8000"), member("spouse", 43, income="7000"), savings="200000")


async def test_a_household_that_worsened_is_alerted_to_its_office(database) -> None:
    seeded = await add_household(database, household(member("self", 45, income="3500"),
                                                     member("spouse", 43, work="unable"), office="wenchang"))
    await add_events(database, [event(seeded.person(), seeded.id, "death")])

    summary = await evaluate(database, PACK, now=NOW)

    assert (summary.households, summary.fired, summary.worsened, summary.alerts) == (1, 1, 1, 1)
    [alert] = await alerts(database, seeded.id)
    assert (alert.office, alert.trigger, alert.status) == ("wenchang", "earner_lost", "new")
    assert alert.reason == {"rule": "earner_lost", "test": "earner_lost", "params": {"cause": "death", "age": 45}}
    assert alert.deadline_at == NOW + timedelta(hours=48)
    assert alert.trace["before"]["layer"] == "watch" and alert.trace["after"]["layer"] == "tekun"
    assert "layer" in alert.trace["worsened"] and "resilience_level" in alert.trace["worsened"]
    assert [e["kind"] for e in alert.trace["events"]] == ["death"]
    assert any(entry["rule"] == "layer" for entry in alert.trace["assessment"])
    row = await registry(database, seeded.id)
    assert (row.layer, row.resilience_level, row.monthly_income) == ("tekun", 2, Decimal("0.00"))
    assert [m["relation"] for m in row.household["members"]] == ["spouse"]
    assert row.assessed_at == NOW
    assert await history(database, seeded.id) == [("watch", 3, "import"), ("tekun", 2, "trigger:earner_lost")]


async def test_a_household_that_did_not_worsen_gets_history_and_no_alert(database) -> None:
    seeded = await add_household(database, COMFORTABLE)
    await add_events(database, [event(seeded.person(), seeded.id, "out_of_pocket", amount="12000")])

    summary = await evaluate(database, PACK, now=NOW)

    assert (summary.households, summary.fired, summary.worsened, summary.alerts) == (1, 1, 0, 0)
    assert await alerts(database) == []
    assert await history(database, seeded.id) == [("none", 3, "import"), ("none", 3, "trigger:medical_spending")]
    row = await registry(database, seeded.id)
    assert row.household["rigid_spending"]["medical"] == "12000.00"


async def test_a_new_hardship_type_is_a_worsening(database) -> None:
    seeded = await add_household(database, FAMILY)
    await add_events(database, [event(seeded.person(), seeded.id, "disaster_loss", amount="3000")])
    await evaluate(database, PACK, now=NOW)
    [alert] = await alerts(database)
    assert alert.trace["worsened"] == ["types"] and alert.trace["new_types"] == ["disaster"]
    assert alert.reason["params"] == {"loss": "3000.00"}
    row = await registry(database, seeded.id)
    assert row.types == ["disaster", "schooling"] and row.layer == "watch"


async def test_one_alert_per_household_and_rule_within_the_window_then_a_new_one(database) -> None:
    # Each pass: the registry is imported again as it was, and a disaster loss adds the disaster type.
    seeded = await add_household(database, FAMILY)

    async def loss(days: int) -> object:
        at = NOW + timedelta(days=days)
        await reimport(database, seeded.id, FAMILY, at=at)
        await add_events(database, [event(seeded.person(), seeded.id, "disaster_loss", amount="3000",
                                          on=TODAY + timedelta(days=days), imported_at=at)])
        return await evaluate(database, PACK, now=at)

    first, within, after = await loss(0), await loss(29), await loss(31)

    assert (first.worsened, first.alerts, first.suppressed) == (1, 1, 0)
    assert (within.worsened, within.alerts, within.suppressed) == (1, 0, 1)
    assert (after.worsened, after.alerts, after.suppressed) == (1, 1, 0)
    assert [a.created_at for a in await alerts(database, seeded.id)] == [NOW, NOW + timedelta(days=31)]
    assert [c for _, _, c in await history(database, seeded.id)].count("trigger:disaster_loss") == 3


async def test_the_window_is_per_rule(database) -> None:
    seeded = await add_household(database, household(member("self", 45, work="unemployed"), savings="30000"))
    await add_events(database, [event(seeded.person(), seeded.id, "disaster_loss", amount="3000")])
    await evaluate(database, PACK, now=NOW)
    later = NOW + timedelta(days=3)
    # A second loss brings the savings within the limit: the household falls into dibao, but the
    # disaster rule alerted it three days ago.
    await add_events(database, [event(seeded.person(), seeded.id, "disaster_loss", amount="5000",
                                      imported_at=later)])
    suppressed = await evaluate(database, PACK, now=later)
    assert (suppressed.worsened, suppressed.suppressed, suppressed.alerts) == (1, 1, 0)
    assert (await registry(database, seeded.id)).layer == "dibao"
    # Another rule is alerted all the same.
    latest = later + timedelta(days=1)
    await add_events(database, [event(seeded.person(), seeded.id, "disability_assessed", grade=1,
                                      imported_at=latest)])
    other = await evaluate(database, PACK, now=latest)
    assert other.alerts == 1
    assert [a.trigger for a in await alerts(database, seeded.id)] == ["disaster_loss", "severe_disability"]


async def test_every_rule_that_fired_for_a_worsened_household_raises_its_own_alert(database) -> None:
    seeded = await add_household(database, FAMILY)
    await add_events(database, [
        event(seeded.person(), seeded.id, "out_of_pocket", amount="11000"),
        event(seeded.person(1), seeded.id, "disability_assessed", grade=1),
    ])
    summary = await evaluate(database, PACK, now=NOW)
    assert summary.fired == 2 and summary.alerts == 2
    assert [a.trigger for a in await alerts(database)] == ["medical_spending", "severe_disability"]
    # One assessment, named after the first rule of the pack.
    assert [c for _, _, c in await history(database, seeded.id)] == ["import", "trigger:medical_spending"]


async def test_events_that_fired_nothing_are_applied_when_a_rule_fires_later(database) -> None:
    seeded = await add_household(database, FAMILY)
    await add_events(database, [event(seeded.person(1), seeded.id, "disability_assessed", grade=3),
                                event(seeded.person(), seeded.id, "out_of_pocket", amount="2000")])
    quiet = await evaluate(database, PACK, now=NOW)
    assert quiet.fired == 0 and await pending(database) == 0
    assert (await registry(database, seeded.id)).household["members"][1]["disability_grade"] is None

    later = NOW + timedelta(days=2)
    await add_events(database, [event(seeded.person(), seeded.id, "out_of_pocket", amount="8000",
                                      imported_at=later)])
    fired = await evaluate(database, PACK, now=later)

    assert fired.fired == 1
    row = await registry(database, seeded.id)
    assert row.household["members"][1]["disability_grade"] == 3
    assert row.household["rigid_spending"]["medical"] == "10000.00"
    # Applied once: a third pass that fires again adds only what is new.
    latest = later + timedelta(days=1)
    await add_events(database, [event(seeded.person(), seeded.id, "out_of_pocket", amount="500",
                                      imported_at=latest)])
    await evaluate(database, PACK, now=latest)
    assert (await registry(database, seeded.id)).household["rigid_spending"]["medical"] == "10500.00"


async def test_a_death_moves_the_other_persons_to_their_new_places_among_the_members(database) -> None:
    seeded = await add_household(database, FAMILY)
    await add_events(database, [event(seeded.person(), seeded.id, "death"),
                                event(seeded.person(2), seeded.id, "disability_assessed", grade=1)])
    await evaluate(database, PACK, now=NOW)
    async with database.engine.connect() as connection:
        places = dict((await connection.execute(
            select(RegistryPersonRow.id, RegistryPersonRow.member)
            .where(RegistryPersonRow.household_id == seeded.id))).all())
    assert places == {seeded.person(0): -1, seeded.person(1): 0, seeded.person(2): 1}
    members = (await registry(database, seeded.id)).household["members"]
    assert [(m["relation"], m["disability_grade"]) for m in members] == [("spouse", None), ("child", 1)]


async def test_a_household_that_cannot_be_assessed_is_skipped_and_its_events_still_evaluated(database) -> None:
    broken = await add_household(database, FAMILY)
    fine = await add_household(database, FAMILY)
    gone = dict(FAMILY, region={"district": "minghu", "office": "closed-office"})
    async with database.engine.begin() as connection:
        await connection.execute(update(RegistryHouseholdRow).where(RegistryHouseholdRow.id == broken.id)
                                 .values(household=gone))
    await add_events(database, [event(broken.person(), broken.id, "death"),
                                event(fine.person(), fine.id, "death")])
    summary = await evaluate(database, PACK, now=NOW)
    assert (summary.skipped, summary.households, summary.alerts, summary.events) == (1, 1, 1, 2)
    assert await pending(database) == 0
    assert [a.household_id for a in await alerts(database)] == [fine.id]


async def test_nothing_pending_is_a_quiet_pass(database) -> None:
    await add_household(database, FAMILY)
    summary = await evaluate(database, PACK, now=NOW)
    assert summary.events == 0 and summary.households == 0 and not summary.busy


async def test_a_second_evaluation_at_the_same_time_steps_aside(database, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time: a second evaluation waits for the lock instead")
    async with database.engine.connect() as holder:
        await holder.execute(text("SELECT pg_advisory_lock(hashtextextended('monitoring:evaluate', 0))"))
        try:
            summary = await evaluate(database, PACK, now=NOW)
        finally:
            await holder.execute(text("SELECT pg_advisory_unlock(hashtextextended('monitoring:evaluate', 0))"))
    assert summary.busy


async def test_an_import_in_flight_is_waited_for_and_its_events_are_not_lost(database, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time: the import's lock keeps the evaluation out")
    first = await add_household(database, FAMILY)
    second = await add_household(database, FAMILY)
    await add_events(database, [event(first.person(), first.id, "death")])
    async with database.engine.connect() as importer:
        # An import's transaction, inserted but not committed yet (an event id taken from the sequence).
        await importer.execute(insert(FeedEventRow), [event(second.person(), second.id, "death")])
        evaluation = asyncio.create_task(evaluate(database, PACK, now=NOW))
        await asyncio.sleep(0.5)
        assert not evaluation.done()  # it waits for the import to commit
        await importer.commit()
    summary = await evaluation
    assert (summary.events, summary.households) == (2, 2)
    assert await pending(database) == 0
    # A later import is pending for the next evaluation, which takes in nothing else.
    await add_events(database, [event(first.person(), first.id, "unemployed")])
    assert await pending(database) == 1
    assert (await evaluate(database, PACK, now=NOW)).events == 1
    assert await pending(database) == 0


async def test_a_serious_illness_marks_the_member_seriously_ill(database) -> None:
    seeded = await add_household(database, FAMILY)
    await add_events(database, [event(seeded.person(), seeded.id, "out_of_pocket", amount="800",
                                      detail={"serious": " Yes ", "diagnosis": "…"})])
    summary = await evaluate(database, PACK, now=NOW)
    assert summary.alerts == 1
    [alert] = await alerts(database)
    assert alert.reason["params"] == {"cause": "serious_illness", "age": 45} and "illness" in alert.trace["new_types"]
    member_0 = (await registry(database, seeded.id)).household["members"][0]
    assert member_0["health"] == "serious"


@pytest.mark.parametrize(("assessed_at", "alerted"), [
    (IMPORTED, False),  # today's parameters: the stored standing is what the old facts assess to
    (datetime(2024, 6, 1, tzinfo=UTC), True),  # the 2024 parameters differ: the old facts are assessed again
])
async def test_the_stored_standing_stands_for_the_old_facts_only_under_todays_parameters(
        database, assessed_at: datetime, alerted: bool) -> None:
    seeded = await add_household(database, household(member("self", 45, income="3500"),
                                                     member("spouse", 43, work="unable")), assessed_at=assessed_at)
    # As stored, the household already stood where the death will put it.
    async with database.engine.begin() as connection:
        await connection.execute(update(RegistryHouseholdRow).where(RegistryHouseholdRow.id == seeded.id)
                                 .values(layer="tekun", resilience_level=1, types=["disability", "illness"]))
    await add_events(database, [event(seeded.person(), seeded.id, "death")])

    summary = await evaluate(database, PACK, now=NOW)

    assert (summary.households, summary.worsened) == (1, int(alerted))
    assert [a.trace["before"]["layer"] for a in await alerts(database)] == (["watch"] if alerted else [])

"""Contract of the throttle's counters (``ThrottleRepository``), run on whichever database the
fixture provides, and the counting rules (``Limit``) on their own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from backend.throttle import Counter, Keys, Limit

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
LIMIT = Limit(max_failures=5, window=timedelta(minutes=15), first_block=timedelta(minutes=1),
              longest_block=timedelta(hours=1))


async def test_a_new_key_holds_a_fresh_counter_and_keeps_what_is_put(database):
    async with database.unit_of_work() as uow:
        assert await uow.throttles.hold("k", now=NOW) == Counter()
        await uow.throttles.put("k", Counter(3, NOW, NOW + timedelta(minutes=1), 2), now=NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.throttles.hold("k", now=NOW) == Counter(3, NOW, NOW + timedelta(minutes=1), 2)
        assert await uow.throttles.hold("other", now=NOW) == Counter()


async def test_concurrent_reservations_are_all_counted_and_stop_at_the_limit(database):
    """Many units of work reserving one key at once: none is lost, and no more pass than the limit."""

    async def guess() -> bool:
        async with database.unit_of_work() as uow:
            counter = await uow.throttles.hold("k", now=NOW)
            if counter.blocked(NOW):
                return False
            counter, _ = LIMIT.reserve(counter, NOW)
            await uow.throttles.put("k", counter, now=NOW)
            await uow.commit()
            return True

    passed = await asyncio.gather(*(guess() for _ in range(20)))
    assert sum(passed) == LIMIT.max_failures
    async with database.unit_of_work() as uow:
        assert (await uow.throttles.hold("k", now=NOW)).blocked(NOW) == NOW + LIMIT.first_block


async def test_purge_forgets_idle_counters_but_keeps_live_blocks(database):
    async with database.unit_of_work() as uow:
        await uow.throttles.hold("idle", now=NOW)
        await uow.throttles.put("idle", Counter(1, NOW), now=NOW)
        await uow.throttles.hold("blocked", now=NOW)
        await uow.throttles.put("blocked", Counter(0, None, NOW + timedelta(days=2), 3), now=NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.throttles.purge(before=NOW + timedelta(days=1)) == 1
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert (await uow.throttles.hold("blocked", now=NOW)).blocks == 3
        assert await uow.throttles.hold("idle", now=NOW) == Counter()


def test_the_block_doubles_up_to_its_cap_and_is_forgotten_after_a_quiet_day():
    counter, now, blocks = Counter(), NOW, []
    for _ in range(8):
        for _ in range(LIMIT.max_failures):
            counter, _ = LIMIT.reserve(counter, now)
        blocks.append(counter.blocked_until - now)
        now = counter.blocked_until
    assert blocks[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)] and blocks[-1] == timedelta(hours=1)
    now += timedelta(days=1)
    for _ in range(LIMIT.max_failures):
        counter, _ = LIMIT.reserve(counter, now)
    assert counter.blocked_until - now == LIMIT.first_block


def test_failures_outside_the_window_are_not_counted():
    counter, _ = LIMIT.reserve(Counter(), NOW)
    counter, number = LIMIT.reserve(counter, NOW + LIMIT.window)
    assert number == 1 and counter.since == NOW + LIMIT.window


def test_a_right_guess_takes_back_its_count_but_never_lifts_a_block():
    counter = Counter()
    for _ in range(3):
        counter, number = LIMIT.reserve(counter, NOW)
    assert LIMIT.forgive(counter, number, NOW, earlier=True) == Counter()
    assert LIMIT.forgive(counter, number, NOW, earlier=False).failures == 2
    blocked = Counter(0, None, NOW + timedelta(minutes=1), 1)
    assert LIMIT.forgive(blocked, 1, NOW, earlier=True) == blocked


def test_keys_are_keyed_by_secret_and_purpose():
    assert Keys(b"s", "a").of("x", "y") == Keys(b"s", "a").of("x", "y")
    assert Keys(b"s", "a").of("x") != Keys(b"t", "a").of("x") != Keys(b"s", "b").of("x")
    assert Keys(b"s", "a").of("x", "y") != Keys(b"s", "a").of("x\x00y", "")  # parts cannot be shifted

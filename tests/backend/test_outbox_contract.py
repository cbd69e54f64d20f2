"""The outbox and the per-identity cursor, on whichever database the fixture gives."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from backend.store.outbox import Lease, NewItem, presence_name

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


async def resident(database, external_id: str = "42"):
    async with database.unit_of_work() as uow:
        found = await uow.residents.identify("telegram", external_id, now=NOW)
        await uow.commit()
    return found


async def test_outbox_items_come_due_in_order_and_once_sent_are_gone(database):
    who = await resident(database)
    async with database.unit_of_work() as uow:
        first = await uow.outbox.add(
            resident_id=who.id, channel="telegram", address="42", kind="message", payload={"text": "一"}, at=NOW
        )
        second = await uow.outbox.add(
            resident_id=who.id, channel="telegram", address="42", kind="message", payload={"text": "二"}, at=NOW
        )
        await uow.outbox.add(
            resident_id=who.id, channel="web", address="42", kind="message", payload={"text": "x"}, at=NOW
        )
        await uow.commit()
    async with database.unit_of_work() as uow:
        due = await uow.outbox.due("telegram", now=NOW)
        assert [i.id for i in due] == [first, second]
        assert due[0].payload == {"text": "一"}
        await uow.outbox.mark_sent({first: "7"}, at=NOW)
        await uow.outbox.postpone(second, not_before=NOW + timedelta(seconds=5), attempts=1)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.outbox.due("telegram", now=NOW) == []
        third = await uow.outbox.add(
            resident_id=who.id, channel="telegram", address="42", kind="message", payload={"text": "三"}, at=NOW
        )
        # The third may not overtake the postponed second.
        assert await uow.outbox.due("telegram", now=NOW) == []
        later = await uow.outbox.due("telegram", now=NOW + timedelta(seconds=5))
        assert [(i.id, i.attempts) for i in later] == [(second, 1), (third, 0)]
        assert (await uow.outbox.get(first)).provider_message_id == "7"


async def test_items_queued_together_get_ids_in_the_order_given_and_come_due_in_it(database):
    who = await resident(database)
    texts = [f"{n}" for n in range(120)]  # more rows than one VALUES batch of some drivers
    async with database.unit_of_work() as uow:
        first = await uow.outbox.add(
            resident_id=who.id, channel="telegram", address="42", kind="message", payload={"text": "0"}, at=NOW
        )
        ids = await uow.outbox.add_many([
            NewItem(resident_id=who.id, channel="telegram", address=("42", "43")[n % 2], kind="message",
                    payload={"text": text}) for n, text in enumerate(texts)], at=NOW)
        await uow.commit()
    assert ids == sorted(ids) and len(set(ids)) == len(texts) and ids[0] > first
    async with database.unit_of_work() as uow:
        due = await uow.outbox.due("telegram", now=NOW, limit=500)
    assert [i.id for i in due] == [first, *ids]
    assert [i.payload["text"] for i in due[1:]] == texts


async def test_sends_finished_together_are_marked_in_one_call(database):
    who = await resident(database)
    async with database.unit_of_work() as uow:
        items = [
            await uow.outbox.add(
                resident_id=who.id, channel="telegram", address=address, kind="message", payload={}, at=NOW
            )
            for address in ("42", "42", "43")
        ]
        await uow.commit()
    async with database.unit_of_work() as uow:
        await uow.outbox.mark_sent({items[0]: "7", items[2]: None}, at=NOW)
        await uow.outbox.mark_sent({}, at=NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert [i.id for i in await uow.outbox.due("telegram", now=NOW)] == [items[1]]
        marked = await uow.outbox.get_many([*items, items[0], 999_999])
        assert await uow.outbox.get_many([]) == {}
    assert {i: (m.status, m.provider_message_id) for i, m in marked.items()} == {
        items[0]: ("sent", "7"),
        items[1]: ("pending", None),
        items[2]: ("sent", None),
    }


async def test_held_items_wait_until_released(database):
    who = await resident(database)
    async with database.unit_of_work() as uow:
        item = await uow.outbox.add(
            resident_id=who.id, channel="telegram", address="42", kind="message", payload={}, at=NOW
        )
        await uow.outbox.hold("telegram", "42")
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.outbox.due("telegram", now=NOW) == []
        await uow.outbox.release("telegram", "42")
        assert [i.id for i in await uow.outbox.due("telegram", now=NOW)] == [item]


async def test_an_inbound_id_is_accepted_once_and_never_an_older_one(database):
    await resident(database)
    async with database.unit_of_work() as uow:
        assert await uow.residents.accept_inbound("telegram", "42", 10)
        assert not await uow.residents.accept_inbound("telegram", "42", 10)
        assert not await uow.residents.accept_inbound("telegram", "42", 9)
        assert await uow.residents.accept_inbound("telegram", "42", 11)
        await uow.residents.set_active_prompt("telegram", "42", 5)
        assert await uow.residents.active_prompt("telegram", "42") == 5


async def test_the_live_prompt_is_the_message_an_identity_answers_with_its_buttons(database):
    who = await resident(database)
    await resident(database, "43")
    async with database.unit_of_work() as uow:
        assert await uow.outbox.live_prompt("telegram", "42") is None
        prompt = await uow.outbox.add(resident_id=who.id, channel="telegram", address="42", kind="message",
                                      payload={"text": "一", "buttons": [["yes", "是", False]]}, at=NOW)
        await uow.residents.set_active_prompt("telegram", "42", prompt)
        await uow.commit()
    async with database.unit_of_work() as uow:
        live = await uow.outbox.live_prompt("telegram", "42")
        assert live is not None and (live.id, live.address, live.payload["buttons"]) == (
            prompt, "42", [["yes", "是", False]]
        )
        assert await uow.outbox.get(prompt) == live
        assert await uow.outbox.live_prompt("telegram", "43") is None  # someone else's
        assert await uow.outbox.live_prompt("web", "42") is None
        await uow.residents.set_active_prompt("telegram", "42", None)
        assert await uow.outbox.live_prompt("telegram", "42") is None


async def _queue(database, addresses, per_address):
    async with database.unit_of_work() as uow:
        for address in addresses:
            who = await uow.residents.identify("telegram", address, now=NOW)
            for n in range(per_address):
                await uow.outbox.add(resident_id=who.id, channel="telegram", address=address, kind="message",
                                     payload={"text": f"{address}-{n}"}, at=NOW)
        await uow.commit()


@contextlib.asynccontextmanager
async def _alive(database, *owners):
    """Senders as they run: each present (on PostgreSQL a lease whose owner is not is free at once)."""
    async with contextlib.AsyncExitStack() as stack:
        for owner in owners:
            assert await stack.enter_async_context(database.presence(presence_name(owner)))
        yield


async def _claim(database, owner, now=NOW, limit=100):
    async with database.unit_of_work() as uow:
        items = await uow.outbox.due("telegram", now=now, limit=limit, lease=Lease(owner))
        await uow.commit()
    return items


async def test_a_leased_address_is_left_to_its_sender_until_the_lease_ends(database):
    async with _alive(database, "a", "b"):
        await _leases_hold(database)


async def _leases_hold(database):
    await _queue(database, ["1"], 2)
    first = await _claim(database, "a")
    assert [i.payload["text"] for i in first] == ["1-0", "1-1"]
    await _queue(database, ["2"], 1)
    assert [i.address for i in await _claim(database, "b")] == ["2"]  # "1" is a's
    assert [i.address for i in await _claim(database, "a")] == ["1", "1"]  # its own, again
    async with database.unit_of_work() as uow:
        await uow.outbox.mark_sent({first[0].id: "m1"}, at=NOW)
        await uow.commit()
    later = NOW + timedelta(seconds=61)  # a stopped without marking the second: its lease ran out
    assert [i.payload["text"] for i in await _claim(database, "b", now=later)] == ["1-1", "2-0"]


async def test_senders_claiming_at_once_never_share_an_address(database):
    import asyncio

    addresses = [str(n) for n in range(30)]
    await _queue(database, addresses, 3)
    async with _alive(database, *(f"s{n}" for n in range(4))):
        claims = await asyncio.gather(*(_claim(database, f"s{n}", limit=20) for n in range(4)))
    owners_of: dict[str, set[int]] = {}
    for n, items in enumerate(claims):
        for item in items:
            owners_of.setdefault(item.address, set()).add(n)
    assert all(len(owners) == 1 for owners in owners_of.values()), owners_of
    claimed = [item.id for items in claims for item in items]
    assert len(claimed) == len(set(claimed))


async def test_items_taken_without_a_hold_are_marked_by_the_taker_and_leased_to_nobody(database):
    """WeChat's passive reply: it takes one address's items and marks them in one transaction, so
    it leases nothing; items another sender holds are still left to it."""
    await _queue(database, ["1", "2"], 2)
    async with _alive(database, "a", "b"):
        assert [i.address for i in await _claim(database, "b", limit=2)] == ["1", "1"]
        async with database.unit_of_work() as uow:  # "1" is b's: nothing of it
            assert await uow.outbox.due("telegram", now=NOW, lease=Lease("a"), addresses=["1"], hold=False) == []
        async with database.unit_of_work() as uow:  # "2" is free
            taken = await uow.outbox.due("telegram", now=NOW, lease=Lease("a"), addresses=["2"], hold=False)
            assert [i.payload["text"] for i in taken] == ["2-0", "2-1"]
            if database.shared:  # another process's sender meanwhile: the address is a's till it commits
                assert [i.address for i in await _claim(database, "b")] == ["1", "1"]
            await uow.commit()  # not marked: as if the reply could not be handed over
        # Nothing was leased to a: b's next pass takes "2" at once.
        assert [i.payload["text"] for i in await _claim(database, "b")] == ["1-0", "1-1", "2-0", "2-1"]

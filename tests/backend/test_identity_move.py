"""Moving a channel identity to another resident (linking), and the web transcript's outbox reads,
on whichever database the fixture provides."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select

from backend.db.database import Database
from backend.db.models import ChannelIdentityRow, ConversationSessionRow, OutboxRow, ResidentRow
from backend.ports import DocumentMeta, NotFound
from tests.cases.helpers import intake, payload
from tests.volunteers.helpers import volunteer

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


async def resident(database: Database, channel: str, external_id: str) -> str:
    async with database.unit_of_work() as uow:
        found = await uow.residents.identify(channel, external_id, now=NOW)
        await uow.commit()
    return found.id


async def move(database: Database, channel: str, external_id: str, to: str):
    async with database.unit_of_work() as uow:
        moved = await uow.residents.move_identity(channel, external_id, to_resident=to)
        await uow.commit()
    return moved


async def rows(database: Database, row, *where) -> int:
    async with database.engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(row).where(*where))


async def test_an_identity_with_an_unfinished_conversation_moves_and_its_old_resident_goes(database):
    web = await resident(database, "web", "w1")
    old = await resident(database, "telegram", "7")
    async with database.unit_of_work() as uow:
        await uow.sessions.save(old, "intake", {"answers": {"name": "张三"}}, state="id_number", updated_at=NOW,
                                remind_at=None, expire_at=None)
        await uow.documents.add(DocumentMeta("d1", old, "a.png", "image/png", 3, "x" * 64, "k/a", NOW))
        await uow.outbox.add(resident_id=old, channel="telegram", address="7", kind="message", payload={}, at=NOW)
        await uow.residents.set_locale(old, "en")
        await uow.commit()
    moved = await move(database, "telegram", "7", web)
    assert moved.outcome == "moved" and [d.id for d in moved.discarded] == ["d1"]
    async with database.unit_of_work() as uow:
        assert (await uow.residents.find("telegram", "7")).id == web
        assert await uow.residents.get(old) is None
        assert (await uow.residents.get(web)).locale == "en"  # the web resident had none yet
        assert sorted(await uow.residents.identities(web)) == [("telegram", "7"), ("web", "w1")]
    assert await rows(database, ConversationSessionRow, ConversationSessionRow.resident_id == old) == 0
    assert await rows(database, OutboxRow, OutboxRow.resident_id == old) == 0
    # Again: it leads there already.
    assert (await move(database, "telegram", "7", web)).outcome == "already"


async def test_a_resident_with_another_way_in_stays(database):
    web = await resident(database, "web", "w1")
    old = await resident(database, "telegram", "7")
    async with database.engine.begin() as connection:
        # The old resident also writes from a terminal.
        await connection.execute(insert(ChannelIdentityRow).values(resident_id=old, channel="terminal",
                                                                   external_id="t", created_at=NOW))
    moved = await move(database, "telegram", "7", web)
    assert moved.outcome == "moved" and moved.discarded == ()
    async with database.unit_of_work() as uow:
        assert await uow.residents.get(old) is not None
        assert await uow.residents.identities(old) == [("terminal", "t")]


@pytest.mark.parametrize("record", ["application", "volunteer", "escalation"])
async def test_an_identity_whose_resident_has_records_is_not_moved(database, record):
    web = await resident(database, "web", "w1")
    old = await resident(database, "telegram", "7")
    if record == "application":
        async with database.unit_of_work() as uow:
            await intake().submit(uow, payload(3), resident_id=old, document_ids=[], now=NOW)
            await uow.commit()
    elif record == "volunteer":
        await volunteer(database, "7")
    else:
        async with database.unit_of_work() as uow:
            await uow.escalations.add(old, reason="resident_request", step="name", at=NOW)
            await uow.commit()
    assert (await move(database, "telegram", "7", web)).outcome == "refused"
    async with database.unit_of_work() as uow:
        assert (await uow.residents.find("telegram", "7")).id == old
    assert await rows(database, ResidentRow) == 2


async def test_moving_an_unknown_identity_is_an_error(database):
    web = await resident(database, "web", "w1")
    with pytest.raises(NotFound):
        await move(database, "telegram", "nobody", web)


async def test_link_codes_are_found_once_and_are_no_channel(database):
    web = await resident(database, "web", "w1")
    async with database.unit_of_work() as uow:
        assert await uow.links.add_code("h" * 64, web, at=NOW)
        assert not await uow.links.add_code("h" * 64, web, at=NOW)  # a live code has this hash
        assert await uow.residents.identities(web) == [("web", "w1")]
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.links.take_code("h" * 64) == (web, NOW)
        assert await uow.links.take_code("h" * 64) is None
        assert await uow.links.add_code("i" * 64, web, at=NOW) and await uow.links.add_code("j" * 64, web, at=NOW)
        await uow.links.forget_codes()  # every live code
        assert await uow.links.take_code("i" * 64) is None and await uow.links.take_code("j" * 64) is None


async def test_the_web_transcript_reads_the_newest_items_and_forgets_the_oldest(database):
    web = await resident(database, "web", "w1")
    async with database.unit_of_work() as uow:
        ids = [await uow.outbox.add(resident_id=web, channel="web", address="w1", kind="message",
                                    payload={"n": n}, at=NOW) for n in range(5)]
        await uow.outbox.add(resident_id=web, channel="web", address="w2", kind="message", payload={}, at=NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert [i.id for i in await uow.outbox.recent("web", "w1", limit=3)] == ids[2:]
        await uow.outbox.forget_before("web", "w1", ids[3], keep=ids[1])
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert [i.id for i in await uow.outbox.recent("web", "w1", limit=10)] == [ids[1], ids[3], ids[4]]
        assert len(await uow.outbox.recent("web", "w2", limit=10)) == 1


async def test_a_retired_web_identity_leads_to_nobody_and_its_resident_keeps_everything(database):
    web = await resident(database, "web", "w1")
    async with database.unit_of_work() as uow:
        await uow.outbox.add(resident_id=web, channel="web", address="w1", kind="message", payload={"text": "hi"},
                             at=NOW)
        assert not await uow.web_identities.retired("web", "w1")
        assert await uow.web_identities.retire("web", "w1")
        assert not await uow.web_identities.retire("web", "nobody")
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.web_identities.retired("web", "w1") and not await uow.web_identities.retired("web", "w2")
        assert await uow.residents.find("web", "w1") is None
        assert await uow.outbox.recent("web", "w1", limit=10) == []
        ((channel, retired),) = await uow.residents.identities(web)  # the resident keeps it, under another id
        assert channel == "web" and retired != "w1"
        assert [i.payload["text"] for i in await uow.outbox.recent("web", retired, limit=10)] == ["hi"]

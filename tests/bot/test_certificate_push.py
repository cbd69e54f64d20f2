"""A certificate reaches the volunteer on Telegram as an SVG file, drawn in their language."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from decimal import Decimal

from sqlalchemy import select

from backend.db.models import OutboxRow
from backend.documents import FileDocumentStorage
from backend.points.certificates import award_certificates
from flows import events as ev
from tests.bot.dispatching import dispatcher, until
from tests.cases.helpers import NOW, PACK, volunteer
from tests.fakes.clock import FakeClock

SVG = "{http://www.w3.org/2000/svg}"


async def certify(database, address: str, *, locale: str | None, name: str = "李华", channel: str = "telegram",
                  before: str = "5", after: str = "12.5") -> list[int]:
    """A volunteer on ``channel`` who reaches the 10-hour milestone."""
    volunteer_id, resident_id = await volunteer(database, address, name, channel=channel)
    async with database.unit_of_work() as uow:
        if locale:
            await uow.residents.set_locale(resident_id, locale)
        given = await award_certificates(uow, PACK, volunteer_id=volunteer_id, resident_id=resident_id, name=name,
                                         hours_before=Decimal(before), hours_after=Decimal(after), now=NOW)
        await uow.commit()
    return given


async def outbox(database):
    async with database.engine.connect() as connection:
        return (await connection.execute(select(OutboxRow).order_by(OutboxRow.id))).all()


def words(svg: bytes) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG}text") if t.text]


async def test_a_certificate_is_queued_as_a_document_drawn_in_the_residents_language(database, tmp_path):
    storage = FileDocumentStorage(tmp_path / "documents")
    (certificate,) = await certify(database, "42", locale="zh_CN", name="李<华>")
    done = await dispatcher(database, FakeClock(NOW), storage).drain()
    assert done.queued == 1
    (item,) = await outbox(database)
    assert (item.kind, item.address, item.priority) == ("document", "42", 1)
    payload = item.payload
    assert payload["mime"] == "image/svg+xml" and payload["html"] is True and payload["key"] == "notice.certificate"
    assert payload["filename"] == f"certificate-10h-YM-2026-{certificate:06d}.svg"
    # The caption is Telegram HTML: the name escaped there too.
    assert payload["caption"].startswith("恭喜李&lt;华&gt;！") and "12.5 小时" in payload["caption"]
    drawn = words(storage.open(payload["storage_key"]))
    assert "荣誉证书" in drawn and "李<华>" in drawn and f"证书编号：YM-2026-{certificate:06d}" in drawn


async def test_without_a_storage_the_congratulation_goes_as_a_message(database):
    await certify(database, "42", locale="en", name="Li Hua")
    await dispatcher(database, FakeClock(NOW)).drain()
    (item,) = await outbox(database)
    assert item.kind == "message" and item.payload["key"] == "notice.certificate"
    assert item.payload["text"].startswith("Congratulations, Li Hua! You have given 12.5 hours")


async def test_a_pass_that_fails_keeps_no_drawn_certificate(database, tmp_path, monkeypatch):
    from backend.db.outbox import SqlOutboxRepository

    storage = FileDocumentStorage(tmp_path / "documents")
    await certify(database, "42", locale="en", after="60")  # two milestones: 10 and 50

    async def failing_add(self, items, **kw):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(SqlOutboxRepository, "add_many", failing_add)
    try:
        await dispatcher(database, FakeClock(NOW), storage).run_once()
    except RuntimeError:
        pass
    else:
        raise AssertionError("the pass should have failed")
    assert not [p for p in (tmp_path / "documents").rglob("*") if p.is_file()]
    monkeypatch.undo()
    assert (await dispatcher(database, FakeClock(NOW), storage).drain()).queued == 2


async def test_a_terminal_volunteer_reads_the_congratulation_when_next_writing(database, conversations):
    await certify(database, "local", locale="en", name="Li Hua", channel="terminal")
    await dispatcher(database, FakeClock(NOW), conversations.storage).drain()
    assert await outbox(database) == []
    replies = await conversations.handle("terminal", "local", ev.Command("start", ""))
    assert replies[0].key == "notice.certificate" and "reached 10 hours" in replies[0].text


async def test_a_certificate_arrives_on_telegram_as_an_svg_file_despite_server_errors(
    emulator, database, telegram_conversations, polling_bot
):
    user = emulator.user(3101, language_code="en")
    storage = telegram_conversations.storage
    (certificate,) = await certify(database, "3101", locale="en", name="Li Hua")
    emulator.fail_next("sendDocument", "500", times=2)  # retried like any message
    await dispatcher(database, FakeClock(NOW), storage).drain()
    await until(lambda: user.sent())
    await asyncio.sleep(0.5)  # a second copy would arrive by now
    (sent,) = user.sent()
    assert sent.kind == "document"
    assert sent.file_name == f"certificate-10h-YM-2026-{certificate:06d}.svg"
    assert sent.message["document"]["mime_type"] == "image/svg+xml"
    assert sent.plain_text.startswith("Congratulations, Li Hua!")
    (item,) = await outbox(database)
    assert item.status == "sent" and item.attempts == 2
    file = await polling_bot.application.bot.get_file(sent.file_id)
    received = bytes(await file.download_as_bytearray())
    assert received == storage.open(item.payload["storage_key"])
    drawn = words(received)
    assert "Certificate of Honour" in drawn and "Li Hua" in drawn and "November 29, 2026" in drawn


async def test_a_document_whose_bytes_are_gone_is_given_up_not_retried(emulator, database, polling_bot):
    emulator.user(3102, language_code="en")
    async with database.unit_of_work() as uow:
        who = await uow.residents.identify("telegram", "3102", now=NOW)
        await uow.outbox.add(resident_id=who.id, channel="telegram", address="3102", kind="document",
                             payload={"key": "notice.certificate", "storage_key": "00/" + "0" * 32,
                                      "filename": "certificate.svg", "mime": "image/svg+xml", "caption": "x",
                                      "html": False}, at=NOW)
        await uow.commit()
    polling_bot.sender.wake()
    for _ in range(200):
        (item,) = await outbox(database)
        if item.status != "pending":
            break
        await asyncio.sleep(0.05)
    assert item.status == "failed"
    assert not emulator.calls("sendDocument")

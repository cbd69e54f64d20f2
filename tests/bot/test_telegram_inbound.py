"""Reading Telegram updates, and the runner's guard against a redelivered update."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from telegram import Update

from bot.telegram.inbound import parse_callback, read_update
from bot.telegram.limits import TokenBucket
from bot.telegram.ordering import ChatOrderedProcessor
from flows import events as ev


def update(**message) -> Update:
    base = {
        "message_id": 5, "date": 0, "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "A", "language_code": "en-US"},
    }
    return Update.de_json({"update_id": 9, "message": {**base, **message}}, None)


def test_a_deep_link_is_a_start_command_with_its_payload():
    inbound = read_update(update(text="/start volunteer"))
    assert inbound.event == ev.Command("start", "volunteer")
    assert inbound.locale_hint == "en" and inbound.external_id == "42" and inbound.update_id == 9


def test_commands_addressed_to_the_bot_by_name():
    assert read_update(update(text="/help@yimen_bot")).event == ev.Command("help", "")


def test_media_the_flow_cannot_take_is_named():
    sticker = {"file_id": "s", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1,
               "is_animated": False, "is_video": False}
    assert read_update(update(sticker=sticker)).event == ev.Unsupported("sticker")


def test_the_largest_photo_is_taken():
    sizes = [{"file_id": f"p{i}", "file_unique_id": f"u{i}", "width": w, "height": w, "file_size": w * 10}
             for i, w in enumerate((90, 320, 1280))]
    assert read_update(update(photo=sizes)).file_id == "p2"


def test_group_chats_are_not_answered():
    group = Update.de_json(
        {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": -5, "type": "group"}, "text": "hi",
                                      "from": {"id": 1, "is_bot": False, "first_name": "A"}}},
        None,
    )
    assert read_update(group) is None


def test_callback_data_is_checked_for_shape():
    assert parse_callback("12:3") == (12, 3)
    for forged in ("", "12", "a:b", "12:-1", "1" * 70 + ":1", None):
        assert parse_callback(forged) is None


def test_token_bucket_allows_a_burst_then_paces():
    now = [0.0]
    bucket = TokenBucket(2, 1.0, clock=lambda: now[0])
    assert bucket.wait() == 0 and bucket.wait() == 0
    assert bucket.wait() > 0.9
    now[0] += 1.0
    assert bucket.wait() == 0


async def test_chat_locks_keep_order_and_are_released():
    processor = ChatOrderedProcessor(max_concurrent_updates=10)
    seen: list[int] = []

    async def work(n: int, delay: float) -> None:
        await asyncio.sleep(delay)
        seen.append(n)

    updates = [update(text=str(n)) for n in range(3)]
    await asyncio.gather(*(processor.process_update(u, work(n, 0.03 - n * 0.01)) for n, u in enumerate(updates)))
    assert seen == [0, 1, 2]
    assert processor.chats_in_flight == 0


async def test_a_redelivered_update_is_ignored(conversations):
    first = await conversations.handle("telegram", "42", ev.Command("start"), inbound_id=100)
    again = await conversations.handle("telegram", "42", ev.Text("1"), inbound_id=100)
    older = await conversations.handle("telegram", "42", ev.Text("1"), inbound_id=99)
    assert first and again == [] and older == []


async def test_serve_without_a_token_says_how_to_turn_telegram_on(tmp_path):
    env = {**os.environ, "YIMEN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/y.sqlite3",
           "YIMEN_DATA_DIR": str(tmp_path), "YIMEN_HTTP_PORT": "0"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", env=env, stderr=asyncio.subprocess.PIPE
    )
    lines = []
    while not any(b"listening" in line for line in lines):
        lines.append(await asyncio.wait_for(process.stderr.readline(), timeout=30))
    process.send_signal(signal.SIGTERM)
    rest = await asyncio.wait_for(process.stderr.read(), timeout=30)
    assert await process.wait() == 0
    output = b"".join(lines).decode() + rest.decode()
    assert "Telegram is off" in output and "TELEGRAM_BOT_TOKEN" in output


class OrderRecord:
    """The database's part across processes, in memory: an update's arrival recorded, then a wait
    for the chat's earlier updates that have arrived and are not settled (as bot/runner/inbound.py's)."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.open: set[tuple[str, int]] = set()

    async def arrived(self, chat: str, update_id: int) -> None:
        self.events.append(f"arrived {chat}/{update_id}")
        self.open.add((chat, update_id))

    async def ready(self, chat: str, update_id: int) -> None:
        await self.arrived(chat, update_id)
        while any(c == chat and n < update_id for c, n in self.open):
            await asyncio.sleep(0.005)
        self.events.append(f"ready {chat}/{update_id}")

    async def settled(self, chat: str, update_id: int) -> None:
        self.events.append(f"settled {chat}/{update_id}")
        self.open.discard((chat, update_id))


def numbered(update_id: int) -> Update:
    return Update.de_json({**update(text=str(update_id)).to_dict(), "update_id": update_id}, None)


async def test_each_update_is_recorded_waits_for_earlier_ones_then_is_settled_even_when_its_handler_fails():
    record = OrderRecord()
    processor = ChatOrderedProcessor(ready=record.ready, settled=record.settled)

    async def work(n: int) -> None:
        record.events.append(f"work {n}")
        if n == 10:
            raise RuntimeError("the handler failed")

    results = await asyncio.gather(processor.process_update(numbered(9), work(9)),
                                   processor.process_update(numbered(10), work(10)), return_exceptions=True)
    assert isinstance(results[1], RuntimeError)
    assert [e for e in record.events if not e.startswith("arrived")] == [
        "ready 42/9", "work 9", "settled 42/9", "ready 42/10", "work 10", "settled 42/10"]
    assert not record.open and processor.chats_in_flight == 0


async def test_an_earlier_update_sent_again_to_this_process_goes_before_a_later_one_waiting_for_it():
    """Update 9 reached a process that died before its turn; update 10 reached this one and waits
    for 9. When Telegram sends 9 again and it reaches this process, it runs first, at once: it does
    not queue behind 10, which would wait out its patience and then run out of order."""
    record = OrderRecord()
    await record.arrived("42", 9)  # recorded by the process that died
    processor = ChatOrderedProcessor(ready=record.ready, settled=record.settled)
    ran: list[int] = []

    async def work(n: int) -> None:
        ran.append(n)

    later = asyncio.create_task(processor.process_update(numbered(10), work(10)))
    await asyncio.sleep(0.05)
    assert ran == []  # 10 waits for 9
    await asyncio.wait_for(processor.process_update(numbered(9), work(9)), timeout=2)
    await asyncio.wait_for(later, timeout=2)
    assert ran == [9, 10]

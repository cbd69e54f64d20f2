"""Status updates reach each resident once: through failing sends, a killed sender, two senders.

What the resident sees is what the emulator recorded for their chat. A send the emulator never
took (a 429, a 5xx, a connection dropped before the request was handled) is retried and seen
once. Two cases are seen twice, because Telegram offers no way to make a send idempotent: the
process dies after Telegram took a message and before the message was marked sent, or the
answer is lost on the way back. The kill test counts the first case exactly (the messages
Telegram holds whose rows were not marked sent when the process died) and allows those, and
only those, a second copy; the last test pins down the second.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from telegram import Bot

from backend.db.database import Database
from backend.db.models import ChannelIdentityRow, NotificationRow, OutboxRow, ResidentRow
from bot.app import system_clock
from bot.dispatch import NotificationDispatcher
from bot.telegram.limits import FloodLimits
from bot.telegram.sender import OutboxSender
from tests.bot import dispatching
from tests.bot.test_telegram_process import start_serve
from tests.fakes.telegram_api import BotApiEmulator

FIRST_CHAT = 810000
# One send in five fails: Telegram says so (429, 5xx) or the connection drops before it took it.
FAULTS = ("429", "500", "502", "drop")
FAIL_RATE = 0.2

Row = tuple[int, str, str, str]  # outbox id, chat, text, status


@pytest.fixture
async def telegram() -> AsyncIterator[BotApiEmulator]:
    """The emulator at Telegram's own flood limits, which `yimen serve` keeps."""
    async with BotApiEmulator() as api:
        yield api


async def load_backlog(database: Database, emulator: BotApiEmulator, residents: int, backlog: int) -> None:
    """Residents on Telegram and pending notifications, each about its own application (none coalesce)."""
    now = datetime.now(UTC)
    for n in range(residents):
        emulator.user(FIRST_CHAT + n)
    async with database.engine.begin() as connection:
        await connection.execute(
            insert(ResidentRow),
            [{"id": f"r{n}", "locale": ("zh_CN", "en")[n % 2], "created_at": now} for n in range(residents)],
        )
        await connection.execute(
            insert(ChannelIdentityRow),
            [{"resident_id": f"r{n}", "channel": "telegram", "external_id": str(FIRST_CHAT + n), "created_at": now}
             for n in range(residents)],
        )
        await connection.execute(
            insert(NotificationRow),
            [{"resident_id": f"r{n % residents}", "application_number": f"YM{n:08d}", "kind": "under_review",
              "params": {}, "urgent": False, "status": "pending", "created_at": now} for n in range(backlog)],
        )


async def wait_until(condition: Callable[[], bool | Awaitable[bool]], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        met = condition()
        if not isinstance(met, bool):
            met = await met
        if met:
            return
        if loop.time() > deadline:
            raise TimeoutError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)


def seen(emulator: BotApiEmulator, residents: int) -> Counter[tuple[str, str]]:
    """(chat, text) of every message the residents received, counted."""
    return Counter(
        (str(FIRST_CHAT + n), message.text or "")
        for n in range(residents)
        for message in emulator.sent(FIRST_CHAT + n)
    )


async def outbox(database: Database) -> list[Row]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(
            select(OutboxRow.id, OutboxRow.address, OutboxRow.payload, OutboxRow.status).order_by(OutboxRow.id)
        )
        return [(id_, address, payload["text"], status) for id_, address, payload, status in rows]


async def nothing_pending(database: Database) -> bool:
    async with database.engine.connect() as connection:
        pending = await connection.scalar(
            select(func.count()).select_from(NotificationRow).where(NotificationRow.status == "pending")
        )
        unsent = await connection.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status != "sent")
        )
    return pending == 0 and unsent == 0


async def assert_each_notification_queued_once(database: Database, backlog: int) -> None:
    async with database.engine.connect() as connection:
        notes = (await connection.execute(select(NotificationRow.status, NotificationRow.outbox_id))).all()
    assert len(notes) == backlog
    assert {status for status, _ in notes} == {"queued"}
    assert len({outbox_id for _, outbox_id in notes}) == backlog  # one outbox row each, none shared


async def test_a_killed_sender_under_failing_sends_delivers_every_update_once(
    telegram, database, database_url, tmp_path
):
    residents, backlog = 50, 200
    await load_backlog(database, telegram, residents, backlog)
    telegram.fail(rate=FAIL_RATE, methods={"sendMessage"}, kinds=FAULTS, retry_after=1, seed=4)
    # No quiet hours, whenever the test runs; a short lease, so that the restarted process
    # takes over the dead one's messages after seconds, not a minute.
    env = {"YIMEN_QUIET_HOURS": "00:00-00:00", "YIMEN_SEND_LEASE_SECONDS": "4"}

    first = await start_serve(telegram, database_url, tmp_path, env)
    try:
        await wait_until(lambda: sum(seen(telegram, residents).values()) >= backlog // 3, 60, "a third sent")
    finally:
        first.kill()  # SIGKILL, mid-batch
        await first.wait()
    # Requests already on their way are still handled, their answers lost: let them land. (One
    # cut off before it was read whole is never answered, and never delivered either.)
    with contextlib.suppress(TimeoutError):
        await wait_until(lambda: all(c.status is not None for c in telegram.calls("sendMessage")), 5, "sends over")
    before = seen(telegram, residents)
    assert 0 < sum(before.values()) < backlog
    assert max(before.values()) == 1
    # What Telegram holds but the dead process had not marked sent: it goes again.
    in_doubt = {(chat, text) for _, chat, text, status in await outbox(database)
                if status != "sent" and before[(chat, text)]}

    second = await start_serve(telegram, database_url, tmp_path, env)
    try:
        await wait_until(lambda: nothing_pending(database), 90, "everything sent")
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=30) == 0

    await assert_each_notification_queued_once(database, backlog)
    rows = await outbox(database)
    assert len(rows) == backlog and {status for *_, status in rows} == {"sent"}
    expected = Counter((chat, text) for _, chat, text, _ in rows)
    got = seen(telegram, residents)
    # A send in flight at the kill may or may not have been counted sent by the dead process
    # (its mark's commit races the kill): those, and only those, may arrive twice.
    assert {k: v for k, v in got.items() if k not in in_doubt} == {k: v for k, v in expected.items()
                                                                    if k not in in_doubt}, \
        "a resident missed a message or saw one twice"
    assert all(got[k] in (1, 2) for k in in_doubt)
    # The window is the few sends in flight at the kill, not the backlog.
    assert len(in_doubt) <= 32
    assert not telegram.flood_violations
    faults = Counter(c.fault for c in telegram.calls("sendMessage") if c.fault)
    assert set(faults) == set(FAULTS), faults


class RecordingBot(Bot):
    """A bot that remembers the (chat, text) of each message Telegram accepted from it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._accepted: list[tuple[str, str]] = []  # python-telegram-bot freezes public attributes

    @property
    def accepted(self) -> list[tuple[str, str]]:
        return self._accepted

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        message = await super().send_message(*args, **kwargs)
        self._accepted.append((str(kwargs["chat_id"]), kwargs["text"]))
        return message


async def test_two_dispatchers_and_senders_never_send_one_row_twice(emulator, database):
    if database.engine.dialect.name != "postgresql":
        pytest.skip("several senders share one outbox only on PostgreSQL; SQLite serves a single process")
    residents, per_chat = 16, 10
    backlog = residents * per_chat
    await load_backlog(database, emulator, residents, backlog)
    emulator.fail(rate=FAIL_RATE, methods={"sendMessage"}, kinds=FAULTS, retry_after=1, seed=7)
    stop = asyncio.Event()
    bots: list[RecordingBot] = []
    tasks: list[asyncio.Task[None]] = []

    async def dispatch(dispatcher: NotificationDispatcher) -> None:
        while not stop.is_set():
            await dispatcher.drain()
            await asyncio.sleep(0.05)

    for owner in ("one", "two"):
        bot = RecordingBot(emulator.token, base_url=f"{emulator.url}/bot", base_file_url=f"{emulator.url}/file/bot")
        await bot.initialize()
        bots.append(bot)
        dispatcher = dispatching.dispatcher(database, system_clock, batch=40)
        # Each at half the emulator's limits. The lease is shorter than a chat's dozen sends
        # take, so leases run out mid-backlog and chats change hands between the senders.
        sender = OutboxSender(
            database, bot, clock=system_clock, owner=owner, idle_poll=0.05, lease=timedelta(seconds=1),
            limits=FloodLimits(per_chat_rate=4.5, overall_rate=100.0),
        )
        tasks += [asyncio.create_task(dispatch(dispatcher)), asyncio.create_task(sender.run(stop))]
    try:
        await wait_until(lambda: nothing_pending(database), 60, "everything sent")
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for bot in bots:
            await bot.shutdown()

    await assert_each_notification_queued_once(database, backlog)
    rows = await outbox(database)
    assert len(rows) == backlog
    one, two = (Counter(bot.accepted) for bot in bots)
    both = set(one) & set(two)
    assert not both, f"{len(both)} rows went out from both senders"
    expected = Counter((chat, text) for _, chat, text, _ in rows)
    assert one + two == expected
    assert seen(emulator, residents) == expected, "a resident missed a message or saw one twice"
    shared = {chat for chat, _ in one} & {chat for chat, _ in two}
    assert shared, "no chat changed hands: the leases were never put to the test"
    assert not emulator.flood_violations


async def test_a_send_whose_answer_is_lost_goes_again(emulator, database):
    """The connection breaks after Telegram took the message: the sender cannot tell, and sends it again."""
    await load_backlog(database, emulator, 1, 1)
    await dispatching.dispatcher(database, system_clock).drain()
    emulator.fail_next("sendMessage", "drop_after")
    bot = Bot(emulator.token, base_url=f"{emulator.url}/bot", base_file_url=f"{emulator.url}/file/bot")
    await bot.initialize()
    stop = asyncio.Event()
    running = asyncio.create_task(OutboxSender(database, bot, clock=system_clock, idle_poll=0.05).run(stop))
    try:
        await wait_until(lambda: nothing_pending(database), 10, "sent")
    finally:
        stop.set()
        await running
        await bot.shutdown()
    ((_, _, text, _),) = await outbox(database)
    assert [m.text for m in emulator.sent(FIRST_CHAT)] == [text, text]

"""Delivery benchmark: a backlog of notifications through the dispatcher and the Telegram sender.

Writes a backlog of notifications (default 100,000 to 20,000 residents, each bound to a
Telegram chat, each about its own application so none is coalesced) into a fresh SQLite
database, then runs the real notification dispatcher and the real outbox sender against the
Bot API emulator, which runs in its own process and enforces the flood limits. Two phases:

1. Telegram's cap, 30 messages/s overall (1/s per chat): the sustained send rate over a window
   after a warm-up, as a fraction of the cap (target ≥ 0.95) and the 429s the emulator gave
   (target 0).
2. A raised cap, 1,000 messages/s (paid broadcasts): the same.

It also reports the peak RSS of the bot's process after loading the backlog and after each
phase: the dispatcher and the sender work in bounded batches, so it should not grow with the
backlog (compare ``--backlog 10000`` with the default).

    python3 benchmarks/dispatch.py [--backlog 100000] [--residents 20000] [--window 60]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# benchmarks/telegram.py would shadow the python-telegram-bot package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

TOKEN = "1000:dispatch-benchmark"


def emulator_process(conn: Any, global_rate: float, residents: int) -> None:
    asyncio.run(_emulator(conn, global_rate, residents))


async def _emulator(conn: Any, global_rate: float, residents: int) -> None:
    from tests.fakes.telegram_api import BotApiEmulator

    class Counting(BotApiEmulator):
        def __init__(self) -> None:
            super().__init__(token=TOKEN)
            self.enforce_flood_limits = True
            self.chat_rate, self.chat_burst = 1.0, 3.0
            self.global_rate, self.global_burst = global_rate, global_rate
            self.stamps: list[float] = []

        def _deliver(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
            self.stamps.append(time.monotonic())
            return super()._deliver(*args, **kwargs)

    api = Counting()
    for n in range(residents):
        api.user(100000 + n)  # each resident has started the bot once
    async with api:
        conn.send(api.url)
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            if command == "stop":
                break
            since, until = command
            conn.send((sum(since <= s < until for s in api.stamps), len(api.flood_violations), len(api.stamps)))


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def load_backlog(database: Any, residents: int, backlog: int) -> None:
    """Residents with a Telegram chat each, and ``backlog`` notifications spread over them."""
    from sqlalchemy import insert

    from backend.db.models import ChannelIdentityRow, NotificationRow, ResidentRow

    now = datetime.now(UTC)
    async with database.engine.begin() as connection:
        await connection.execute(
            insert(ResidentRow), [{"id": f"r{n}", "locale": ("zh_CN", "en")[n % 2], "created_at": now}
                                  for n in range(residents)]
        )
        await connection.execute(
            insert(ChannelIdentityRow),
            [{"resident_id": f"r{n}", "channel": "telegram", "external_id": str(100000 + n), "created_at": now}
             for n in range(residents)],
        )
        for start in range(0, backlog, 10000):
            await connection.execute(
                insert(NotificationRow),
                [{"resident_id": f"r{n % residents}", "application_number": f"YM{n:08d}", "kind": "under_review",
                  "params": {}, "urgent": False, "status": "pending", "created_at": now}
                 for n in range(start, min(backlog, start + 10000))],
            )


async def phase(name: str, rate: float, args: argparse.Namespace, tmp: str) -> dict[str, float]:
    from telegram import Bot

    from backend.db.database import Database
    from backend.db.migrate import upgrade
    from backend.delivery.quiet import QuietHours
    from bot.app import system_clock
    from bot.dispatch import NotificationDispatcher
    from bot.telegram.limits import FloodLimits
    from bot.telegram.sender import OutboxSender
    from locales import Translations

    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    emulator = context.Process(target=emulator_process, args=(there, rate, args.residents), daemon=True)
    emulator.start()
    url = await asyncio.get_running_loop().run_in_executor(None, here.recv)

    database_url = f"sqlite+aiosqlite:///{tmp}/{name}.sqlite3"
    await upgrade(database_url)
    database = Database(database_url)
    await database.connect()
    started = time.perf_counter()
    await load_backlog(database, args.residents, args.backlog)
    loaded = time.perf_counter() - started
    rss_loaded = rss_mib()

    bot = Bot(TOKEN, base_url=f"{url}/bot", base_file_url=f"{url}/file/bot")
    await bot.initialize()
    sender = OutboxSender(database, bot, clock=system_clock, limits=FloodLimits(overall_rate=rate), idle_poll=0.2)
    dispatcher = NotificationDispatcher(
        database,
        translations=Translations(),
        html_translations=Translations(html=True),
        quiet=QuietHours.parse("00:00-00:00", "Asia/Shanghai"),
        clock=system_clock,
        batch=500,
    )
    stop = asyncio.Event()

    async def dispatch() -> None:
        # Keep the outbox a few seconds ahead of the sender, as the worker's loop would.
        while not stop.is_set():
            async with database.unit_of_work() as uow:
                pending = await uow.outbox.due("telegram", now=system_clock(), limit=int(rate * 5) + 500)
            if len(pending) < rate * 5:
                await dispatcher.run_once()
            await asyncio.sleep(0.5)

    tasks = [asyncio.create_task(dispatch()), asyncio.create_task(sender.run(stop))]
    await asyncio.sleep(args.warmup)
    since = time.monotonic()
    await asyncio.sleep(args.window)
    until = time.monotonic()
    here.send((since, until))
    sent, violations, total = await asyncio.get_running_loop().run_in_executor(None, here.recv)
    stop.set()
    await asyncio.gather(*tasks)
    await bot.shutdown()
    await database.dispose()
    here.send("stop")
    emulator.join(10)
    sustained = sent / (until - since)
    print(f"{name}: cap {rate:,.0f} msg/s; backlog of {args.backlog:,} loaded in {loaded:.1f} s")
    print(f"  sustained {sustained:,.1f} msg/s over {until - since:.0f} s = {sustained / rate:.3f} of the cap "
          f"({'meets' if sustained / rate >= 0.95 else 'BELOW'} target 0.95); 429s from the emulator: {violations}; "
          f"{total:,} sent in all")
    print(f"  peak RSS: {rss_loaded:.0f} MiB after loading, {rss_mib():.0f} MiB after the phase")
    return {"sustained": sustained, "violations": violations}


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await phase("Telegram's cap", 30.0, args, tmp)
        await phase("raised cap", 1000.0, args, tmp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds measured in each phase")
    parser.add_argument("--warmup", type=float, default=10.0)
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()

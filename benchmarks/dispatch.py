"""Delivery benchmark: a backlog of notifications through the dispatcher and the Telegram sender.

Writes a backlog of notifications (default 100,000 to 20,000 residents, each bound to a
Telegram chat, each about its own application so none is coalesced) into a fresh database
(SQLite, or ``--database-url``: a PostgreSQL database, emptied first), then starts the bot's
process (benchmarks/dispatch_bot.py: the Telegram bot as ``yimen serve`` builds it, its real
outbox sender, and the real notification dispatcher keeping the outbox a few seconds ahead)
against the Bot API emulator, which runs in its own process and enforces the flood limits.
Two phases:

1. Telegram's cap, 30 messages/s overall (1/s per chat): the sustained send rate over a window
   after a warm-up, as a fraction of the cap (target ≥ 0.95) and the 429s the emulator gave
   (target 0).
2. A raised cap, 1,000 messages/s (paid broadcasts): the same.

Each phase reports the bot process's CPU per message sent over the window (from /proc: target
≤ 2 ms at the raised cap) and its peak RSS, which should not grow with the backlog (compare
``--backlog 10000`` with the default). With ``--processes N`` (PostgreSQL), each phase runs
with one bot process and then with N sharing the outbox through leases, each with its own
``YIMEN_INSTANCE`` and ``YIMEN_TELEGRAM_SENDERS=N``: their combined rate and its ratio to one.
``--profile DIR`` profiles the bot process over each window (the first of several) instead, and
keeps the profiles there (pstats files) for a closer look.

    python3 benchmarks/dispatch.py [--backlog 100000] [--residents 20000] [--window 60] [--caps 30,1000]
    python3 benchmarks/dispatch.py --database-url postgresql+asyncpg://... --processes 2 --caps 1000
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
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

        def delivered(self, user: Any, message: dict[str, Any]) -> None:
            self.stamps.append(time.monotonic())

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


async def load_backlog(database_url: str, residents: int, backlog: int) -> float:
    """A fresh database with residents with a Telegram chat each, and ``backlog`` notifications
    spread over them; the seconds it took."""
    from sqlalchemy import insert

    from backend.db.database import Database
    from backend.db.migrate import upgrade
    from backend.db.models import ChannelIdentityRow, NotificationRow, ResidentRow
    from tests.databases import reset_postgres_schema

    started = time.perf_counter()
    if database_url.startswith("postgresql"):
        await reset_postgres_schema(database_url)
    await upgrade(database_url)
    database = Database(database_url)
    await database.connect()
    now = datetime.now(UTC)
    try:
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
    finally:
        await database.dispose()
    return time.perf_counter() - started


async def dispatched(database_url: str) -> int:
    """How many notifications the bot processes have queued in the outbox so far."""
    from sqlalchemy import func, select

    from backend.db.database import Database
    from backend.db.models import NotificationRow

    database = Database(database_url)
    await database.connect()
    try:
        async with database.engine.connect() as connection:
            return int(await connection.scalar(
                select(func.count()).select_from(NotificationRow).where(NotificationRow.status == "queued")) or 0)
    finally:
        await database.dispose()


class Bots:
    """``count`` bot processes on one database, each its own instance with a 1/count share of the limits."""

    def __init__(self, count: int, database_url: str, url: str, rate: float, tmp: str, profile: str | None) -> None:
        from benchmarks.dispatch_bot import bot_process

        context = multiprocessing.get_context("spawn")
        self.pipes, self.processes = [], []
        for n in range(count):
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": url,
                "YIMEN_DATABASE_URL": database_url,
                "YIMEN_DATA_DIR": f"{tmp}/data",
                "YIMEN_SECRET_KEY": "dispatch-benchmark",
                "YIMEN_WEBHOOK_URL": "http://127.0.0.1:9/telegram/webhook",
                "YIMEN_QUIET_HOURS": "00:00-00:00",
                "YIMEN_TELEGRAM_OVERALL_RATE": str(rate),
                "YIMEN_TELEGRAM_SENDERS": str(count),
                "YIMEN_INSTANCE": f"dispatch-{n}",
            }
            here, there = context.Pipe()
            path = f"{profile}.pstats" if profile and n == 0 else None
            process = context.Process(target=bot_process, args=(there, env, path), daemon=True)
            process.start()
            self.pipes.append(here)
            self.processes.append(process)

    async def tell(self, command: str) -> list[Any]:
        """Send a command to every process and wait for each one's answer."""
        loop = asyncio.get_running_loop()
        for pipe in self.pipes:
            pipe.send(command)
        return [await loop.run_in_executor(None, pipe.recv) for pipe in self.pipes]

    async def ready(self) -> None:
        loop = asyncio.get_running_loop()
        for pipe in self.pipes:
            await loop.run_in_executor(None, pipe.recv)

    def cpu(self) -> list[float]:
        from benchmarks.dispatch_bot import cpu_seconds

        return [cpu_seconds(p.pid or 0) for p in self.processes]

    def rss(self) -> list[float]:
        from benchmarks.dispatch_bot import peak_rss_mib

        return [peak_rss_mib(p.pid or 0) for p in self.processes]

    def join(self) -> None:
        for process in self.processes:
            process.join(30)
            if process.is_alive():
                process.terminate()


async def phase(rate: float, processes: int, args: argparse.Namespace, tmp: str) -> dict[str, Any]:
    from benchmarks.dispatch_bot import cpu_seconds

    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    emulator = context.Process(target=emulator_process, args=(there, rate, args.residents), daemon=True)
    emulator.start()
    loop = asyncio.get_running_loop()
    url = await loop.run_in_executor(None, here.recv)
    database_url = args.database_url or f"sqlite+aiosqlite:///{tmp}/cap-{rate:.0f}-{processes}.sqlite3"
    loaded = await load_backlog(database_url, args.residents, args.backlog)
    profile = f"{args.profile}/dispatch-{rate:.0f}-{processes}" if args.profile else None
    bots = Bots(processes, database_url, url, rate, tmp, profile)
    try:
        await bots.ready()
        rss_started = bots.rss()
        await asyncio.sleep(args.warmup)
        await bots.tell("since")
        since, cpu_since, emulator_since = time.monotonic(), bots.cpu(), cpu_seconds(emulator.pid or 0)
        queued = await dispatched(database_url)
        await asyncio.sleep(args.window)
        until, cpu_until, emulator_until = time.monotonic(), bots.cpu(), cpu_seconds(emulator.pid or 0)
        queued = await dispatched(database_url) - queued
        await bots.tell("until")
        here.send((since, until))
        sent, violations, total = await loop.run_in_executor(None, here.recv)
        rss_after = bots.rss()
        errors = await bots.tell("stop")
    finally:
        bots.join()
        here.send("stop")
        emulator.join(10)
    cpu = [b - a for a, b in zip(cpu_since, cpu_until, strict=True)]
    sustained = sent / (until - since)
    name = f"cap {rate:,.0f} msg/s, {processes} bot process{'es' if processes > 1 else ''}"
    print(f"{name}: backlog of {args.backlog:,} loaded in {loaded:.1f} s "
          f"({'PostgreSQL' if args.database_url else 'SQLite'})")
    print(f"  sustained {sustained:,.1f} msg/s over {until - since:.0f} s = {sustained / rate:.3f} of the cap "
          f"({'meets' if sustained / rate >= 0.95 else 'BELOW'} target 0.95); 429s from the emulator: {violations}; "
          f"{total:,} sent in all")
    per_message = sum(cpu) / max(sent, 1) * 1e3
    print(f"  bot process CPU {per_message:.2f} ms per message ({'target ≤ 2 ms; ' if rate > 30 else ''}"
          + ", ".join(f"{c / (until - since):.0%}" for c in cpu) + " of a core); the emulator "
          f"{(emulator_until - emulator_since) / max(sent, 1) * 1e3:.2f} ms per message; load {_load()}")
    print(f"  the dispatcher queued {queued:,} notifications over the window (its CPU is in the bot process's)")
    if total >= args.backlog:
        print(f"  THE BACKLOG RAN OUT before the window ended: measure again with a --backlog above {total:,}")
    print("  peak RSS of the bot process: " + ", ".join(f"{a:.0f} MiB ready, {b:.0f} MiB after"
                                                       for a, b in zip(rss_started, rss_after, strict=True)))
    problems: dict[str, int] = {}
    for tally in errors:
        for what, count in tally.items():
            problems[what] = problems.get(what, 0) + count
    if problems:
        print("  warnings and errors logged over the window: " + "; ".join(f"{n} × {w}" for w, n in problems.items()))
    if profile:
        _print_profile(f"{profile}.pstats")
    return {"sustained": sustained, "cpu_ms": per_message}


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _print_profile(path: str) -> None:
    from benchmarks.bot_process import profile_summary
    from benchmarks.dispatch_bot import top_functions

    print("  profile of the (first) bot process over the window, own time by layer:")
    print(profile_summary(path))
    print(top_functions(path))


async def main_async(args: argparse.Namespace) -> None:
    counts = sorted({1, args.processes})
    with tempfile.TemporaryDirectory() as tmp:
        for rate in args.caps:
            results = {n: await phase(rate, n, args, tmp) for n in counts}
            if len(counts) > 1:
                ratio = results[args.processes]["sustained"] / results[1]["sustained"]
                print(f"cap {rate:,.0f} msg/s: {args.processes} processes / 1 process = {ratio:.2f} of the rate "
                      f"on this {os.cpu_count()}-core machine")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=100_000)
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds measured in each phase")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--caps", type=lambda s: [float(c) for c in s.split(",")], default=[30.0, 1000.0],
                        help="overall caps in messages/s, one phase each (default 30,1000)")
    parser.add_argument("--database-url", help="a PostgreSQL database (emptied first) instead of SQLite")
    parser.add_argument("--processes", type=int, default=1,
                        help="with --database-url: also run each phase with this many bot processes")
    parser.add_argument("--profile", metavar="DIR", help="profile the bot process over each window, into DIR")
    args = parser.parse_args()
    if args.processes > 1 and not args.database_url:
        parser.error("several processes share the outbox only on PostgreSQL: give --database-url")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()

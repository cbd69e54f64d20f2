"""``benchmarks/telegram.py --processes N``: Yimen as a city deploys it on PostgreSQL, ``yimen serve
--role bot`` processes taking Telegram's webhook calls behind a round-robin proxy (the processes the
multi-process test starts, ``tests/scale/cluster.py``), run with one bot process and then with N."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.telegram import WEBHOOK, Channel, emulator_process
from benchmarks.telegram_bots import CHAT_BURST, CHAT_RATE, GLOBAL_RATE, TOKEN
from benchmarks.telegram_report import describe


async def cluster_side(channel: Channel, database_url: str, bots: int) -> dict[str, Any]:
    """Yimen as several processes (tests/scale/cluster.py), webhooks behind the round-robin proxy."""
    from backend.cases.ports import Role as StaffRole
    from backend.db.database import Database
    from backend.db.migrate import upgrade_sync
    from tests.cases.helpers import add_staff
    from tests.scale.cluster import Cluster

    url = await channel.recv()
    await asyncio.get_running_loop().run_in_executor(None, upgrade_sync, database_url)
    database = Database(database_url)
    await database.connect()
    try:
        token = (await add_staff(database, f"bench-{random.randrange(10**9)}", StaffRole.BOT_SERVICE)).token
    finally:
        await database.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        cluster = Cluster(database_url=database_url, api_token=token, telegram_url=url, telegram_token=TOKEN,
                          bots=bots, data_dir=Path(tmp), overall_rate=GLOBAL_RATE, chat_rate=CHAT_RATE,
                          chat_burst=CHAT_BURST)
        cpu = 0.0
        try:
            await cluster.start()
            channel.send("go")
            message = await channel.recv()
            if message == "measuring":
                cpu = sum(bot.cpu_seconds() for bot in cluster.bots)
                message = await channel.recv()
                cpu = sum(bot.cpu_seconds() for bot in cluster.bots) - cpu
                if message == "measured":
                    message = await channel.recv()
            rss = [bot.peak_rss_mib() for bot in cluster.bots]
            if "error" in message:
                raise RuntimeError(f"the residents failed:\n{message['error']}")
        finally:
            await cluster.stop()
            channel.send("stop")
    message["bot_cpu"] = cpu
    message["bot_rss"] = rss
    message["bot_errors"] = dict(sum((bot.problems for bot in cluster.bots), Counter()))
    message["bot_error_lines"] = {kind: line for bot in cluster.bots for kind, line in bot.first_problems.items()}
    message["proxy"] = dict(zip((f"process {i}" for i in range(1, bots + 1)), cluster.proxy.forwarded.values(),
                                strict=True))
    return message


def run_cluster_phase(args: argparse.Namespace, bots: int, salt: int, earlier: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    process = context.Process(target=emulator_process, args=(there, WEBHOOK, args.residents, salt, earlier),
                              daemon=True)
    process.start()
    try:
        return asyncio.run(cluster_side(Channel(conn=here), args.database_url, bots))
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()


def run_processes(args: argparse.Namespace, salt: int) -> None:
    """One bot process, then ``--processes`` of them, on the same database; the ratio of their rates."""
    counts = sorted({1, args.processes})
    results = {}
    started = time.perf_counter()
    for number, bots in enumerate(counts):
        # Each phase its own residents and ID numbers: the database keeps the previous phase's.
        # The worker's notices to the earlier phase's residents come when they come: to chats this
        # phase's emulator knows.
        results[bots] = run_cluster_phase(args, bots, salt + number * (args.residents + 1),
                                          earlier=number * (args.residents + 1))
    total = time.perf_counter() - started
    print()
    rates = {}
    for bots, result in results.items():
        rates[bots] = describe(f"Yimen, {bots} bot process{'es' if bots > 1 else ''} (yimen serve --role bot, "
                               "webhook behind a round-robin proxy)", result, args.residents, False)
        print(f"  webhook calls per process: {result['proxy']}; peak RSS per bot process: "
              + ", ".join(f"{r:.1f} MiB" for r in result["bot_rss"]))
    if len(counts) > 1:
        ratio = rates[args.processes] / rates[1]
        print(f"\nratio {args.processes} processes / 1 process {ratio:.2f} updates/s "
              f"({'adds' if ratio > 1.0 else 'does NOT add'} throughput on this {os.cpu_count()}-core machine)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (the proxy) {rss:.1f} MiB; whole benchmark took {total:.0f} s")

"""The bot process of ``benchmarks/dispatch.py``: Yimen's Telegram bot as ``yimen serve`` builds it
(python-telegram-bot with the aiohttp request, the real outbox sender under its ``YIMEN_INSTANCE``
and its 1/``YIMEN_TELEGRAM_SENDERS`` share of the flood limits), with the notification dispatcher
keeping the outbox a few seconds ahead of the sender, as the worker's loop would.

The parent reads the process's CPU and memory from /proc; over a pipe it says when the measured
window starts and ends (a profiled run profiles exactly that window) and when to stop.
"""

from __future__ import annotations

import asyncio
import cProfile
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.bot_process import ErrorTally

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process so far (from /proc: another process's, unlike getrusage)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bot_process(conn: Any, env: dict[str, str], profile: str | None) -> None:
    asyncio.run(_bot(conn, env, profile))


async def _bot(conn: Any, env: dict[str, str], profile: str | None) -> None:
    from backend.config import Config
    from backend.quiet_hours import QuietHours
    from bot.app import open_runtime, system_clock
    from bot.dispatch import NotificationDispatcher
    from bot.serve import _flood_share
    from bot.telegram.service import TelegramBot, TelegramSettings
    from locales import Translations

    errors = ErrorTally()
    logging.basicConfig(level=logging.WARNING, handlers=[errors])
    config = Config.from_env(env)
    runtime = await open_runtime(config, migrate=False, html_translations=Translations(html=True))
    services = runtime.services
    bot = TelegramBot(
        runtime.conversations,
        TelegramSettings(
            token=config.telegram_token or "",
            api_base_url=config.telegram_api_base_url,
            webhook_url=config.webhook_url,  # updates would come by webhook (none do): no polling
            send_attempts=config.send_attempts,
            send_lease_seconds=config.send_lease_seconds,
            instance=config.instance_name,
            **_flood_share(config),
        ),
        clock=services.clock,
    )
    dispatcher = NotificationDispatcher(
        runtime.database,
        translations=services.translations,
        html_translations=services.html_translations or Translations(html=True),
        quiet=QuietHours.parse(config.quiet_hours, runtime.timezone),
        clock=system_clock,
        batch=200,
        pack=services.backend.pack,
    )
    stop = asyncio.Event()
    ahead = config.telegram_overall_rate * 5
    # The outbox filled before the sender starts: over the window the dispatcher then queues
    # about as many messages as are sent, as it would in a steady flow.
    # Bounded: another process's sender may be draining it already.
    filled, share = 0, ahead / config.telegram_senders
    while filled < share and await _waiting(runtime.database) < ahead:
        claimed = (await dispatcher.run_once()).claimed
        if not claimed:
            break
        filled += claimed
    await bot.start()
    keeping = asyncio.create_task(_keep_ahead(runtime.database, dispatcher, ahead, stop))
    loop = asyncio.get_running_loop()
    conn.send("ready")
    profiler = cProfile.Profile() if profile else None
    window: dict[str, int] = {}  # what was logged over the window (not the shutdown's own)
    while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
        if command == "since":
            errors.counts.clear()
            if profiler is not None:
                profiler.enable()
        elif command == "until":
            window = dict(errors.counts)
            if profiler is not None and profile:
                profiler.disable()
                profiler.dump_stats(profile)
        conn.send(command)
    stop.set()
    await keeping
    await bot.stop()
    await runtime.close()
    conn.send(window)


async def _keep_ahead(database: Any, dispatcher: Any, ahead: float, stop: asyncio.Event) -> None:
    """Dispatch a batch whenever fewer than ``ahead`` messages wait in the outbox (all senders' together)."""
    while not stop.is_set():
        if await _waiting(database) >= ahead or not (await dispatcher.run_once()).claimed:
            await asyncio.sleep(0.2)


async def _waiting(database: Any) -> int:
    from sqlalchemy import func, select

    from backend.db.models import OutboxRow

    async with database.engine.connect() as connection:
        return int(await connection.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "pending")) or 0)


def top_functions(path: str, count: int = 18) -> str:
    """The functions with the most own time in a profile, and the cumulative time of Yimen's own."""
    import pstats

    stats = pstats.Stats(path).stats  # type: ignore[attr-defined]
    root = str(Path(__file__).resolve().parent.parent)
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    for (filename, line, name), (_, calls, tottime, cumtime, _) in stats.items():
        where = f"{_short(filename, root)}:{line} {name} ({calls:,} calls)"
        own[where] += tottime
        if filename.startswith(root) and "benchmarks" not in filename:
            cumulative[where] += cumtime
    lines = ["    own time:"] + [f"    {s:7.2f} s  {w}" for w, s in own.most_common(count)]
    lines += ["    cumulative, Yimen's code:"] + [f"    {s:7.2f} s  {w}" for w, s in cumulative.most_common(count)]
    return "\n".join(lines)


def _short(filename: str, root: str) -> str:
    if filename.startswith(root):
        return filename[len(root) + 1:]
    return "/".join(filename.split("/")[-2:])

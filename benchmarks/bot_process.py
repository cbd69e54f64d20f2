"""What benchmarks/telegram.py measures of the bot's own process: its CPU time, the warnings and
errors it logs, and where a profiled run's time goes, by layer."""

from __future__ import annotations

import cProfile
import logging
import pstats
import resource
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ErrorTally(logging.Handler):
    """Counts the bot's warnings and errors (an update lost, an outbox pass failed) instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        what = record.getMessage()
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            what += f" -- {str(error).splitlines()[0][:90]}"
            frames = [
                f"{Path(f.filename).name}:{f.lineno} {f.name}"
                for f in traceback.extract_tb(error.__traceback__)
                if f.filename.startswith(str(ROOT)) and "benchmarks" not in f.filename
            ]
            if frames:
                what += f" (in {' > '.join(frames[-2:])})"
        self.counts[what] += 1


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime



PROFILE_GROUPS = (
    ("database: SQLAlchemy, aiosqlite, greenlet, backend/db", ("sqlalchemy", "aiosqlite", "greenlet", "backend/db/")),
    ("Yimen code: bot/, flows/, locales/, backend/ (not db)", (str(ROOT),)),
    ("HTTP client: aiohttp, yarl, multidict, httpx, httpcore, h11, anyio, sockets",
     ("aiohttp", "yarl", "multidict", "httpx", "httpcore", "h11", "anyio", "sniffio", "socket")),
    ("python-telegram-bot", ("/telegram/",)),
    ("asyncio loop and other", ("",)),
)


def profile_summary(profiler: cProfile.Profile | str) -> str:
    """Own time of the profiled thread by layer (a profiler, or the file it was dumped to): where the
    bot's CPU goes (waiting in epoll shown apart)."""
    totals: Counter[str] = Counter()
    for (filename, _, name), (_, _, own, _, _) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        where = f"{filename} {name}"
        if "epoll" in name:
            totals["idle: waiting in epoll (nothing ready to run)"] += own
            continue
        for group, needles in PROFILE_GROUPS:
            if any(needle in where for needle in needles):
                totals[group] += own
                break
    whole = sum(totals.values())
    return "\n".join(f"    {seconds:7.1f} s {seconds / whole:4.0%}  {group}" for group, seconds in totals.most_common())


"""Intake benchmark: simulated residents each complete an application.

Measures turns per second of the pure engine and with SQLite persistence (the real
conversation runner: load, step, save, commit per turn), p50/p99 per-turn latency and
peak memory. The baseline, in the same run: a turn's four statements (find the resident, load
the session, upsert it, log the turn) in one transaction through raw aiosqlite, with the JSON of
the snapshot decoded and encoded as a turn does, on the same database file.

    python benchmarks/intake.py [--residents 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiosqlite
from stdnum.cn import ric

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.config import Config  # noqa: E402
from backend.policy.regions import load_regions  # noqa: E402
from bot.app import flow_context, open_runtime  # noqa: E402
from flows import events as ev  # noqa: E402
from flows.engine import Engine  # noqa: E402
from flows.intake import INTAKE  # noqa: E402
from flows.intents import LookupOpenApplication, LookupStatus, SubmitApplication  # noqa: E402

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def id_number(i: int) -> str:
    """A distinct valid ID number per simulated resident."""
    born = date(1960, 1, 1) + timedelta(days=i % 15000)
    body = f"110105{born:%Y%m%d}{i % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def script(i: int) -> list[ev.Event]:
    """A 3-person household, answered the way the happy-path transcript does."""
    T, C = ev.Text, ev.Choice
    return [
        ev.Command("start"), C("self"), T("张三"), T(id_number(i)), T("13800138000"), C("hubin"), C("none"),
        T("3"), C("healthy"), C("unemployed"), C("0"), C("spouse"), T("建国"), T("45"), C("chronic"), C("none"),
        C("flexible"), T("3,500元"), C("child"), T("小明"), T("12岁"), C("healthy"), C("none"), T("两千"),
        C("one_home"), T("８０００"), T("3千"), C("own"), T("丈夫生病以后收入少了"), C("_confirm"),
    ]


def result_for(intent) -> ev.Event | None:
    if isinstance(intent, LookupOpenApplication):
        return ev.NoOpenApplication()
    if isinstance(intent, SubmitApplication):
        return ev.ApplicationSubmitted("YM1", "2026-12-09")
    if isinstance(intent, LookupStatus):
        return ev.StatusListed(())
    return None


def pure_engine(residents: int) -> tuple[int, float, list[float], float]:
    engine = Engine(INTAKE, flow_context(load_regions("demo")))
    turns, latencies = 0, []
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(residents):
        session = engine.new_session(NOW, "zh_CN")
        for event in script(i):
            t0 = time.perf_counter()
            session, intents = engine.step(session, event, NOW)
            for intent in intents:
                result = result_for(intent)
                if result is not None:
                    session, _ = engine.step(session, result, NOW)
            latencies.append(time.perf_counter() - t0)
            turns += 1
        assert session.state == "submitted", session.state
    return turns, time.perf_counter() - started, latencies, time.process_time() - cpu


async def persisted(residents: int, url: str, data_dir: Path) -> tuple[int, float, list[float], float]:
    config = Config(database_url=url, locale="zh_CN", data_dir=data_dir, secret_key=b"benchmark")
    runtime = await open_runtime(config, migrate=True, clock=lambda: NOW)
    conversations = runtime.conversations
    turns, latencies = 0, []
    started, cpu = time.perf_counter(), time.process_time()
    try:
        for i in range(residents):
            for event in script(i):
                t0 = time.perf_counter()
                await conversations.handle("bench", f"r{i}", event, locale_hint="zh_CN")
                latencies.append(time.perf_counter() - t0)
                turns += 1
        return turns, time.perf_counter() - started, latencies, time.process_time() - cpu
    finally:
        await runtime.close()


# The four statements of a turn as SQL text, as SQLAlchemy writes them for SQLite.
FIND_RESIDENT = (
    "SELECT residents.id, residents.locale, residents.created_at, residents.unreachable, residents.talking_to, "
    "residents.offers_off, residents.active_flow FROM residents JOIN channel_identities "
    "ON channel_identities.resident_id = residents.id "
    "WHERE channel_identities.channel = ? AND channel_identities.external_id = ?"
)
LOAD_SESSION = "SELECT snapshot FROM conversation_sessions WHERE resident_id = ? AND flow = ?"
SAVE_SESSION = (
    "INSERT INTO conversation_sessions (resident_id, flow, snapshot, state, updated_at, remind_at, expire_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (resident_id, flow) DO UPDATE SET snapshot = excluded.snapshot, "
    "state = excluded.state, updated_at = excluded.updated_at, remind_at = excluded.remind_at, "
    "expire_at = excluded.expire_at"
)
LOG_TURN = (
    "INSERT INTO conversation_turns (resident_id, flow, turn, state_before, state_after, event_kind, at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


async def raw_statements(residents: int, path: str) -> tuple[int, float, list[float], float]:
    """The baseline: each resident's 30 turns as the four statements alone, through raw aiosqlite, on
    the database the persisted run filled (so every resident and session exists, as in mid-intake)."""
    at = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    turns, latencies = 0, []
    async with aiosqlite.connect(path, isolation_level=None) as db:
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536"):
            await db.execute(f"PRAGMA {pragma}")
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(residents):
            for n in range(len(script(i))):
                t0 = time.perf_counter()
                await db.execute("BEGIN IMMEDIATE")
                async with db.execute(FIND_RESIDENT, ("bench", f"r{i}")) as cursor:
                    resident = await cursor.fetchone()
                async with db.execute(LOAD_SESSION, (resident[0], "intake")) as cursor:
                    (stored,) = await cursor.fetchone()
                snapshot = json.loads(stored)
                await db.execute(SAVE_SESSION, (resident[0], "intake", json.dumps(snapshot), snapshot["state"], at,
                                                None, None))
                await db.execute(LOG_TURN, (resident[0], "intake", n, snapshot["state"], snapshot["state"], "text",
                                            at))
                await db.execute("COMMIT")
                latencies.append(time.perf_counter() - t0)
                turns += 1
        return turns, time.perf_counter() - started, latencies, time.process_time() - cpu


def report(name: str, turns: int, seconds: float, latencies: list[float], cpu: float,
           target: float | None = None) -> float:
    """Print a run's rate, latencies and CPU per turn; return the rate."""
    q = statistics.quantiles(latencies, n=100)
    rate = turns / seconds
    verdict = "" if target is None else f" ({'meets' if rate >= target else 'BELOW'} target {target:,.0f}/s)"
    print(f"{name}: {turns} turns in {seconds:.2f} s = {rate:,.0f} turns/s{verdict}")
    print(f"  per-turn latency p50 {q[49] * 1e3:.3f} ms, p99 {q[98] * 1e3:.3f} ms; "
          f"CPU {cpu / turns * 1e3:.3f} ms per turn (the process's, all threads)")
    return rate





def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--database-url", help="measure another database instead of a fresh SQLite file")
    args = parser.parse_args()

    report("pure engine", *pure_engine(args.residents), target=5000)
    # Memory in a second pass: tracing allocations slows the engine several times over.
    tracemalloc.start()
    pure_engine(min(args.residents, 200))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  peak traced memory of the engine {peak / 2**20:.2f} MiB")

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/bench.sqlite3"
        url = args.database_url or f"sqlite+aiosqlite:///{path}"
        rate = report("with persistence", *asyncio.run(persisted(args.residents, url, Path(tmp))), target=500)
        if args.database_url is None:
            raw = report("baseline: the four statements through raw aiosqlite",
                         *asyncio.run(raw_statements(args.residents, path)))
            verdict = "meets" if rate >= 0.5 * raw else "BELOW"
            print(f"  with persistence / baseline = {rate / raw:.2f} ({verdict} target 0.50)")
    print(f"peak RSS of the whole run {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB")


if __name__ == "__main__":
    main()

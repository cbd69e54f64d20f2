"""Intake benchmark: simulated residents each complete an application.

Measures turns per second of the pure engine and with SQLite persistence (the real
conversation runner: load, step, save, commit per turn), p50/p99 per-turn latency and
peak memory.

    python benchmarks/intake.py [--residents 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

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


def pure_engine(residents: int) -> tuple[int, float, list[float]]:
    engine = Engine(INTAKE, flow_context(load_regions("demo")))
    turns, latencies = 0, []
    started = time.perf_counter()
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
    return turns, time.perf_counter() - started, latencies


async def persisted(residents: int, url: str | None) -> tuple[int, float, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(
            database_url=url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
            locale="zh_CN",
            data_dir=Path(tmp),
            secret_key=b"benchmark",
        )
        runtime = await open_runtime(config, migrate=True, clock=lambda: NOW)
        conversations = runtime.conversations
        turns, latencies = 0, []
        started = time.perf_counter()
        try:
            for i in range(residents):
                for event in script(i):
                    t0 = time.perf_counter()
                    await conversations.handle("bench", f"r{i}", event, locale_hint="zh_CN")
                    latencies.append(time.perf_counter() - t0)
                    turns += 1
        finally:
            await runtime.close()
        return turns, time.perf_counter() - started, latencies


def report(name: str, turns: int, seconds: float, latencies: list[float], target: float) -> None:
    q = statistics.quantiles(latencies, n=100)
    rate = turns / seconds
    verdict = "meets" if rate >= target else "BELOW"
    print(f"{name}: {turns} turns in {seconds:.2f} s = {rate:,.0f} turns/s ({verdict} target {target:,.0f}/s)")
    print(f"  per-turn latency p50 {q[49] * 1e3:.3f} ms, p99 {q[98] * 1e3:.3f} ms")


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

    report("with persistence", *asyncio.run(persisted(args.residents, args.database_url)), target=500)
    print(f"peak RSS of the whole run {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB")


if __name__ == "__main__":
    main()

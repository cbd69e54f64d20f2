"""Policy benchmark: households assessed per second, each with its full trace.

Generates a varied, reproducible set of households (1–6 members, every health, work and
housing status, incomes and savings around every threshold, urgent needs, declared types)
and assesses each under the demo pack on 2024 and 2025 dates. Households are built before
the clock starts, as the API will have validated its request body before it calls the engine.
Reports the rate, p50/p99 per assessment, and — for information — the rate with request
validation and with the JSON form of the result included.

With ``--api``, also the API half (``benchmarks/api_load.py``): create-and-assess requests per
second over loopback against ``yimen serve --role api``, on SQLite and on PostgreSQL.

    python benchmarks/assess.py [--households 20000] [--seed 4] [--api [--requests 2000]
        [--concurrency 16] [--postgres postgresql+asyncpg://postgres@127.0.0.1/yimen_bench]]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.policy.assess import assess  # noqa: E402
from backend.policy.household import Household  # noqa: E402
from backend.policy.pack import load_pack  # noqa: E402

TARGET = 3000
DATES = (date(2024, 6, 1), date(2025, 6, 1))
HEALTH = ("healthy",) * 12 + ("chronic",) * 3 + ("serious",)
THRESHOLDS = ("899.99", "900", "999.99", "1000", "1000.01", "1499.99", "1500", "1999.99", "2000", "3999.99", "4000")


def amount(rng: random.Random, high: int) -> str:
    """Mostly spread out, sometimes exactly on a threshold, sometimes zero."""
    roll = rng.random()
    if roll < 0.25:
        return "0"
    if roll < 0.35:
        return rng.choice(THRESHOLDS)
    return f"{rng.uniform(0, high):.2f}"


def member(rng: random.Random, relation: str) -> dict[str, Any]:
    age = rng.choice((rng.randint(0, 17), rng.randint(18, 59), rng.randint(18, 59), rng.randint(60, 95)))
    if age < 6:
        work = "child"
    elif age < 16:
        work = "student"
    elif age >= 60:
        work = rng.choice(("retired", "retired", "unable", "employed"))
    else:
        work = rng.choice(("employed", "employed", "employed", "unemployed", "unable", "student"))
    income = amount(rng, 12000) if work == "employed" else "0"
    return {
        "relation": relation,
        "age": age,
        "health": rng.choice(HEALTH),
        "disability_grade": rng.choice((None,) * 20 + (1, 2, 3, 4)),
        "work": work,
        "monthly_income": income,
    }


def household(rng: random.Random) -> dict[str, Any]:
    size = rng.choice((1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 6))
    relations = ("self",) + tuple(rng.choice(("spouse", "child", "parent", "grandchild")) for _ in range(size - 1))
    return {
        "members": [member(rng, r) for r in relations],
        "other_income": {
            "relatives_support": amount(rng, 1500) if rng.random() < 0.3 else "0",
            "pension": amount(rng, 3000) if rng.random() < 0.3 else "0",
            "agricultural": amount(rng, 1000) if rng.random() < 0.1 else "0",
            "other": "0",
        },
        "assets": {
            "savings": rng.choice(("0", f"{rng.uniform(0, 60000) * size:.2f}", str(24000 * size), "24000.01")),
            "vehicles": rng.choice((0, 0, 0, 0, 1)),
            "homes": rng.choice((0, 1, 1, 1, 2)),
        },
        "rigid_spending": {
            "medical": amount(rng, 80000) if rng.random() < 0.5 else "0",
            "education": amount(rng, 30000) if rng.random() < 0.3 else "0",
        },
        "housing": {"status": rng.choice(("own", "own", "renting", "unsafe", "none"))},
        "hardship": {
            "types": rng.sample(("illness", "disability", "unemployment", "disaster", "accident", "other"),
                                rng.randint(0, 2)),
        },
        "urgent_needs": rng.sample(("no_food", "no_shelter", "safety"), 1) if rng.random() < 0.05 else [],
        "able_supporter": rng.random() < 0.2,
        "region": rng.choice(
            (None, {"district": "minghu", "office": "hubin"}, {"district": "qingshan", "office": "shiqiao"})
        ),
    }


def measure(pack: Any, work: list[tuple[Any, date]], step: Any) -> tuple[float, list[float], Counter[str]]:
    """Run ``step`` over every item, timing each; returns total seconds, latencies and layers seen."""
    latencies: list[float] = []
    layers: Counter[str] = Counter()
    clock = time.perf_counter
    started = clock()
    for item, on in work:
        t0 = clock()
        result = step(item, on)
        latencies.append(clock() - t0)
        layers[result.layer.value] += 1
    return clock() - started, latencies, layers


def report(name: str, count: int, seconds: float, latencies: list[float], target: float | None) -> float:
    q = statistics.quantiles(latencies, n=100)
    rate = count / seconds
    verdict = "" if target is None else f" ({'meets' if rate >= target else 'BELOW'} target {target:,.0f}/s)"
    print(f"{name}: {count:,} households in {seconds:.2f} s = {rate:,.0f}/s{verdict}")
    print(f"  per assessment p50 {q[49] * 1e6:.0f} µs, p99 {q[98] * 1e6:.0f} µs")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--api", action="store_true", help="also measure the API over loopback")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1/yimen_bench",
                        help="an empty PostgreSQL database to use (its public schema is dropped); '' skips it")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    raw = [(household(rng), DATES[i % 2]) for i in range(args.households)]
    built = [(Household.model_validate(data), on) for data, on in raw]
    pack = load_pack("demo")
    for on in DATES:
        pack.at(on)  # parameters resolved once per date, as a long-running service would have them
    # A short warm-up so the first measured assessments do not pay for lazy imports and caches.
    measure(pack, built[:500], lambda h, on: assess(h, on, pack))

    seconds, latencies, layers = measure(pack, built, lambda h, on: assess(h, on, pack))
    report("assess with full trace", len(built), seconds, latencies, TARGET)
    traced = sum(len(assess(h, on, pack).trace) for h, on in built[:1000]) / min(1000, len(built))
    print(f"  {traced:.0f} trace entries per assessment on average")
    print("  layers: " + ", ".join(f"{layer} {count / len(built):.1%}" for layer, count in layers.most_common()))

    def validated(data: dict[str, Any], on: date) -> Any:
        return assess(Household.model_validate(data), on, pack)

    def with_json(h: Household, on: date) -> Any:
        result = assess(h, on, pack)
        result.as_json()
        return result

    print("for information:")
    report("  validate the JSON body + assess", len(raw), *measure(pack, raw, validated)[:2], None)
    report("  assess + JSON form of the result and trace", len(built), *measure(pack, built, with_json)[:2], None)
    if args.api:
        import asyncio

        from benchmarks.api_load import run

        households = [data for data, _ in raw[: args.requests]]
        asyncio.run(run("SQLite", "sqlite", households, args.concurrency))
        if args.postgres:
            asyncio.run(run("PostgreSQL", args.postgres, households, args.concurrency))


if __name__ == "__main__":
    main()

"""The console's pages with 100,000 applications in the database: response times of the queue and
of a case page (p50, p99), on SQLite or PostgreSQL.

The database is filled directly (not through the intake, which would take an hour): 100,000
applications made from a few hundred generated households, each assessed by the real policy
engine with its full trace, spread over the six street offices, with residents, status events,
emergencies (some past their deadline) and a spread of statuses and ages. The application with
the console mounted is then served on loopback in this process; one signed-in client requests
each page in turn, waiting for each answer, and the latencies are those the client sees.

    python3 benchmarks/console.py                                   # SQLite, a fresh file
    python3 benchmarks/console.py --database-url postgresql+asyncpg://postgres@127.0.0.1/DB

A PostgreSQL database given here is emptied first (its public schema is dropped): give one
that holds nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.application import ApplicationV1  # noqa: E402
from backend.cases.ports import Role  # noqa: E402
from backend.config import Config  # noqa: E402
from backend.console.app import mount  # noqa: E402
from backend.db.applications import application_number  # noqa: E402
from backend.db.database import Database  # noqa: E402
from backend.db.migrate import upgrade  # noqa: E402
from backend.db.models import ApplicationRow, CaseMessageRow, ResidentRow, StatusHistoryRow  # noqa: E402
from backend.policy.assess import assess  # noqa: E402
from backend.policy.household import Household  # noqa: E402
from backend.policy.pack import load_pack  # noqa: E402
from backend.staff.accounts import add_user, set_password  # noqa: E402
from backend.web import init_app  # noqa: E402
from benchmarks.api_load import OFFICES, application  # noqa: E402
from benchmarks.assess import household  # noqa: E402

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
PASSWORD = "benchmark password"
OPEN = ("assigned", "under_review", "info_requested", "home_visit_scheduled", "proposed")
DONE = ("approved", "rejected", "closed")


def templates(count: int, seed: int) -> list[tuple[dict[str, Any], dict[str, Any], Any]]:
    """Generated households as (payload, assessment JSON, result), each assessed by the engine."""
    pack = load_pack("demo")
    rng = random.Random(seed)
    found = []
    for i in range(count):
        payload = application(i, household(rng))
        payload["submitted_at"] = NOW.isoformat()
        payload["consent"]["given_at"] = NOW.isoformat()
        result = assess(Household.from_application(ApplicationV1.model_validate(payload)), NOW.date(), pack)
        found.append((payload, result.as_json(), result))
    return found


async def fill(url: str, applications: int, seed: int) -> dict[str, str]:
    """Staff (one caseworker per office and an administrator) and the applications; the
    caseworkers' usernames by office."""
    if url.startswith("postgresql"):
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await upgrade(url)
    database = Database(url)
    await database.connect()
    pack = load_pack("demo")
    staff: dict[str, str] = {}
    user_ids: dict[str, int] = {}
    async with database.unit_of_work() as uow:
        for _, office in OFFICES:
            account = await add_user(uow, pack.regions, username=f"cw-{office}", role=Role.CASEWORKER,
                                     office=office, now=NOW)
            staff[office] = account.user.username
            user_ids[office] = account.user.id
        await add_user(uow, pack.regions, username="root", role=Role.ADMIN, office=None, now=NOW)
        for username in (*staff.values(), "root"):
            await set_password(uow, username, PASSWORD)
        await uow.commit()
    shapes = templates(300, seed)
    rng = random.Random(seed + 1)
    batch = 2000
    started = time.perf_counter()
    for first in range(1, applications + 1, batch):
        residents, rows, events, messages = [], [], [], []
        for i in range(first, min(first + batch, applications + 1)):
            payload, assessment, result = shapes[i % len(shapes)]
            district, office = OFFICES[i % len(OFFICES)]
            submitted = NOW - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            emergency = result.emergency or rng.random() < 0.03
            status = rng.choice(OPEN) if rng.random() < 0.7 else rng.choice(DONE)
            deadline = submitted + timedelta(hours=24) if emergency else None
            resident = f"bench-{i}"
            residents.append({"id": resident, "locale": "zh_CN", "created_at": submitted})
            rows.append({
                "id": i, "number": application_number(submitted, i), "resident_id": resident, "status": status,
                "schema_version": 1, "office": office, "district": district,
                "payload": {**payload, "region": {"district": district, "office": office}},
                "submitted_at": submitted, "updated_at": submitted, "layer": result.layer.value,
                "resilience_level": result.resilience.level, "emergency": emergency, "assessment": assessment,
                "queues": [], "station": None, "deadline_at": deadline, "assigned_to": user_ids[office],
                "proposed_by": None, "decision": None,
            })
            for step, (state, actor) in enumerate((("submitted", "system"), ("assessed", "system"),
                                                   ("assigned", "system"), (status, staff[office]))):
                events.append({"application_id": i, "status": state, "at": submitted + timedelta(minutes=step),
                               "note": "", "actor": actor, "action": None})
            if rng.random() < 0.1:  # a tenth of the cases have a message from the resident, half of them unread
                messages.append({"application_id": i, "direction": "from_resident", "kind": "message",
                                 "author": resident, "body": "能改到下午吗？", "document_ids": [],
                                 "at": submitted + timedelta(hours=1),
                                 "read_at": None if rng.random() < 0.5 else submitted + timedelta(hours=2)})
        async with database.engine.begin() as connection:
            await connection.execute(insert(ResidentRow), residents)
            await connection.execute(insert(ApplicationRow), rows)
            await connection.execute(insert(StatusHistoryRow), events)
            if messages:
                await connection.execute(insert(CaseMessageRow), messages)
        print(f"\r  {min(first + batch - 1, applications):,} applications", end="", flush=True)
    print(f" in {time.perf_counter() - started:.0f} s")
    if url.startswith("postgresql"):
        async with database.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            # What autovacuum would do after such a load: statistics, and the visibility map that
            # lets the queue be read from its index alone.
            await connection.execute(text("VACUUM ANALYZE"))
    else:
        async with database.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    await database.dispose()
    return staff


async def sign_in(session: aiohttp.ClientSession, base: str, username: str) -> None:
    page = await (await session.get(f"{base}/console/sign-in")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    async with session.post(f"{base}/console/sign-in", data={"csrf": csrf, "username": username,
                                                             "password": PASSWORD}) as response:
        assert response.status == 200 and "/console/queue" in str(response.url), response.status


async def timed(session: aiohttp.ClientSession, urls: list[str], warmup: int) -> list[float]:
    latencies = []
    for n, url in enumerate(urls):
        started = time.perf_counter()
        async with session.get(url) as response:
            body = await response.read()
            assert response.status == 200, (url, response.status, body[:300])
        if n >= warmup:
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def report(name: str, latencies: list[float], target: float | None = None) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    verdict = "" if target is None else f" (target p99 ≤ {target:.0f} ms: {'met' if p99 <= target else 'NOT met'})"
    print(f"  {name:<44} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   n={len(ordered)}{verdict}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="yimen-console-bench-"))
    url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
    print(f"filling {url.split('@')[-1]} with {args.applications:,} applications")
    staff = await fill(url, args.applications, args.seed)
    config = Config(database_url=url, locale="zh_CN", data_dir=folder / "data", secret_key=b"bench")
    database = Database(url)
    await database.connect()
    app = init_app(config, database=database, clock=lambda: NOW)
    mount(app, funnel_steps=())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    total = args.requests + args.warmup
    rng = random.Random(args.seed)
    office = "hubin"
    async with database.engine.connect() as connection:
        numbers = list((await connection.execute(
            text("SELECT number FROM applications WHERE office = :office"), {"office": office})).scalars())
    try:
        # unsafe=True: keep cookies of an IP address (the loopback server).
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as caseworker, \
                aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as admin:
            await sign_in(caseworker, base, staff[office])
            await sign_in(admin, base, "root")
            print(f"{len(numbers):,} applications in {office}; {args.requests} measured requests per page "
                  f"after {args.warmup} to warm up")
            report("queue, first page (a caseworker's office)",
                   await timed(caseworker, [f"{base}/console/queue"] * total, args.warmup), target=200)
            report("queue, filtered (layer, not emergency)",
                   await timed(caseworker, [f"{base}/console/queue?layer=dibao&emergency=no"] * total, args.warmup))
            report("queue, page 20 of the office",
                   await timed(caseworker, [f"{base}/console/queue?page=20"] * total, args.warmup))
            report("queue, first page (administrator: all offices)",
                   await timed(admin, [f"{base}/console/queue"] * total, args.warmup))
            cases = [f"{base}/console/cases/{rng.choice(numbers)}" for _ in range(total)]
            report("case page (random case of the office)", await timed(caseworker, cases, args.warmup))
    finally:
        await runner.cleanup()
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(main())

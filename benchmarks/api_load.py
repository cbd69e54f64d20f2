"""The API half of ``benchmarks/assess.py``: create-and-assess requests per second over loopback.

Starts ``yimen serve --role api`` as a separate process on a fresh database, creates a
bot-service account and one caseworker per office, then has ``concurrency`` clients POST
distinct applications (each is validated, deduplicated, stored, assessed with its full trace,
routed and assigned in one transaction) and reports requests per second and latency.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from stdnum.cn import ric

from tests.databases import reset_postgres_schema

ROOT = Path(__file__).resolve().parent.parent

CPU_TARGET_MS = 5.0  # of the API process per create-and-assess request
OFFICES = (("minghu", "hubin"), ("minghu", "wenchang"), ("minghu", "liuan"),
           ("qingshan", "qingfeng"), ("qingshan", "songlin"), ("qingshan", "shiqiao"))


def id_number(i: int) -> str:
    born = date(1950, 1, 1) + timedelta(days=i // 500)
    body = f"110105{born:%Y%m%d}{i % 500:03d}"
    return body + ric.calc_check_digit(body + "0")


def application(i: int, household: dict[str, Any]) -> dict[str, Any]:
    """A whole application around one of the assess benchmark's households."""
    district, office = OFFICES[i % len(OFFICES)]
    members = [dict(m) for m in household["members"]]
    members[0]["id_number"] = id_number(i)
    now = datetime.now(UTC).isoformat()
    return {
        "schema_version": 1,
        "locale": "zh_CN",
        "consent": {"version": 1, "given_at": now},
        "applicant": {"for_whom": "self", "name": "测试", "id_number": id_number(i), "mobile": "13800138000"},
        "region": {"district": district, "office": office},
        "members": members,
        "other_income": household["other_income"],
        "assets": household["assets"],
        "rigid_spending": household["rigid_spending"],
        "housing": household["housing"],
        "hardship": {**household["hardship"], "account": ""},
        "urgent_needs": household["urgent_needs"],
        "able_supporter": household["able_supporter"],
        "submitted_at": now,
    }


def _cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mib(pid: int) -> float:
    """A process's peak resident memory so far (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _accounts(env: dict[str, str]) -> str:
    from backend.cases.ports import Role
    from backend.config import Config
    from backend.db.database import Database
    from backend.db.migrate import upgrade
    from backend.policy.pack import load_pack
    from backend.staff.accounts import add_user

    config = Config.from_env(env)
    await upgrade(config.database_url)
    database = Database(config.database_url)
    await database.connect()
    regions = load_pack(config.pack).regions
    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        bot = await add_user(uow, regions, username="bench-bot", role=Role.BOT_SERVICE, office=None, now=now)
        for _, office in OFFICES:
            await add_user(uow, regions, username=f"cw-{office}", role=Role.CASEWORKER, office=office, now=now)
        await uow.commit()
    await database.dispose()
    return bot.token


async def _load(
    base: str, token: str, bodies: list[dict[str, Any]], concurrency: int
) -> tuple[float, list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(enumerate(bodies))
    headers = {"Authorization": f"Bearer {token}"}

    async def worker(session: aiohttp.ClientSession) -> None:
        for _, body in queue:
            t0 = time.perf_counter()
            key = "bench-" + body["resident"]["external_id"]
            async with session.post(f"{base}/api/v1/applications", json=body,
                                    headers={"Idempotency-Key": key}) as response:
                await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1
            latencies.append(time.perf_counter() - t0)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return time.perf_counter() - started, latencies, statuses


async def run(name: str, database_url: str, households: list[dict[str, Any]], concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if database_url == "sqlite":
            database_url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        else:
            await reset_postgres_schema(database_url)
        port = _free_port()
        env = {**os.environ, "YIMEN_DATABASE_URL": database_url, "YIMEN_DATA_DIR": tmp,
               "YIMEN_SECRET_KEY": "bench", "YIMEN_HTTP_PORT": str(port), "PYTHONPATH": str(ROOT)}
        token = await _accounts(env)
        server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--role", "api"], env=env, cwd=tmp,
                                  stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as session:
                # Up to a minute: on a busy machine the process takes a while to import and migrate.
                for _ in range(1200):
                    try:
                        async with session.get(f"{base}/healthz"):
                            break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.05)
                else:
                    raise RuntimeError(f"the API process did not answer on {base} within a minute")
            bodies = [{"resident": {"channel": "bench", "external_id": f"r{i}"}, "application": application(i, h)}
                      for i, h in enumerate(households)]
            warm = min(100, len(bodies) // 10)
            await _load(base, token, bodies[:warm], concurrency)
            cpu_before = _cpu_seconds(server.pid)
            seconds, latencies, statuses = await _load(base, token, bodies[warm:], concurrency)
            cpu = _cpu_seconds(server.pid) - cpu_before
            peak = _peak_rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(10)
    q = statistics.quantiles(latencies, n=100)
    count = len(latencies)
    print(f"API create-and-assess on {name}: {count:,} requests in {seconds:.2f} s = {count / seconds:,.0f}/s "
          f"(concurrency {concurrency})")
    print(f"  latency p50 {q[49] * 1e3:.1f} ms, p99 {q[98] * 1e3:.1f} ms; statuses {dict(sorted(statuses.items()))}")
    per_create = cpu / count * 1e3
    verdict = "meets" if per_create <= CPU_TARGET_MS else "ABOVE"
    print(f"  API process CPU {per_create:.1f} ms per create ({verdict} target {CPU_TARGET_MS:.0f} ms); "
          f"its peak RSS {peak:.0f} MiB")
    if set(statuses) != {201}:
        print("  NOTE: not every request was created (201): the rate above is not a create rate")

"""The real application served on a loopback port over a seeded database, and what the fuzzers share.

Every fuzzer here is bounded (a fixed number of examples) and derandomized, so a run is the same on
every machine and a failure in CI is one a developer gets again locally with the same command.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, Phase, settings

from backend.cases.ports import Role
from backend.config import Config
from backend.db.database import Database
from backend.monitoring.push import rotate_key
from backend.points import funds
from backend.points.fund_ports import FundHolder
from backend.points.ledger import Ledger
from backend.points.ports import Holder
from backend.policy.projects import load_projects
from backend.web import init_app
from tests.cases.helpers import NOW, PACK, add_staff, payload, submit, volunteer
from tests.monitoring.seed import add_alert, add_household, household, member

SECRET = b"k"
FEED_KEY = "the-medical-departments-key"
# One account per role the API knows; the caseworker and the supervisor belong to hubin, where the
# seeded rows are, so that their scoped reads reach real rows.
ACCOUNTS = {
    "caseworker": ("wang", Role.CASEWORKER, "hubin"),
    "supervisor": ("boss", Role.SUPERVISOR, "hubin"),
    "admin": ("root", Role.ADMIN, None),
    "bot-service": ("bot", Role.BOT_SERVICE, None),
    "merchant": ("shop", Role.MERCHANT, None),
}


def bounded(examples: int) -> settings:
    """Hypothesis settings for CI: a fixed budget, the same examples on every run, nothing stored."""
    return settings(
        max_examples=examples, derandomize=True, database=None, deadline=None, print_blob=False,
        phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck),
    )


@dataclass
class Seeded:
    """The rows the database was seeded with, by the path parameter that names them."""

    tokens: dict[str, str]
    path_values: dict[str, list[str]] = field(default_factory=dict)


async def seed(database: Database, base_url: str) -> Seeded:
    """Applications (cases), a volunteer, tasks, alerts, a fund, points and a department's key.

    Tasks and the fund go through the API itself, as staff would create them."""
    tokens = {role: (await add_staff(database, name, kind, office)).token
              for role, (name, kind, office) in ACCOUNTS.items()}
    await add_staff(database, "li", Role.CASEWORKER, "hubin")
    numbers = [await submit(database, payload(serial, urgent=serial == 2), resident=f"r{serial}")
               for serial in (1, 2, 3)]
    numbers.append(await submit(database, payload(4, "wenchang"), resident="r4"))
    volunteer_id, _ = await volunteer(database)
    hubin = (await add_household(database, household(member("self", 45, income="3500"), office="hubin"),
                                 code="HB-1")).id
    alert_ids = [await add_alert(database, hubin, created_at=NOW - timedelta(days=3)),
                 await add_alert(database, hubin, status="acted", created_at=NOW - timedelta(days=5))]
    ledger = Ledger(PACK)
    async with database.unit_of_work() as uow:
        await ledger.credit_task(uow, str(volunteer_id), "李华", hours=Decimal(20), task="T0", by="test", now=NOW)
        await ledger.issue_code(uow, Holder.VOLUNTEER, str(volunteer_id), points=1, now=NOW)
        await funds.create_fund(uow, code="minghu-market", name="明湖超市助学基金", holder=FundHolder.MERCHANT,
                                holder_ref="shop", by="root", now=NOW)
        await uow.commit()
    await rotate_key(database, "medical", secret_key=SECRET, now=NOW, new_key=lambda: FEED_KEY)
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    task_ids = []
    async with ClientSession(base_url) as http:
        async with http.post("/api/v1/funds/minghu-market/donations", headers=admin,
                             json={"amount": "500.00", "ref": "D1"}) as response:
            assert response.status == 201, await response.text()
        for number in (numbers[0], None):
            body = {"skill": "companion", "office": "hubin", "given_name": "秀英", "address": "湖滨路 8 号",
                    "starts_at": "2026-12-01T09:00:00+08:00", "ends_at": "2026-12-01T10:00:00+08:00",
                    "duration_minutes": 60, "application_number": number}
            async with http.post("/api/v1/tasks", headers=admin, json=body) as response:
                assert response.status == 201, await response.text()
                task_ids.append(str((await response.json())["id"]))
    return Seeded(tokens=tokens, path_values={
        "number": numbers,
        "task": task_ids,
        "volunteer": [str(volunteer_id)],
        "skill": ["companion", "delivery"],
        "alert": [str(a) for a in alert_ids],
        "code": ["minghu-market"],
        "project": [p.id for p in load_projects("demo")],
        "holder": [h.value for h in Holder],
        "ref": [str(volunteer_id), "shop"],
        "source": ["medical", "hr"],
    })


@dataclass
class Served:
    base_url: str
    seeded: Seeded
    database: Database


@pytest.fixture
def fuzz_config(tmp_path: Path, database_url: str) -> Config:
    return Config(database_url=database_url, locale="zh_CN", data_dir=tmp_path / "data", secret_key=SECRET)


@pytest.fixture
async def served_api(fuzz_config: Config, database: Database) -> AsyncIterator[Served]:
    """The application (API, console, web chat) on 127.0.0.1 over real HTTP, its clock fixed, seeded."""
    server = TestServer(init_app(fuzz_config, database=database, clock=lambda: NOW), host="127.0.0.1")
    await server.start_server()
    try:
        base_url = str(server.make_url("")).rstrip("/")
        yield Served(base_url, await seed(database, base_url), database)
    finally:
        await server.close()


class Tracebacks(logging.Handler):
    """Log records that carry an exception, kept so that a 500 can be matched to its traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        taken, self.records = self.records, []
        return taken


def last_frame(record: logging.LogRecord) -> str:
    """Where a logged exception was raised: the innermost frame of the project's code, then the
    innermost frame of all when that is in a library, then the exception."""
    kind, error, trace = record.exc_info  # type: ignore[misc]
    frames = traceback.extract_tb(trace)
    root = str(Path(__file__).resolve().parents[2])
    ours = [f for f in frames if f.filename.startswith(root) and "/site-packages/" not in f.filename]

    def where(frame: traceback.FrameSummary) -> str:
        name = frame.filename.removeprefix(root + "/").split("/site-packages/")[-1].split("/lib/python3.11/")[-1]
        return f"{name}:{frame.lineno} in {frame.name}"

    shown = [where(ours[-1])] if ours else []
    if frames and (not ours or frames[-1] is not ours[-1]):
        shown.append(where(frames[-1]))
    return f"{' -> '.join(shown)}: {kind.__name__}: {str(error)[:160]}"


@pytest.fixture
def tracebacks() -> Iterator[Tracebacks]:
    handler = Tracebacks()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)

"""Yimen split over several OS processes on one PostgreSQL database, as a city deploys it: one
``yimen serve --role api``, one ``--role worker`` and N ``--role bot`` taking Telegram's webhook
calls behind a round-robin proxy. The multi-process test and the Telegram benchmark start it."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp.test_utils import unused_port

from tests.scale.proxy import RoundRobinProxy

# The line each role writes to stderr once it serves.
READY = {"api": b"API and console listening", "bot": b"telegram bot started", "worker": b"worker started"}
WEBHOOK_SECRET = "cluster-secret"


@dataclass
class Role:
    """One ``yimen serve --role …`` process, restartable on the same port and identity."""

    role: str
    env: dict[str, str]
    port: int
    process: asyncio.subprocess.Process | None = None
    log: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    problems: Counter[str] = field(default_factory=Counter)  # logged warnings and errors, by logger
    first_problems: dict[str, str] = field(default_factory=dict)  # the first line logged of each kind
    _drain: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 60.0) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--role", self.role,
            env={**self.env, "YIMEN_HTTP_PORT": str(self.port)},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        assert self.process.stderr is not None
        try:
            await asyncio.wait_for(self._until_ready(self.process.stderr), timeout)
        except (TimeoutError, RuntimeError) as error:
            raise RuntimeError(f"{self.role} on port {self.port} did not start: {error}\n" + self.tail()) from None
        self._drain = asyncio.create_task(self._keep_reading(self.process.stderr))

    async def _until_ready(self, stream: asyncio.StreamReader) -> None:
        while True:
            line = await stream.readline()
            if not line:
                raise RuntimeError("exited")
            self._note(line)
            if READY[self.role] in line:
                return

    async def _keep_reading(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self._note(line)

    def _note(self, line: bytes) -> None:
        text = line.decode(errors="replace").rstrip()
        self.log.append(text)
        parts = text.split(" ", 4)  # date time LEVEL logger: message
        if len(parts) > 3 and parts[2] in ("WARNING", "ERROR", "CRITICAL"):
            kind = f"{parts[2]} {parts[3].rstrip(':')}"
            self.problems[kind] += 1
            self.first_problems.setdefault(kind, parts[4][:300] if len(parts) > 4 else "")

    def cpu_seconds(self) -> float:
        """CPU time the process has used so far (user and system), from /proc."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mib(self) -> float:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        assert self.process is not None
        self.process.kill()

    async def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, then wait; SIGKILL if it does not stop in time. Returns the exit status."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._drain is not None:
            await self._drain
        return self.process.returncode

    def tail(self, lines: int = 30) -> str:
        return "\n".join(list(self.log)[-lines:])


class Cluster:
    """The processes and the proxy; ``start`` brings up the API, the worker and the bots, in that order."""

    def __init__(self, *, database_url: str, api_token: str, telegram_url: str, telegram_token: str, bots: int,
                 data_dir: Path, overall_rate: float = 30.0, chat_rate: float = 1.0, chat_burst: float = 3,
                 extra_env: dict[str, str] | None = None) -> None:
        base = {
            **os.environ,
            "YIMEN_DATABASE_URL": database_url,
            "YIMEN_DATA_DIR": str(data_dir),
            "YIMEN_SECRET_KEY": "cluster-key",
            "YIMEN_QUIET_HOURS": "00:00-00:00",  # whenever the run happens, nothing waits for the morning
            **(extra_env or {}),
        }
        self.api = Role("api", base, unused_port())
        telegram = {"TELEGRAM_BOT_TOKEN": telegram_token, "TELEGRAM_API_BASE_URL": telegram_url}
        self.worker = Role("worker", base, unused_port())
        self.bots = [Role("bot", {}, unused_port()) for _ in range(bots)]
        self.proxy = RoundRobinProxy([bot.url for bot in self.bots])
        self._bot_env = {
            **base, **telegram,
            "YIMEN_API_URL": self.api.url,
            "YIMEN_API_TOKEN": api_token,
            "YIMEN_WEBHOOK_SECRET": WEBHOOK_SECRET,
            # Telegram's limits hold per bot and per chat: the processes share them.
            "YIMEN_TELEGRAM_OVERALL_RATE": f"{overall_rate:g}",
            "YIMEN_TELEGRAM_CHAT_RATE": f"{chat_rate:g}",
            "YIMEN_TELEGRAM_CHAT_BURST": f"{chat_burst:g}",
            "YIMEN_TELEGRAM_SENDERS": str(bots),
        }

    @property
    def roles(self) -> list[Role]:
        return [self.api, self.worker, *self.bots]

    async def start(self) -> None:
        await self.proxy.start()
        for number, bot in enumerate(self.bots, 1):
            bot.env = {**self._bot_env, "YIMEN_WEBHOOK_URL": f"{self.proxy.url}/telegram/webhook",
                       # A stable identity: a restarted process takes back what its predecessor held.
                       "YIMEN_INSTANCE": f"bot-{number}"}
        await self.api.start()
        await asyncio.gather(self.worker.start(), *(bot.start() for bot in self.bots))

    async def stop(self) -> dict[str, int | None]:
        """Stop every process gracefully; their exit statuses by role and port."""
        statuses = {}
        for role in reversed(self.roles):
            statuses[f"{role.role}:{role.port}"] = await role.stop()
        await self.proxy.stop()
        return statuses

    def logs(self) -> str:
        return "\n\n".join(f"--- {role.role} on {role.port}:\n{role.tail()}" for role in self.roles)

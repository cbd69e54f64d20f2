"""Telegram benchmark: simulated residents apply through the real bot, over HTTP, to the Bot API emulator.

N residents (default 200) each complete the happy-path application (30 actions: messages,
button presses, a shared contact) at the same time. Each resident reads before they act: after
each action they wait until every reply of that turn has arrived. The same residents then write
the same number of messages to a minimal python-telegram-bot echo bot, the practical limit of
the transport, and the two are compared; then to the same echo bot sending through Yimen's
request backend (aiohttp, bot/telegram/transport.py) instead of python-telegram-bot's default
(httpx), which tells what the transport alone is worth. Last, the residents make their very
actions to a minimal "buttons bot" that answers them with the Bot API calls Yimen makes and no
work of its own (a message: a reply with buttons; a press: answerCallbackQuery, the pressed
message edited to show the choice without its buttons, a new message), which tells the cost of
those calls apart from the cost of the conversation.

    python3 benchmarks/telegram.py [--residents 200] [--database-url URL] [--in-process] [--profile]
    python3 benchmarks/telegram.py --database-url postgresql+asyncpg://… --processes 2

With ``--processes N`` (PostgreSQL only) the bot runs as a city deploys it instead: real ``yimen
serve --role bot`` processes taking Telegram's webhook calls behind a round-robin proxy, beside
one ``--role api`` and one ``--role worker`` (tests/scale/cluster.py, as the multi-process test
starts them), the emulator POSTing updates over 40 parallel connections. The same residents run
against one bot process and then against N, and the ratio of their updates per second is the
second process's worth; CPU and peak RSS are the bot processes' own, summed.

Measured, for each bot:

* updates per second: resident actions handled / wall time of the concurrent run;
* reply latency per action: from the moment the update is available (the resident's send or
  press has returned, so the next getUpdates delivers it) to the moment the emulator records
  the first new message in that chat (``time.perf_counter()`` inside the emulator), p50/p99;
* CPU time of the bot's process per update, and peak RSS.

The residents form a closed loop (each waits for its answer), so the median latency is about
residents / throughput: it grows with N while updates per second stay at the bot's capacity.

Flood limits: the emulator enforces them (a 429 would show as a flood violation), but they
are raised far above what the run reaches -- 1,000 messages/s per chat and 100,000/s overall,
and the bot's own limiter (``TelegramSettings.per_chat_rate``/``overall_rate``) likewise.
Telegram's published limits (about 1 message/s per chat, 30/s overall) would dominate and
stretch the run to many minutes; this benchmark measures our bot and its transport, not them.

How a resident knows a turn is over (the least measuring overhead we found): the emulator here
stamps each bot message as it records it and wakes only the resident of that chat, once the
chat holds the number of messages the turn should produce. That number per action is learned
from one calibration resident before the measured run (wait for the first reply, then for
0.25 s of silence); it is 2 for /start and 1 otherwise. Nothing polls the database or sleeps.

The run finishes and reports whatever goes wrong instead of stopping at it: a message the chat
already has (same text and buttons) is counted as sent twice and not as an answer; a resident
who gets no answer for 60 s gives up (the bot lost the update), and updates per second count
the answered actions up to the last answer; the bot's logged warnings and errors are counted.

By default the emulator and the residents run in a separate process (spawned), so the bot's
process has a core of its own as it would against the real Telegram, and its CPU time and
RSS are its own. ``--in-process`` runs everything in one event loop instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# This file is called telegram.py: drop its own folder from the import path, or `import telegram`
# (python-telegram-bot) would import this file.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import multiprocessing  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Awaitable, Callable, Sequence  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy.engine import make_url  # noqa: E402
from stdnum.cn import ric  # noqa: E402

from benchmarks.bot_process import ErrorTally, cpu_seconds, profile_summary  # noqa: E402
from benchmarks.telegram_bots import (  # noqa: E402  # noqa: E402
    CHAT_BURST,
    CHAT_RATE,
    ECHO_KINDS,
    GLOBAL_BURST,
    GLOBAL_RATE,
    TOKEN,
    start_minimal,
    start_yimen,
)
from benchmarks.telegram_report import describe  # noqa: E402
from tests.bot.telegram_driver import HAPPY_PATH, Action, Contact, Tap  # noqa: E402
from tests.fakes.telegram_api import BotApiEmulator, SentMessage, SimUser  # noqa: E402

QUIET = 0.25  # calibration: a turn is over after this long without a new message
TURN_TIMEOUT = 60.0  # a resident who waits this long for an answer gives up (the bot lost the update)
WEBHOOK = "yimen-webhook"  # Yimen as yimen serve processes behind a load balancer (--processes)
FIRST_USER_ID = 1_000_000  # chat ids are FIRST_USER_ID + salt + i; the calibration resident is i = N
ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
APPLICATION_NUMBER = re.compile(r"YM\d{14}")


def id_number(k: int) -> str:
    """A distinct valid resident ID number for each k below 10,950,000, of working age (born 1967-1996):
    the application is the happy path's, whose applicant is asked about earnings (a question
    only working-age and working residents are asked)."""
    born = date(1967, 1, 1) + timedelta(days=(k // 1000) % 10_950)
    body = f"110105{born:%Y%m%d}{k % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def yimen_actions(k: int) -> list[Action]:
    """HAPPY_PATH with the applicant's ID number made distinct and the spouse's replaced by an age."""
    actions: list[Action] = []
    ids = 0
    for action in HAPPY_PATH:
        if isinstance(action, str) and ID_SHAPE.match(action):
            action = id_number(k) if ids == 0 else "45"
            ids += 1
        actions.append(action)
    assert ids >= 1, "HAPPY_PATH has no ID number to make distinct"
    return actions


def echo_actions(k: int) -> list[str]:
    """As many text messages as the application has actions (the echo bot has no buttons)."""
    texts: list[str] = []
    for number, action in enumerate(yimen_actions(k), 1):
        if isinstance(action, Tap):
            text = f"button {action.index}"
        elif isinstance(action, Contact):
            text = action.phone
        else:
            text = action
        texts.append(f"{number}. {text}")  # numbered, so that no two replies are alike
    return texts


# ---------------------------------------------------------------------------------------- emulator side


class StampedEmulator(BotApiEmulator):
    """The emulator, stamping each bot message as it is recorded and waking only that chat's resident."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN)
        self.enforce_flood_limits = True
        self.chat_rate, self.chat_burst = CHAT_RATE, CHAT_BURST
        self.global_rate, self.global_burst = GLOBAL_RATE, GLOBAL_BURST
        self.arrivals: dict[int, list[float]] = {}
        self.duplicates = 0
        self._seen: dict[int, set[str]] = {}
        self._waiters: dict[int, tuple[int, asyncio.Future[None]]] = {}

    def delivered(self, user: SimUser, message: dict[str, Any]) -> None:
        # A message the chat already has (same text, same buttons) is the bot sending it again;
        # the resident reads it as nothing new.
        key = json.dumps([message.get("text"), message.get("reply_markup")], ensure_ascii=False)
        seen = self._seen.setdefault(user.id, set())
        if key in seen:
            self.duplicates += 1
            return
        seen.add(key)
        stamps = self.arrivals.setdefault(user.id, [])
        stamps.append(time.perf_counter())
        waiter = self._waiters.get(user.id)
        if waiter is not None and len(stamps) >= waiter[0] and not waiter[1].done():
            waiter[1].set_result(None)

    async def until(self, chat_id: int, count: int, timeout: float) -> list[float]:
        """Wait until the bot has sent `count` messages to the chat; return their arrival stamps."""
        stamps = self.arrivals.setdefault(chat_id, [])
        if len(stamps) < count:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters[chat_id] = (count, future)
            try:
                await asyncio.wait_for(future, timeout)
            finally:
                self._waiters.pop(chat_id, None)
        return stamps


async def perform(user: SimUser, action: Action) -> None:
    """Do one thing as the resident; returns as soon as the update is queued."""
    if isinstance(action, Tap):
        message = last_with_buttons(user.sent())
        await user.press(message, message.buttons[action.index]["callback_data"])
    elif isinstance(action, Contact):
        await user.share_contact(action.phone)
    else:
        await user.send(action)


def last_with_buttons(messages: Sequence[SentMessage]) -> SentMessage:
    for message in reversed(messages):
        if message.buttons:
            return message
    raise AssertionError("no message with buttons to press")


async def calibrate(emulator: StampedEmulator, user: SimUser, actions: Sequence[Action]) -> list[int]:
    """Replies per action, seen by one resident alone: the first reply, then QUIET seconds of silence."""
    counts = []
    for action in actions:
        before = len(emulator.arrivals.get(user.id, ()))
        await perform(user, action)
        await emulator.until(user.id, before + 1, TURN_TIMEOUT)
        while True:
            seen = len(emulator.arrivals[user.id])
            try:
                await emulator.until(user.id, seen + 1, QUIET)
            except TimeoutError:
                break
        counts.append(len(emulator.arrivals[user.id]) - before)
    return counts


class Run:
    """What the residents saw: first-reply latencies, when the last answer came, who gave up."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.last_answer = 0.0
        self.stuck: list[str] = []


async def resident(
    emulator: StampedEmulator, user: SimUser, actions: Sequence[Action], expected: Sequence[int], run: Run
) -> None:
    """Act, wait for the whole answer, act again; note the latency of each first reply."""
    for number, (action, count) in enumerate(zip(actions, expected, strict=True)):
        before = len(emulator.arrivals.get(user.id, ()))
        await perform(user, action)
        available = time.perf_counter()
        try:
            stamps = await emulator.until(user.id, before + count, TURN_TIMEOUT)
        except TimeoutError:
            got = len(emulator.arrivals[user.id]) - before
            run.stuck.append(f"resident {user.id} gave up at action {number} {action!r} ({got} of {count} replies)")
            return
        run.latencies.append(stamps[before] - available)
        run.last_answer = stamps[-1]


class Channel:
    """Messages between the bot side and the emulator side: a pipe between processes, or queues."""

    def __init__(self, conn: Any = None, inbox: asyncio.Queue | None = None, outbox: asyncio.Queue | None = None):
        self.conn, self.inbox, self.outbox = conn, inbox, outbox

    def send(self, message: Any) -> None:
        if self.conn is not None:
            self.conn.send(message)
        else:
            self.outbox.put_nowait(message)

    async def recv(self) -> Any:
        if self.conn is not None:
            return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)
        return await self.inbox.get()


async def emulator_side(channel: Channel, kind: str, residents: int, salt: int, earlier: int = 0) -> None:
    """Serve the Bot API, calibrate, run the residents, report; stop when the bot side has stopped.

    ``earlier``: how many chats of earlier phases on the same database (the ids just below this
    phase's) this emulator knows too, so that the notices still due to them are delivered (and
    not counted) rather than refused as sent to an unknown chat."""
    emulator = StampedEmulator()
    for i in range(salt - earlier, salt):
        emulator.user(FIRST_USER_ID + i, language_code="zh-hans")
    if kind == WEBHOOK:
        emulator.webhook_connections = 40  # Telegram's default max_connections
    await emulator.start()
    try:
        channel.send(emulator.url)
        if await channel.recv() != "go":
            return  # the bot did not start
        try:
            result = await measure(channel, emulator, kind, residents, salt)
        except Exception:
            result = {"error": traceback.format_exc()}
        channel.send(result)
        await channel.recv()  # "stop": the bot has stopped polling
    finally:
        await emulator.stop()


async def measure(channel: Channel, emulator: StampedEmulator, kind: str, residents: int, salt: int) -> dict:
    plan: Callable[[int], Sequence[Action]] = echo_actions if kind in ECHO_KINDS else yimen_actions
    expected = await calibrate(
        emulator, emulator.user(FIRST_USER_ID + salt + residents, language_code="zh-hans"), plan(salt + residents)
    )
    users = [emulator.user(FIRST_USER_ID + salt + i, language_code="zh-hans") for i in range(residents)]
    plans = [plan(salt + i) for i in range(residents)]
    calls_before, duplicates_before = len(emulator.calls()), emulator.duplicates
    run = Run()
    channel.send("measuring")
    cpu = cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(resident(emulator, u, p, expected, run) for u, p in zip(users, plans, strict=True)))
    cpu = cpu_seconds() - cpu
    channel.send("measured")
    calls = emulator.calls()[calls_before:]
    sends = sum(1 for c in calls if c.method in ("sendMessage", "editMessageText") and c.ok)
    await asyncio.sleep(QUIET)  # anything sent after the turns were over would be a miscount
    extra = sum(max(0, len(emulator.arrivals.get(u.id, ())) - sum(expected)) for u in users)
    if kind in ("yimen", WEBHOOK):
        last = (u.sent()[-1].plain_text or "" if u.sent() else "" for u in users)
        completed = len({m.group(0) for text in last if (m := APPLICATION_NUMBER.search(text))})
    elif kind == "buttons":
        answered = {line.split()[1] for line in run.stuck}
        completed = sum(str(u.id) not in answered for u in users)
    else:
        unique = ([m.plain_text for m in u.sent() if m.plain_text] for u in users)
        completed = sum(list(dict.fromkeys(texts)) == list(p) for texts, p in zip(unique, plans, strict=True))
    return {
        "actions": len(run.latencies),
        "wall": run.last_answer - started,
        "latencies": run.latencies,
        "expected": expected,
        "completed": completed,
        "stuck": run.stuck,
        "extra_messages": extra,
        "duplicates": emulator.duplicates - duplicates_before,
        "sends": sends,
        "calls": Counter(c.method for c in calls),
        "emulator_cpu": cpu,
        "flood_violations": len(emulator.flood_violations),
        "internal_errors": list(emulator.internal_errors),
    }


def emulator_process(conn: Any, kind: str, residents: int, salt: int, earlier: int = 0) -> None:
    asyncio.run(emulator_side(Channel(conn=conn), kind, residents, salt, earlier))


# ---------------------------------------------------------------------------------------- bot side


async def bot_side(channel: Channel, kind: str, database_url: str | None, profile: bool) -> dict[str, Any]:
    url = await channel.recv()
    tally = ErrorTally()
    logging.getLogger().addHandler(tally)
    profiler = cProfile.Profile() if profile else None
    cpu = 0.0
    stop: Callable[[], Awaitable[None]] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            if kind == "yimen":
                stop = await start_yimen(url, database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", tmp)
            else:
                stop = await start_minimal(url, kind)
            channel.send("go")
            message = await channel.recv()
            if message == "measuring":
                cpu = cpu_seconds()
                if profiler:
                    profiler.enable()
                message = await channel.recv()
                if profiler:
                    profiler.disable()
                cpu = cpu_seconds() - cpu
                if message == "measured":
                    message = await channel.recv()
            if "error" in message:
                raise RuntimeError(f"the residents failed:\n{message['error']}")
        finally:
            if stop is not None:
                await stop()
            channel.send("stop")
            logging.getLogger().removeHandler(tally)
    message["bot_cpu"] = cpu
    message["bot_errors"] = dict(tally.counts)
    if profiler:
        path = Path(tempfile.gettempdir()) / f"yimen-telegram-{kind}.prof"
        profiler.dump_stats(path)
        heading = f"  profile of the bot's event loop thread (saved to {path}):\n"
        message["profile"] = heading + profile_summary(profiler)
    return message


async def run_in_process(kind: str, residents: int, salt: int, database_url: str | None, profile: bool) -> dict:
    to_bot: asyncio.Queue = asyncio.Queue()
    to_emulator: asyncio.Queue = asyncio.Queue()
    emulator = asyncio.create_task(
        emulator_side(Channel(inbox=to_emulator, outbox=to_bot), kind, residents, salt)
    )
    try:
        return await bot_side(Channel(inbox=to_bot, outbox=to_emulator), kind, database_url, profile)
    finally:
        await emulator


def run_phase(kind: str, args: argparse.Namespace, salt: int) -> dict[str, Any]:
    if args.in_process:
        return asyncio.run(run_in_process(kind, args.residents, salt, args.database_url, args.profile))
    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    process = context.Process(target=emulator_process, args=(there, kind, args.residents, salt), daemon=True)
    process.start()
    try:
        return asyncio.run(bot_side(Channel(conn=here), kind, args.database_url, args.profile))
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--database-url", help="measure another database instead of a fresh SQLite file")
    parser.add_argument("--in-process", action="store_true", help="emulator, residents and bot in one event loop")
    parser.add_argument("--profile", action="store_true", help="cProfile the bot process (slows it down)")
    parser.add_argument("--processes", type=int, help="yimen serve --role bot processes behind a webhook proxy "
                        "(PostgreSQL): measure one, then this many")
    args = parser.parse_args()
    if args.processes is not None:
        if args.processes < 1:
            parser.error("--processes must be at least 1")
        if not (args.database_url or "").startswith("postgresql"):
            parser.error("--processes needs --database-url postgresql+asyncpg://…: processes share a database server")
        if args.in_process or args.profile:
            parser.error("--processes runs the bots as their own processes: no --in-process or --profile")
    # A database kept between runs already has these applications and chats (whose inbound
    # cursor would take the new emulator's update ids for redeliveries): use fresh ones.
    salt = random.randrange(0, 10_000_000) if args.database_url else 0
    database = "SQLite (temporary file)"
    if args.database_url:
        database = make_url(args.database_url).render_as_string(hide_password=True)
    actions = len(HAPPY_PATH)
    print(
        f"{args.residents} residents x {actions} actions at once, each waiting for the whole answer before the next; "
        f"database {database}; emulator {'in the same process' if args.in_process else 'in its own process'}"
    )
    print(
        f"Flood limits enforced but raised to {CHAT_RATE:,.0f}/s per chat and {GLOBAL_RATE:,.0f}/s overall (the bot's "
        "limiter likewise): this measures the bot and its transport, not Telegram's 1/s per chat and 30/s overall."
    )
    if args.processes is not None:
        from benchmarks.telegram_cluster import run_processes

        run_processes(args, salt)
        return
    started = time.perf_counter()
    ours = run_phase("yimen", args, salt)
    ours_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    echoed = run_phase("echo", args, salt)
    echoed_aiohttp = run_phase("echo-aiohttp", args, salt)
    buttons = run_phase("buttons", args, salt)
    total = time.perf_counter() - started
    print()
    ours_rate = describe("Yimen bot", ours, args.residents, args.in_process)
    echo_rate = describe("echo bot (python-telegram-bot, concurrent updates)", echoed, args.residents, args.in_process)
    echo_aiohttp_rate = describe("echo bot, aiohttp request (the same, with Yimen's request backend)", echoed_aiohttp,
                                 args.residents, args.in_process)
    buttons_rate = describe("buttons bot (python-telegram-bot, concurrent updates; Yimen's actions and Bot API "
                            "calls, no work of its own)", buttons, args.residents, args.in_process)
    ratio = ours_rate / echo_rate
    print(f"\nratio ours/echo {ratio:.2f} updates/s ({'meets' if ratio >= 0.5 else 'BELOW'} target 0.50)")
    print(f"ratio ours/echo bot with aiohttp request {ours_rate / echo_aiohttp_rate:.2f} updates/s (the same "
          "transport as Yimen's)")
    print(f"ratio ours/buttons bot {ours_rate / buttons_rate:.2f} updates/s (the same updates and Bot API calls; "
          "what is left is the cost of the conversation itself)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"peak RSS: {'whole run' if args.in_process else 'bot process'} {rss:.1f} MiB "
        f"(after the Yimen phase {ours_rss:.1f} MiB)"
        + ("" if args.in_process else f", emulator and residents process {children:.1f} MiB")
    )
    print(f"whole benchmark took {total:.0f} s")


if __name__ == "__main__":
    main()

"""WeChat benchmark: simulated followers apply through the real channel, over HTTP, with the
platform emulator (tests/fakes/wechat_api) pushing to it.

N followers (default 50) each subscribe and complete the happy-path application (31 pushes:
numbers, text and one voice answer) at the same time; each waits for the answer to a push
before the next (a closed loop, so the median latency is about followers / throughput). Then
new followers subscribe at a steady rate (default 30 a second, for ``--paced-seconds``), and
the time to the answer is measured. The same followers then push the same number of messages to
a minimal wechatpy echo server on aiohttp (signature checked, message parsed, a passive text
reply), the practical limit of the transport, and the two are compared. Last, "the turns
alone": the inputs each follower pushed, in the same order and as many followers at once, go
straight to the conversation runner (the ``Conversations`` calls the channel makes for a
subscribe, a text, a voice message's text) on a fresh database of the same kind, with no HTTP,
XML, signature, options read or passive reply: what a turn costs without the channel. Yimen's
turns per second over theirs is the channel ratio; the CPU of a push less that of a turn is the
channel's (with the followers and the emulator). The turn's CPU plus the echo's is the bound: the
cost of a push through the leanest channel one can write, the echo handler running the turn; Yimen's
CPU a push over it says how much the channel adds to what the echo spends.

    python3 benchmarks/wechat.py [--residents 50] [--database-url URL] [--rate 30] [--paced-seconds 20]
                                 [--profile]

Measured: turns per second (answered pushes / wall time of the concurrent run), the time from a
push to its answer (p50/p99; the emulator wakes the follower as it records the answer, nothing
polls), the ratio of Yimen's turns per second to the echo server's (target >= 0.5) and to the
turns alone (the channel ratio), CPU per push split into the turn's and the channel's, the share of
answers that came as the passive reply and not by the customer-service API, SQL statements and
units of work per push, and at the paced rate the time to the passive reply (p50/p99, target
well inside WeChat's 5 s); peak RSS. Everything runs in one process and one event loop, the
followers and the emulator included, for Yimen and the echo server alike. The sender polls the
outbox every ``--idle-poll`` seconds when idle (1, as ``yimen serve``). ``--warmup`` followers
(5) go as far as the summary before the Yimen run and before the turns alone, not measured.
``--profile``: cProfile of the Yimen run (slower), own time by layer and the functions that cost most.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import pstats
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
# benchmarks/telegram.py would shadow python-telegram-bot (which the shared test driver imports).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from aiohttp import web  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402
from wechatpy import parse_message  # noqa: E402
from wechatpy.exceptions import InvalidSignatureException  # noqa: E402
from wechatpy.replies import TextReply  # noqa: E402
from wechatpy.utils import check_signature  # noqa: E402

from backend.config import Config  # noqa: E402
from backend.db.models import ApplicationRow  # noqa: E402
from backend.db.residents import SqlResidentRepository  # noqa: E402
from backend.wechat_config import WeChatConfig  # noqa: E402
from bot.app import open_runtime  # noqa: E402
from bot.button_commands import ButtonCommands  # noqa: E402
from bot.outbound import Outbound  # noqa: E402
from bot.runner import Conversations  # noqa: E402
from bot.wechat.channel import WeChatChannel  # noqa: E402
from bot.wechat.choices import chosen_index  # noqa: E402
from bot.wechat.inbound import typed_event  # noqa: E402
from bot.wechat.sender import CHANNEL  # noqa: E402
from flows import events as ev  # noqa: E402
from locales import SUPPORTED  # noqa: E402
from tests.bot.telegram_driver import HAPPY_PATH, Contact, Tap  # noqa: E402
from tests.bot.wechat.conftest import serve_channel  # noqa: E402
from tests.bot.wechat.driver import pick  # noqa: E402
from tests.fakes.wechat_api import Follower, WeChatEmulator  # noqa: E402

ROOT = HERE.parent
# Own time of the profiled run by layer; the first group a function's file matches takes it.
PROFILE_GROUPS = (
    ("followers and emulator (the benchmark's side): tests/fakes, benchmarks, xmltodict",
     (f"{ROOT}/tests/", f"{ROOT}/benchmarks/", "xmltodict")),
    ("database: SQLAlchemy, aiosqlite, asyncpg, greenlet, backend/db",
     ("sqlalchemy", "aiosqlite", "asyncpg", "greenlet", "backend/db/", "sqlite3")),
    ("Yimen code: bot/, flows/, backend/ (not db)", (str(ROOT),)),
    ("wechatpy (signatures, parsing, replies)", ("wechatpy",)),
    ("HTTP: aiohttp, yarl, multidict, sockets", ("aiohttp", "yarl", "multidict", "socket")),
    ("asyncio loop and other", ("",)),
)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


async def _push_and_wait(follower: Follower, line: str, latencies: list[float], kinds: Counter[str]) -> None:
    before = len(follower.received())
    started = time.perf_counter()
    if line == "subscribe":
        deliveries = await follower.subscribe()
    elif line.startswith("voice:"):
        deliveries = await follower.send_voice(line.removeprefix("voice:"))
    else:
        deliveries = await follower.send_text(line)
    await follower.platform.wait_received(follower.openid, before, timeout=30.0)
    latencies.append(time.perf_counter() - started)
    kinds["pushed again"] += len(deliveries) - 1
    kinds[follower.received()[before].kind] += 1


async def _apply(follower: Follower, latencies: list[float], kinds: Counter[str], lines: list[str],
                 *, submit: bool = True) -> int:
    """The happy path through the channel (up to the summary, without ``submit``); ``lines`` gets
    what was pushed, for the turns alone."""
    pushes = 0
    for line in ["subscribe", "1"]:
        lines.append(line)
        await _push_and_wait(follower, line, latencies, kinds)
        pushes += 1
    for action in HAPPY_PATH[1:] if submit else HAPPY_PATH[1:-1]:
        if isinstance(action, Tap):
            line = pick(follower.texts(), action.index)
        elif isinstance(action, Contact):
            line = action.phone.replace(" ", "").removeprefix("+86")
        else:
            line = "voice:张三。" if action == "张三" else action
        lines.append(line)
        await _push_and_wait(follower, line, latencies, kinds)
        pushes += 1
    return pushes


@contextlib.contextmanager
def _prompts_recorded() -> Iterator[dict[str, int | None]]:
    """Each identity's live prompt as the turns store it. A channel with buttons gets the prompt's
    id back with the press (Telegram's callback data); WeChat's reads it from the outbox, which is
    the channel's cost: the turns alone are told it instead, at the cost of a dict write."""
    prompts: dict[str, int | None] = {}
    original = SqlResidentRepository.set_active_prompt

    async def recording(self: SqlResidentRepository, channel: str, external_id: str, outbox_id: int | None) -> None:
        await original(self, channel, external_id, outbox_id)
        prompts[external_id] = outbox_id

    SqlResidentRepository.set_active_prompt = recording  # type: ignore[method-assign]
    try:
        yield prompts
    finally:
        SqlResidentRepository.set_active_prompt = original  # type: ignore[method-assign]


async def _turns_alone(conversations: Conversations, commands: ButtonCommands, openid: str, lines: list[str],
                       prompts: dict[str, int | None], latencies: list[float]) -> int:
    """A follower's pushes as the channel hands them to the runner, without the channel: a
    subscribe as /start, a voice message's text as the notice of what was heard and then typed
    text, typed text as a press of the live prompt's option it picks, or else an answer."""
    shown: dict[str, object] | None = None  # the live prompt's payload, as the channel would read it
    for n, line in enumerate(lines):
        # The others' turns come in between, as their pushes do: a turn on SQLite never waits,
        # and without this each follower would finish before the next began.
        await asyncio.sleep(0)
        key = f"{openid}:{n}"  # as a MsgId: the turn records it, once
        started = time.perf_counter()
        replies: list[Outbound]
        if line == "subscribe":
            replies = await conversations.handle(CHANNEL, openid, ev.Command("start"), inbound_id=key, outbox=True)
        else:
            text = line
            if line.startswith("voice:"):
                # As bot/wechat/inbound.py reads the recognition: without the stop speech adds.
                text = line.removeprefix("voice:").rstrip("。")
                await conversations.notice(CHANNEL, openid, "wechat.voice_heard", {"text": text})
            event = commands(typed_event(text))
            index = chosen_index(event.text, shown) if isinstance(event, ev.Text) and shown is not None else None
            prompt = prompts.get(openid)
            if index is not None and prompt is not None:
                replies = (await conversations.press(CHANNEL, openid, prompt, index, inbound_id=key)).replies
            else:
                replies = await conversations.handle(CHANNEL, openid, event, inbound_id=key, outbox=True)
        latencies.append(time.perf_counter() - started)
        if replies:
            asking = next((r for r in reversed(replies) if r.buttons), None)
            shown = asking.to_payload() if asking is not None else None
    return len(lines)


def _echo_app(token: str) -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        q = request.query
        try:
            check_signature(token, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
        except InvalidSignatureException:
            return web.Response(status=403)
        message = parse_message(await request.text())
        reply = TextReply(source=message.target, target=message.source, content="收到")
        return web.Response(body=reply.render().encode(), content_type="application/xml")

    app = web.Application()
    app.router.add_post("/wechat", echo)
    return app


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _report(name: str, pushes: int, seconds: float, latencies: list[float], cpu: float,
            whose: str = "push (followers and emulator included)") -> float:
    """Prints the run's figures; its turns per second."""
    rate = pushes / seconds
    print(f"{name}: {pushes} pushes in {seconds:.1f} s = {rate:.1f} turns/s; "
          f"answer p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {_percentile(latencies, 0.99) * 1000:.1f} ms; "
          f"CPU {cpu / pushes * 1000:.2f} ms per {whose}, {cpu / seconds:.0%} of a core")
    return rate


async def _applications(engine: object) -> int:
    """Applications in the database: the followers' submissions, which both runs must make."""
    async with engine.connect() as connection:  # type: ignore[attr-defined]
        return int(await connection.scalar(select(func.count()).select_from(ApplicationRow)))


class _SqlTally:
    """Statements and transactions the database ran (units of work that wrote or read)."""

    def __init__(self, engine: object) -> None:
        self.statements = 0
        self.begins = 0
        sync = engine.sync_engine  # type: ignore[attr-defined]
        event.listen(sync, "before_cursor_execute", self._statement)
        event.listen(sync, "begin", self._begin)

    def _statement(self, *args: object) -> None:
        self.statements += 1

    def _begin(self, *args: object) -> None:
        self.begins += 1


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        print(f"database: {url.split('://')[0]}; {args.residents} followers")
        # A database that outlives the run (PostgreSQL) already knows the last run's followers.
        run = f"{time.time_ns() % 10**9:09d}"
        # WeChat's MsgIds never repeat, and Yimen takes a repeated one for a retry: start past the last run's.
        async with WeChatEmulator(first_msg_id=time.time_ns() // 1000) as platform:
            config = Config(database_url=url, locale="zh_CN", data_dir=Path(tmp), secret_key=b"benchmark",
                            wechat=WeChatConfig(platform.app_id, platform.app_secret, platform.token,
                                                api_base_url=platform.url))
            runtime = await open_runtime(config, migrate=True)
            assert config.wechat is not None
            channel = WeChatChannel(runtime.conversations, config.wechat, idle_poll=args.idle_poll)
            server = await serve_channel(platform, channel)
            tally = _SqlTally(runtime.database.engine)
            profiler = cProfile.Profile() if args.profile else None
            try:
                if args.warmup:
                    # Caches the first turns fill (compiled SQL, templates, the interpreter's own) are
                    # not the channel's cost: the turns alone, run later in this process, find them
                    # full. Up to the summary only: the measured followers' submission is the first.
                    warm = [platform.follower(f"o_warm_{run}_{i}") for i in range(args.warmup)]
                    await asyncio.gather(*(_apply(f, [], Counter(), [], submit=False) for f in warm))
                followers = [platform.follower(f"o_bench_{run}_{i}") for i in range(args.residents)]
                pushed: list[list[str]] = [[] for _ in followers]
                latencies: list[float] = []
                kinds: Counter[str] = Counter()
                statements, begins = tally.statements, tally.begins
                submitted = await _applications(runtime.database.engine)
                started, cpu = time.perf_counter(), _cpu()
                if profiler is not None:
                    profiler.enable()
                counts = await asyncio.gather(*(_apply(f, latencies, kinds, lines)
                                                for f, lines in zip(followers, pushed, strict=True)))
                if profiler is not None:
                    profiler.disable()
                pushes = sum(counts)
                yimen_cpu = (_cpu() - cpu) / pushes
                yimen = _report("yimen", pushes, time.perf_counter() - started, latencies, _cpu() - cpu)
                print(f"  answers: {kinds['passive']} passive replies, {kinds['custom']} by the customer-service API, "
                      f"{kinds['pushed again']} pushes WeChat had to push again; per push "
                      f"{(tally.statements - statements) / pushes:.1f} SQL statements in "
                      f"{(tally.begins - begins) / pushes:.2f} transactions; "
                      f"{await _applications(runtime.database.engine) - submitted} applications submitted")
                paced, passive = await _paced(platform, args.rate, args.paced_seconds, run)
            finally:
                await channel.stop()
                await server.close()
                await runtime.close()
            echo_server = TestServer(_echo_app(platform.token), host="127.0.0.1")
            await echo_server.start_server()
            platform.server_url = str(echo_server.make_url("/wechat"))
            try:
                echoes = [platform.follower(f"o_echo_{run}_{i}") for i in range(args.residents)]
                latencies = []
                started, cpu = time.perf_counter(), _cpu()
                await asyncio.gather(*(_echo_run(f, pushes // len(echoes), latencies) for f in echoes))
                echo_cpu = (_cpu() - cpu) / (pushes // len(echoes) * len(echoes))
                echo = _report("wechatpy echo", pushes // len(echoes) * len(echoes), time.perf_counter() - started,
                               latencies, _cpu() - cpu)
            finally:
                await echo_server.close()
        # A fresh database of the same kind (a server's outlives runs: the same one, new followers).
        alone_url = args.database_url or f"sqlite+aiosqlite:///{tmp}/alone.sqlite3"
        alone_dir = Path(tmp) / "alone"
        alone_dir.mkdir()
        runtime = await open_runtime(dataclasses.replace(config, database_url=alone_url, data_dir=alone_dir),
                                     migrate=True)
        try:
            commands = ButtonCommands(runtime.conversations.translations, SUPPORTED)
            latencies = []
            with _prompts_recorded() as prompts:
                # The same warm-up as the Yimen run's: a follower's pushes up to the summary.
                await asyncio.gather(*(
                    _turns_alone(runtime.conversations, commands, f"o_warm_alone_{run}_{i}", pushed[0][:-1], prompts,
                                 []) for i in range(args.warmup)))
                tally = _SqlTally(runtime.database.engine)
                submitted = await _applications(runtime.database.engine)
                started, cpu = time.perf_counter(), _cpu()
                counts = await asyncio.gather(*(
                    _turns_alone(runtime.conversations, commands, f"o_alone_{run}_{i}", lines, prompts, latencies)
                    for i, lines in enumerate(pushed)))
                turns = sum(counts)
                alone_cpu = (_cpu() - cpu) / turns
                alone = _report("turns alone", turns, time.perf_counter() - started, latencies, _cpu() - cpu,
                                whose="turn")
            print(f"  per turn {tally.statements / turns:.1f} SQL statements in {tally.begins / turns:.2f} "
                  f"transactions; {await _applications(runtime.database.engine) - submitted} applications submitted")
        finally:
            await runtime.close()
        print(f"ratio yimen/echo: {yimen / echo:.2f} (target >= 0.5)")
        print(f"channel ratio yimen/turns alone: {yimen / alone:.2f}; CPU per push {yimen_cpu * 1000:.2f} ms = turn "
              f"{alone_cpu * 1000:.2f} ms + channel {(yimen_cpu - alone_cpu) * 1000:.2f} ms (followers and emulator "
              f"included)")
        # What a channel could cost at best: the same turns behind the minimal handler (its CPU a
        # push, the followers' and the emulator's included, on top of the turn's).
        bound = alone_cpu + echo_cpu
        print(f"bound, the turns behind the echo handler: {bound * 1000:.2f} ms CPU a push; yimen/bound "
              f"{bound / yimen_cpu:.2f}: the channel adds {(yimen_cpu - bound) * 1000:.2f} ms a push to the echo's")
        print(f"paced {args.rate:g}/s for {args.paced_seconds:g} s ({len(paced)} subscribes): answer p50 "
              f"{statistics.median(paced) * 1000:.0f} ms, p99 {_percentile(paced, 0.99) * 1000:.0f} ms, "
              f"{passive} of {len(paced)} as the passive reply (target: p99 well inside 5 s)")
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB (the whole run)")
        if profiler is not None:
            _print_profile(profiler)
            if args.profile_out:
                profiler.dump_stats(args.profile_out)


async def _echo_run(follower: Follower, pushes: int, latencies: list[float]) -> None:
    kinds: Counter[str] = Counter()
    for i in range(pushes):
        await _push_and_wait(follower, f"消息 {i}", latencies, kinds)


async def _paced(platform: WeChatEmulator, rate: float, seconds: float, run: str) -> tuple[list[float], int]:
    """New followers subscribe at ``rate`` a second; the time to each one's first answer, and how
    many of those answers were the passive reply."""
    times: list[float] = []
    passive = 0

    async def one(i: int) -> None:
        nonlocal passive
        follower = platform.follower(f"o_paced_{run}_{i}")
        started = time.perf_counter()
        await follower.subscribe()
        await platform.wait_received(follower.openid, 0, timeout=30.0)
        times.append(time.perf_counter() - started)
        passive += follower.received()[0].kind == "passive"

    tasks = []
    began = time.perf_counter()
    for i in range(int(rate * seconds)):
        tasks.append(asyncio.create_task(one(i)))
        # On a fixed schedule, however long the previous push took to start.
        await asyncio.sleep(max(0.0, began + (i + 1) / rate - time.perf_counter()))
    await asyncio.gather(*tasks)
    return times or [float("nan")], passive


def _print_profile(profiler: cProfile.Profile) -> None:
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    totals: Counter[str] = Counter()
    for (filename, _, name), (_, _, own, _, _) in stats.items():
        if "epoll" in name:
            totals["idle: waiting in epoll"] += own
            continue
        where = f"{filename} {name}"
        group = next(g for g, needles in PROFILE_GROUPS if any(n in where for n in needles))
        totals[group] += own
    whole = sum(totals.values())
    print("profile of the Yimen run, own time by layer:")
    for group, seconds in totals.most_common():
        print(f"  {seconds:7.2f} s {seconds / whole:4.0%}  {group}")
    print("  the top entries by own time:")
    top = sorted(stats.items(), key=lambda entry: entry[1][2], reverse=True)[:15]
    for (filename, line, name), (_, calls, own, _, _) in top:
        where = f"{Path(filename).relative_to(ROOT)}:{line}" if filename.startswith(str(ROOT)) else Path(filename).name
        print(f"    {own:7.2f} s  {calls:7d}  {where} {name}")
    print("  Yimen's functions by cumulative time (coroutines: time on the CPU while they ran):")
    ours = [(cum, f"{Path(f).relative_to(ROOT)}:{line} {name}", calls)
            for (f, line, name), (_, calls, _, cum, _) in stats.items()
            if f.startswith(str(ROOT)) and "/tests/" not in f and "/benchmarks/" not in f]
    for cum, where, calls in sorted(ours, reverse=True)[:20]:
        print(f"    {cum:7.2f} s  {calls:7d}  {where}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=50)
    parser.add_argument("--database-url")
    parser.add_argument("--warmup", type=int, default=5, help="followers who apply first, not measured")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    parser.add_argument("--idle-poll", type=float, default=1.0, help="the sender's idle poll, seconds")
    parser.add_argument("--profile", action="store_true", help="cProfile the Yimen run (slows it down)")
    parser.add_argument("--profile-out", help="with --profile, also write the pstats file here")
    asyncio.run(main(parser.parse_args()))

"""WeChat benchmark: simulated followers apply through the real channel, over HTTP, with the
platform emulator (tests/fakes/wechat_api) pushing to it.

N followers (default 50) each subscribe and complete the happy-path application (about 30
pushes: numbers, text and one voice answer) at the same time; each waits for the answer to a
push before the next. The same followers then push the same number of messages to a minimal
wechatpy echo server on aiohttp (signature checked, message parsed, a passive text reply), the
practical limit of the transport, and the two are compared. Last, pushes arrive at a steady
rate (default 30 a second, for ``--paced-seconds``) from many followers, and the time to the
passive reply is measured.

    python3 benchmarks/wechat.py [--residents 50] [--database-url URL] [--rate 30] [--paced-seconds 20]

Measured: pushes per second (answered pushes / wall time), the time from a push to its answer
(p50/p99), the ratio of Yimen's pushes per second to the echo server's (target >= 0.5), and the
p99 time to the passive reply at the paced rate (target well inside WeChat's 5 s). Everything
runs in one process and one event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# benchmarks/telegram.py would shadow python-telegram-bot (which the shared test driver imports).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from aiohttp import web  # noqa: E402
from aiohttp.test_utils import TestServer  # noqa: E402
from wechatpy import parse_message  # noqa: E402
from wechatpy.exceptions import InvalidSignatureException  # noqa: E402
from wechatpy.replies import TextReply  # noqa: E402
from wechatpy.utils import check_signature  # noqa: E402

from backend.config import Config  # noqa: E402
from backend.wechat_config import WeChatConfig  # noqa: E402
from bot.app import open_runtime  # noqa: E402
from bot.wechat.channel import WeChatChannel  # noqa: E402
from tests.bot.telegram_driver import HAPPY_PATH, Contact, Tap  # noqa: E402
from tests.bot.wechat.driver import pick  # noqa: E402
from tests.fakes.wechat_api import Follower, WeChatEmulator  # noqa: E402


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


async def _answered(follower: Follower, before: int, timeout: float = 30.0) -> None:
    """Until something new reached the follower (a passive reply, or a message by the API)."""
    deadline = time.perf_counter() + timeout
    while len(follower.received()) <= before:
        if time.perf_counter() > deadline:
            raise TimeoutError(follower.openid)
        await asyncio.sleep(0.005)


async def _push_and_wait(follower: Follower, line: str, latencies: list[float]) -> None:
    before = len(follower.received())
    started = time.perf_counter()
    if line == "subscribe":
        await follower.subscribe()
    elif line.startswith("voice:"):
        await follower.send_voice(line.removeprefix("voice:"))
    else:
        await follower.send_text(line)
    await _answered(follower, before)
    latencies.append(time.perf_counter() - started)


async def _apply(follower: Follower, latencies: list[float]) -> int:
    pushes = 0
    for line in ["subscribe", "1"]:
        await _push_and_wait(follower, line, latencies)
        pushes += 1
    for action in HAPPY_PATH[1:]:
        if isinstance(action, Tap):
            line = pick(follower.texts(), action.index)
        elif isinstance(action, Contact):
            line = action.phone.replace(" ", "").removeprefix("+86")
        else:
            line = "voice:张三。" if action == "张三" else action
        await _push_and_wait(follower, line, latencies)
        pushes += 1
    return pushes


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


def _report(name: str, pushes: int, seconds: float, latencies: list[float]) -> float:
    rate = pushes / seconds
    print(f"{name}: {pushes} pushes in {seconds:.1f} s = {rate:.1f} pushes/s; "
          f"answer p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {_percentile(latencies, 0.99) * 1000:.1f} ms")
    return rate


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        async with WeChatEmulator() as platform:
            config = Config(database_url=url, locale="zh_CN", data_dir=Path(tmp), secret_key=b"benchmark",
                            wechat=WeChatConfig(platform.app_id, platform.app_secret, platform.token,
                                                api_base_url=platform.url))
            runtime = await open_runtime(config, migrate=True)
            assert config.wechat is not None
            channel = WeChatChannel(runtime.conversations, config.wechat, idle_poll=0.05)
            app = web.Application()
            channel.add_routes(app)
            server = TestServer(app, host="127.0.0.1")
            await server.start_server()
            platform.server_url = str(server.make_url("/wechat"))
            await channel.start()
            try:
                followers = [platform.follower(f"o_bench_{i}") for i in range(args.residents)]
                latencies: list[float] = []
                started = time.perf_counter()
                counts = await asyncio.gather(*(_apply(f, latencies) for f in followers))
                yimen = _report("yimen", sum(counts), time.perf_counter() - started, latencies)
                paced = await _paced(platform, args.rate, args.paced_seconds)
            finally:
                await channel.stop()
                await server.close()
                await runtime.close()
            echo_server = TestServer(_echo_app(platform.token), host="127.0.0.1")
            await echo_server.start_server()
            platform.server_url = str(echo_server.make_url("/wechat"))
            try:
                echoes = [platform.follower(f"o_echo_{i}") for i in range(args.residents)]
                latencies = []
                started = time.perf_counter()
                await asyncio.gather(*(_echo_run(f, sum(counts) // len(counts), latencies) for f in echoes))
                echo = _report("wechatpy echo", sum(counts), time.perf_counter() - started, latencies)
            finally:
                await echo_server.close()
        print(f"ratio yimen/echo: {yimen / echo:.2f} (target >= 0.5)")
        print(f"paced {args.rate}/s for {args.paced_seconds} s: passive reply p50 "
              f"{statistics.median(paced) * 1000:.0f} ms, p99 {_percentile(paced, 0.99) * 1000:.0f} ms "
              "(target well inside 5 s)")


async def _echo_run(follower: Follower, pushes: int, latencies: list[float]) -> None:
    for i in range(pushes):
        await _push_and_wait(follower, f"消息 {i}", latencies)


async def _paced(platform: WeChatEmulator, rate: float, seconds: float) -> list[float]:
    """Pushes at ``rate`` a second from new followers (each subscribes, then picks the language)."""
    times: list[float] = []

    async def one(i: int) -> None:
        follower = platform.follower(f"o_paced_{i}")
        started = time.perf_counter()
        deliveries = await follower.subscribe()
        if deliveries and deliveries[-1].status == 200 and deliveries[-1].body not in ("", "success"):
            times.append(time.perf_counter() - started)

    tasks = []
    for i in range(int(rate * seconds)):
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(1 / rate)
    await asyncio.gather(*tasks)
    return times or [float("nan")]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=50)
    parser.add_argument("--database-url")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    asyncio.run(main(parser.parse_args()))

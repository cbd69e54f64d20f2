"""`yimen serve` with WeChat as a real process, killed with SIGKILL right after a turn, while
WeChat's retries of that push arrive: nothing lost, no second turn, no reply twice."""

from __future__ import annotations

import asyncio
import os
import signal

from aiohttp.test_utils import unused_port
from sqlalchemy import func, select

from backend.db.models import ConversationTurnRow, OutboxRow
from tests.bot import serve_process
from tests.bot.wechat.driver import session_state
from tests.fakes.wechat_api import Follower, WeChatEmulator


async def start_serve(platform: WeChatEmulator, database_url: str, tmp_path) -> asyncio.subprocess.Process:
    port = unused_port()
    env = {**os.environ, "WECHAT_APP_ID": platform.app_id, "WECHAT_APP_SECRET": platform.app_secret,
           "WECHAT_TOKEN": platform.token, "WECHAT_API_BASE_URL": platform.url,
           "YIMEN_DATABASE_URL": database_url, "YIMEN_DATA_DIR": str(tmp_path / "data"),
           "YIMEN_SECRET_KEY": "test-key", "YIMEN_HTTP_PORT": str(port),
           # The name a server keeps across restarts (by default its host and port; the port is
           # new here): the one started after the kill takes back its predecessor's leases at once.
           "YIMEN_INSTANCE": "wechat-process-test"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    process = await serve_process.start_serve(env, ready=b"wechat official account at /wechat", timeout=60)
    platform.server_url = f"http://127.0.0.1:{port}/wechat"
    return process


async def _settle(database, follower: Follower, before: int, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        async with database.engine.connect() as connection:
            pending = await connection.scalar(select(func.count()).select_from(OutboxRow).where(
                OutboxRow.address == follower.openid, OutboxRow.status == "pending"))
        if pending == 0 and len(follower.received()) > before:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("not settled")


async def _say(database, follower: Follower, line: str) -> None:
    before = len(follower.received())
    await (follower.subscribe() if line == "subscribe" else follower.send_text(line))
    await _settle(database, follower, before)


async def test_a_killed_server_loses_nothing_while_wechat_retries_and_repeats_nothing(database, database_url,
                                                                                      tmp_path):
    async with WeChatEmulator() as platform:
        follower = platform.follower("o_killed")
        first = await start_serve(platform, database_url, tmp_path)
        try:
            for line in ("subscribe", "1", "1"):
                await _say(database, follower, line)
            assert await session_state(database, follower.openid) == "name"
            # WeChat gives up on an answer almost at once, and retries every 2 seconds.
            platform.push_timeout, platform.retry_delay = 0.001, 2.0
            # Until the kill, the platform is too busy to take a customer-service message: the
            # first process can commit the turn but never get its reply out. (Had it got the reply
            # out just before SIGKILL, unmarked, a second copy would be unavoidable, as on Telegram.)
            platform.fail_next(-1, times=10_000, path="message/custom/send")
            before = len(follower.received())
            push = asyncio.create_task(follower.send_text("张三"))
            # Until the turn has committed (a busy machine may take seconds): WeChat's retries
            # meanwhile are the same message, which the turn took once.
            for _ in range(3000):
                if await session_state(database, follower.openid) == "id_number":
                    break
                await asyncio.sleep(0.005)
            assert await session_state(database, follower.openid) == "id_number", "the turn never committed"
        finally:
            first.kill()  # SIGKILL right after the turn's commit: no chance to answer or send
            await first.wait()
            platform.faults.clear()
        second = await start_serve(platform, database_url, tmp_path)
        try:
            deliveries = await push
            await _settle(database, follower, before)
            assert len({d.msg_key for d in deliveries}) == 1 and len(deliveries) == 4
            async with database.engine.connect() as connection:
                turns = await connection.scalar(select(func.count()).select_from(ConversationTurnRow)
                                                .where(ConversationTurnRow.state_after == "id_number"))
            assert turns == 1
            asked = [t for t in follower.texts() if "请输入您的居民身份证号码" in t]
            assert len(asked) == 1, follower.texts()
            await _say(database, follower, "110105198001010016")
            assert await session_state(database, follower.openid) == "mobile"
        finally:
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), timeout=30) == 0

"""Only the platform's signed, fresh pushes are taken; a replay or a retry never makes a second turn."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from sqlalchemy import func, select

from backend.db.models import ConversationTurnRow, OutboxRow
from tests.bot.wechat.driver import say, settled
from tests.fakes.wechat_api.followers import sign


async def _turns(database) -> int:
    async with database.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(ConversationTurnRow)))


async def _outbox(database) -> int:
    async with database.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(OutboxRow)))


async def _post(url: str, query: dict[str, str], body: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.post(url, params=query, data=body.encode()) as answer:
        return answer.status, await answer.text()


def _text_push(openid: str, msg_id: int, text: str = "你好") -> str:
    return (f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>")


async def test_the_server_url_check_echoes_only_for_the_token(platform, channel):
    stamp, nonce = str(int(time.time())), "n0nce"
    good = {"signature": sign(platform.token, stamp, nonce), "timestamp": stamp, "nonce": nonce, "echostr": "e42"}
    async with aiohttp.ClientSession() as http:
        async with http.get(platform.server_url, params=good) as answer:
            assert (answer.status, await answer.text()) == (200, "e42")
        async with http.get(platform.server_url, params={**good, "signature": "0" * 40}) as answer:
            assert answer.status == 403


async def test_forged_and_stale_pushes_are_refused_and_make_no_turn(platform, channel, database):
    follower = platform.follower("o_mallory")
    xml = _text_push("o_mallory", 555)
    query, body = follower.signed(xml)
    assert (await _post(platform.server_url, {**query, "signature": sign("guessed", query["timestamp"],
                                                                         query["nonce"])}, body))[0] == 403
    stale, body = follower.signed(xml, timestamp=int(time.time()) - 3600)
    assert (await _post(platform.server_url, stale, body))[0] == 403
    assert (await _post(platform.server_url, {}, body))[0] == 403
    assert await _turns(database) == 0 and await _outbox(database) == 0


async def test_a_replayed_push_is_answered_but_makes_no_second_turn(platform, channel, database):
    follower = platform.follower("o_replay")
    query, body = follower.signed(_text_push("o_replay", 777, "/start"))
    status, first = await _post(platform.server_url, query, body)
    await settled(database, channel, follower)
    turns, queued = await _turns(database), await _outbox(database)
    assert status == 200 and "<Content>" in first and turns == 1
    # The very same request again (a replay inside the timestamp's tolerance), and a fresh signature.
    assert await _post(platform.server_url, query, body) == (200, "success")
    again, body = follower.signed(_text_push("o_replay", 777, "/start"))
    assert await _post(platform.server_url, again, body) == (200, "success")
    await settled(database, channel, follower)
    assert (await _turns(database), await _outbox(database)) == (turns, queued)


async def test_wechat_retries_of_a_late_answer_make_one_turn_and_each_reply_once(platform, channel, database):
    follower = platform.follower("o_retried")
    await say(database, channel, follower, "/start")
    turns = await _turns(database)
    # A slow turn (a busy database, say): WeChat gives up on its answer and pushes again, three times.
    handle = channel.handle

    async def slowly(inbound):
        await asyncio.sleep(1.0)
        await handle(inbound)

    channel.handle = slowly
    platform.push_timeout = 0.2
    deliveries = await follower.send_text("1")
    await settled(database, channel, follower)
    assert [d.status for d in deliveries] == [0, 0, 0, 0]
    assert len({d.msg_key for d in deliveries}) == 1
    assert await _turns(database) == turns + 1
    texts = follower.texts()
    assert "开始之前" in texts[-1] and texts.count(texts[-1]) == 1
    assert follower.received()[-1].kind == "custom"


@pytest.mark.parametrize("safe_mode", [True])
async def test_safe_mode_pushes_and_replies_are_encrypted(platform, channel, database, safe_mode):
    follower = platform.follower("o_safe")
    deliveries = await follower.subscribe()
    await settled(database, channel, follower)
    assert "<Encrypt>" in deliveries[-1].body and "您好" not in deliveries[-1].body
    assert follower.texts()[0].startswith("您好")
    # A push in safe mode with a forged message signature is refused.
    query, body = follower.signed(_text_push("o_safe", 991))
    assert (await _post(platform.server_url, {**query, "msg_signature": "0" * 40}, body))[0] == 403

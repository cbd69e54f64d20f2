"""Replies through the customer-service API: once each and in order through API faults and expired
tokens; status changes outside the 48-hour window as template messages; the rest kept until the
follower writes again; options as a msgmenu whose stale taps are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.db.models import OutboxRow
from bot.wechat.api import WeChatApi, WeChatError
from bot.wechat.choices import numbered_text
from tests.bot import casework
from tests.bot.wechat.conftest import running_channel, with_msgmenu
from tests.bot.wechat.driver import pick, say, settled
from tests.cases.helpers import add_staff


async def _sent_in_order(database, openid: str, hints) -> list[str]:
    async with database.engine.connect() as connection:
        rows = (await connection.execute(
            select(OutboxRow.status, OutboxRow.payload)
            .where(OutboxRow.address == openid, OutboxRow.kind == "message").order_by(OutboxRow.id)
        )).all()
    assert {r.status for r in rows} == {"sent"}, [r.status for r in rows]
    return [numbered_text(r.payload, hints) for r in rows]


@pytest.fixture
async def api_only(platform, wechat_conversations, wechat_config):
    """A channel that never answers inside the window: every reply goes by the customer-service API."""
    async with running_channel(platform, wechat_conversations, wechat_config, reply_window=0.0) as wechat:
        yield wechat


async def test_with_a_fifth_of_api_calls_failing_every_reply_arrives_once_and_in_order(platform, api_only, database):
    platform.faults.rate = 0.2
    follower = platform.follower("o_faults")
    await follower.subscribe()
    await settled(database, api_only, follower)
    for line in ["1", "1", "张三", "110105198001010016", "13800138000", "1", "4", "c", "1"]:
        await say(database, api_only, follower, line)
    await say(database, api_only, follower, "2")
    # The token expires; the next message (pushed, not an answer) goes with a new one.
    platform.expire_tokens()
    await api_only.conversations.notice("wechat", follower.openid, "wechat.location", {})
    api_only.sender.wake()
    await settled(database, api_only, follower)
    assert platform.faulted(), "faults were injected"
    assert any(c.outcome == 42001 for c in platform.calls)
    assert "custom" in {r.kind for r in follower.received()}
    # A passive reply may carry several: the whole conversation is what was queued, once, in order.
    sent = await _sent_in_order(database, follower.openid, api_only.sender.hints)
    assert "\n\n".join(follower.texts()) == "\n\n".join(sent)


async def test_the_access_token_is_fetched_once_and_shared_through_the_database(platform, database, wechat_config):
    first, second = WeChatApi(wechat_config, database), WeChatApi(wechat_config, database)
    try:
        token = await first.access_token()
        assert await second.access_token() == token
        assert [c.path for c in platform.calls] == ["/cgi-bin/token"]
        # WeChat refuses it: one process fetches another, and the other takes that one from the database.
        renewed = await first.access_token(refused=token)
        assert renewed != token
        assert await second.access_token(refused=token) == renewed
        assert [c.path for c in platform.calls] == ["/cgi-bin/token"] * 2
    finally:
        await first.close()
        await second.close()


async def test_a_token_about_to_expire_is_refreshed_before_it_does(platform, database, wechat_config):
    from datetime import UTC, datetime, timedelta

    from backend.store.wechat_tokens import AccessToken

    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        await uow.wechat_tokens.put(platform.app_id, AccessToken("AT_old", now + timedelta(minutes=2)), at=now)
        await uow.commit()
    api = WeChatApi(wechat_config, database)
    try:
        token = await api.access_token()
        assert token != "AT_old" and [c.path for c in platform.calls] == ["/cgi-bin/token"]
        with pytest.raises(WeChatError) as refused:  # a follower who never wrote: 45015, not 40001
            await api.send_text("o_nobody", "x")
        assert refused.value.code == 45015 and [c.outcome for c in platform.calls] == [0, 45015]
    finally:
        await api.close()


async def test_a_status_change_outside_the_window_arrives_as_a_template_message(
        platform, channel, database, wechat_conversations, clock):
    wang = await add_staff(database, "wang", display_name="王芳")
    _, number = await casework.applied(wechat_conversations, database, "wechat", "o_away", locale="zh_CN")
    follower = platform.follower("o_away")
    await say(database, channel, follower, "/status")
    platform.close_window("o_away")  # 48 hours pass
    await casework.acted(wechat_conversations, database, clock, wang, number, casework.START_REVIEW)
    await settled(database, channel, follower)
    (template,) = [r for r in follower.received() if r.kind == "template"]
    assert template.template_id in ("TPL_STATUS", "TPL_ANY")
    assert number in template.data["first"]["value"]
    assert not [r for r in follower.received() if r.kind == "custom"]


async def test_over_the_cap_messages_wait_until_the_follower_writes_again(platform, channel, database):
    follower = platform.follower("o_capped")
    await say(database, channel, follower, "/start")
    platform.custom_cap = 0
    platform.close_window("o_capped")
    # The channel's own message (no status change, so no template): kept, not lost.
    await channel.conversations.notice("wechat", "o_capped", "wechat.location", {})
    channel.sender.wake()
    await _until_held(database, "o_capped")
    assert not [r for r in follower.received() if r.kind == "template"]
    platform.custom_cap = 20
    # They write again (the language): what was kept comes first, then the answer.
    replies = "\n\n".join(await say(database, channel, follower, "1"))
    assert replies.startswith("谢谢，我们不需要您的位置") and replies.count("开始之前") == 1


async def _until_held(database, openid: str) -> None:
    import asyncio

    for _ in range(200):
        async with database.engine.connect() as connection:
            statuses = (await connection.execute(
                select(OutboxRow.status).where(OutboxRow.address == openid))).scalars().all()
        if "held" in statuses:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("never held")


async def test_options_as_a_msgmenu_and_a_stale_tap_refused(platform, wechat_conversations, wechat_config, database):
    async with running_channel(platform, wechat_conversations, with_msgmenu(wechat_config),
                               reply_window=1.5) as wechat:
        follower = platform.follower("o_menu")
        await follower.subscribe()
        await settled(database, wechat, follower)
        language = follower.received()[-1]
        assert language.kind == "custom" and [c for _, c in language.menu] == ["中文", "English"]
        await follower.tap_menu(language.menu[0][0], "中文")
        await settled(database, wechat, follower)
        consent = follower.received()[-1]
        assert "开始之前" in consent.text and consent.menu
        await follower.tap_menu(consent.menu[0][0], consent.menu[0][1])
        await settled(database, wechat, follower)
        assert "请输入您的姓名" in follower.received()[-1].text
        # The consent menu again: its question is answered, so the tap changes nothing.
        await follower.tap_menu(consent.menu[1][0], consent.menu[1][1])
        await settled(database, wechat, follower)
        assert follower.texts()[-1] == "这个选项已过期，请回复最新一条消息里的选项。"
        # Numbers still answer a menu's question (for whom, which the consent's tap answered).
        await say(database, wechat, follower, "/back")
        await say(database, wechat, follower, pick(["1. x"], 0))
        assert "请输入您的姓名" in follower.texts()[-1]

"""A resident on WeChat asks for a person: the caseworker's words reach them on WeChat, and
their answer reaches the caseworker, as on Telegram."""

from __future__ import annotations

from sqlalchemy import select

from backend.db.models import EscalationRow, OutboxRow
from backend.store.users import Role
from tests.bot import casework
from tests.bot.wechat.driver import say, settled
from tests.cases.helpers import add_staff


async def test_a_caseworker_and_a_resident_on_wechat_talk(platform, channel, database, wechat_conversations, clock):
    # A supervisor: the request has no street office yet (the resident is at no question), so it
    # waits in the city-level queue.
    wang = await add_staff(database, "wang", Role.SUPERVISOR, display_name="王芳", telegram_id="9001")
    await casework.applied(wechat_conversations, database, "wechat", "o_talk", locale="zh_CN")
    follower = platform.follower("o_talk")
    await say(database, channel, follower, "/human")
    async with database.engine.connect() as connection:
        ticket = await connection.scalar(select(EscalationRow.id))
    desk = wechat_conversations.desk
    assert ticket is not None and (await desk.claim(wang.user, ticket)).startswith("已认领")
    assert await desk.from_staff(wang.user, "您好，我是王芳，请问有什么可以帮您？")
    await casework.dispatched(database, clock)
    channel.sender.wake()
    await settled(database, channel, follower)
    assert any("我是王芳" in t for t in follower.texts()), follower.texts()
    await say(database, channel, follower, "我想问一下审核要多久")
    async with database.engine.connect() as connection:
        to_staff = (await connection.execute(select(OutboxRow.payload).where(
            OutboxRow.channel == "telegram", OutboxRow.address == "9001"))).scalars().all()
    assert any("我想问一下审核要多久" in str(p.get("text")) for p in to_staff), to_staff

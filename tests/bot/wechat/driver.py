"""Drives followers through the emulator and waits until Yimen has answered everything."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy import func, select

from backend.db.database import Database
from backend.db.models import ChannelIdentityRow, ConversationSessionRow, OutboxRow
from bot.wechat.channel import WeChatChannel
from tests.fakes.wechat_api import Follower


async def settled(database: Database, channel: WeChatChannel, follower: Follower, timeout: float = 30.0) -> None:
    """Until no turn is in hand and nothing waits in the follower's outbox."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    pending = None
    while loop.time() < deadline:
        async with database.engine.connect() as connection:
            pending = await connection.scalar(
                select(func.count()).select_from(OutboxRow)
                .where(OutboxRow.channel == "wechat", OutboxRow.address == follower.openid,
                       OutboxRow.status == "pending"))
        if pending == 0 and not channel._in_hand:
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"{follower.openid}: not settled ({pending} pending)")


async def say(database: Database, channel: WeChatChannel, follower: Follower, text: str) -> list[str]:
    """Send text (``voice:…`` as a voice message) and return what reached the follower in answer."""
    before = len(follower.received())
    if text.startswith("voice:"):
        await follower.send_voice(text.removeprefix("voice:"))
    else:
        await follower.send_text(text)
    await settled(database, channel, follower)
    return follower.texts()[before:]


async def converse(database: Database, channel: WeChatChannel, follower: Follower, lines: Sequence[str]) -> None:
    for line in lines:
        await say(database, channel, follower, line)


async def session_state(database: Database, openid: str) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.scalar(
            select(ConversationSessionRow.state)
            .join(ChannelIdentityRow, ChannelIdentityRow.resident_id == ConversationSessionRow.resident_id)
            .where(ChannelIdentityRow.channel == "wechat", ChannelIdentityRow.external_id == openid,
                   ConversationSessionRow.flow == "intake"))


def option(texts: Sequence[str], label: str) -> str:
    """What to reply to pick the option labelled ``label`` in the newest message that lists it."""
    for text in reversed(texts):
        for line in text.splitlines():
            mark, dot, rest = line.partition(". ")
            if dot and rest.removeprefix("✓ ").strip() == label and len(mark) <= 2:
                return mark
    raise AssertionError(f"no option {label!r} in {texts[-3:]!r}")


def pick(texts: Sequence[str], index: int) -> str:
    """What to reply to pick the option at ``index`` of the newest message with options: its number,
    or its letter where options are lettered."""
    for text in reversed(texts):
        marks = [line.partition(". ")[0] for line in text.splitlines() if ". " in line]
        marks = [m for m in marks if m.isdigit() or (len(m) == 1 and m.isalpha())]
        if marks:
            return "abcdefghijklmnopqrstuvwxyz"[index] if marks[0] == "a" else str(index + 1)
    raise AssertionError("no message with options")

"""Runs the real Telegram bot against the Bot API emulator and drives simulated residents."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from backend.db.database import Database
from backend.db.models import ChannelIdentityRow, ConversationSessionRow, OutboxRow
from bot.telegram.service import TelegramBot
from tests.fakes.telegram_api import BotApiEmulator, SentMessage, SimUser


@dataclass
class Tap:
    """Press the button at ``index`` of the newest message that has buttons."""

    index: int


@dataclass
class Contact:
    phone: str


Action = str | Tap | Contact


async def settled(database: Database, user: SimUser, last: int, timeout: float = 60.0) -> None:
    """Wait until the bot handled this user's update ``last`` and sent everything it queued."""
    seen = pending = None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        async with database.engine.connect() as connection:
            seen = await connection.scalar(
                select(ChannelIdentityRow.last_inbound_id).where(
                    ChannelIdentityRow.channel == "telegram", ChannelIdentityRow.external_id == str(user.id)
                )
            )
            pending = await connection.scalar(
                select(func.count())
                .select_from(OutboxRow)
                .where(OutboxRow.address == str(user.id), OutboxRow.status == "pending")
            )
        if seen is not None and seen >= last and pending == 0:
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"user {user.id}: bot did not settle (seen {seen}, last {last}, pending {pending})")


def last_with_buttons(user: SimUser) -> SentMessage:
    for message in reversed(user.sent()):
        if message.buttons:
            return message
    raise AssertionError("no message with buttons")


async def act(emulator: BotApiEmulator, database: Database, user: SimUser, action: Action) -> list[SentMessage]:
    """Do one thing as the resident and return the messages the bot sent in answer."""
    before = len(user.sent())
    if isinstance(action, Tap):
        message = last_with_buttons(user)
        await user.press(message, message.buttons[action.index]["callback_data"])
    elif isinstance(action, Contact):
        await user.share_contact(action.phone)
    else:
        await user.send(action)
    # Read at once: no other task can queue an update between the send and this line.
    await settled(database, user, emulator.last_update_id)
    return user.sent()[before:]


async def session_state(database: Database, user: SimUser) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.scalar(
            select(ConversationSessionRow.state)
            .join(ChannelIdentityRow, ChannelIdentityRow.resident_id == ConversationSessionRow.resident_id)
            .where(ChannelIdentityRow.channel == "telegram", ChannelIdentityRow.external_id == str(user.id))
        )


HAPPY_PATH: Sequence[Action] = (
    "/start",
    Tap(0),  # agree, applying for myself
    "张三",
    "110105198001010016",
    Contact("+86 138 0013 8000"),
    Tap(0),  # 明湖区 · 湖滨街道
    Tap(3),  # no urgent need
    Tap(2),  # 3 people
    Tap(0),  # healthy
    Tap(2),  # unemployed
    Tap(0),  # no income
    Tap(0),  # spouse
    "建国",
    "110105198103050027",
    Tap(1),  # chronic illness
    Tap(0),  # no disability
    Tap(1),  # odd jobs
    "3,500元",
    Tap(1),  # child
    "小明",
    "12岁",
    Tap(0),  # healthy (at 12, at school: work is not asked)
    Tap(4),  # no other income
    "两千",
    Tap(1),  # no vehicle, one home
    "８０００",
    "3千",
    Tap(0),  # own home
    "丈夫生病以后收入少了,我也失业了。",
    Tap(0),  # submit
)


async def complete_intake(
    emulator: BotApiEmulator, database: Database, user: SimUser, actions: Sequence[Action] = HAPPY_PATH
) -> list[SentMessage]:
    for action in actions:
        await act(emulator, database, user, action)
    return user.sent()


def texts(messages: Sequence[SentMessage]) -> list[str]:
    return [m.plain_text or m.text or "" for m in messages]


__all__ = ["TelegramBot", "Tap", "Contact", "act", "complete_intake", "settled", "session_state", "texts"]

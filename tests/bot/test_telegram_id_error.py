"""The ID error on Telegram shows the resident the digits they typed; the outbox keeps them masked."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from backend.db.models import OutboxRow
from tests.bot.telegram_driver import Tap, act, session_state, texts

WRONG = "110105198001010017"  # the check digit of 110105198001010016 changed


@pytest.mark.parametrize(("language", "said"), [("zh-hans", "您输入的是：110105 19800101 0017"),
                                                ("en", "You typed: 110105 19800101 0017")])
async def test_the_id_error_shows_the_digits_typed_and_stores_them_masked(emulator, database, polling_bot, caplog,
                                                                          language, said):
    caplog.set_level(logging.INFO)  # (python-telegram-bot logs whole updates at DEBUG)
    user = emulator.user(7300 if language == "en" else 7301, language_code=language)
    for action in ("/start", Tap(0), "张三"):  # agree, for myself
        await act(emulator, database, user, action)
    replies = await act(emulator, database, user, WRONG)
    assert await session_state(database, user) == "id_number"
    assert any(said in t for t in texts(replies)), texts(replies)
    async with database.engine.connect() as connection:
        stored = (await connection.execute(select(OutboxRow.payload))).scalars().all()
    error = next(p for p in stored if p.get("key") == "error.id.checksum")
    # Kept masked, as ID numbers are shown everywhere else, with the clear text sealed for the sender.
    assert "110*** ******** 0017" in error["text"] and error.get("sealed_text")
    assert not any("19800101" in str(p) for p in stored)
    assert not any("19800101" in r.getMessage() for r in caplog.records)


async def test_the_share_phone_hint_is_only_under_telegrams_phone_question(emulator, database, polling_bot):
    user = emulator.user(7302, language_code="zh-hans")
    for action in ("/start", Tap(0), "张三"):  # agree, for myself
        await act(emulator, database, user, action)
    replies = await act(emulator, database, user, "110105198001010016")
    assert "发送我的手机号" in texts(replies)[-1]

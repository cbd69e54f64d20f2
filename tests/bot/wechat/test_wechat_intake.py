"""A complete application over WeChat, in each language, through the platform emulator: the
follower subscribes, answers by number, by text and by voice, and submits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.db.models import ApplicationRow
from tests.bot.telegram_driver import HAPPY_PATH, Contact, Tap
from tests.bot.wechat.driver import pick, say, session_state, settled

LANGUAGE = {"zh_CN": "1", "en": "2"}
VOICE_NAME = "张三。"  # recognition ends what it heard with a full stop


async def _apply(database, channel, follower, locale: str) -> list[str]:
    await follower.subscribe()
    await settled(database, channel, follower)
    await say(database, channel, follower, LANGUAGE[locale])
    for action in HAPPY_PATH[1:]:
        if isinstance(action, Tap):
            line = pick(follower.texts(), action.index)
        elif isinstance(action, Contact):
            line = action.phone.replace(" ", "").removeprefix("+86")
        elif action == "张三":
            line = f"voice:{VOICE_NAME}"
        else:
            line = action
        await say(database, channel, follower, line)
    return follower.texts()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_a_follower_applies_with_a_voice_answer(platform, channel, database, locale):
    follower = platform.follower(f"o_apply_{locale}")
    texts = await _apply(database, channel, follower, locale)
    assert "YM20261129000001" in texts[-1]
    assert await session_state(database, follower.openid) == "submitted"
    async with database.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(ApplicationRow)) == 1
    # The voice answer was echoed for the follower to check, and taken as typed (without the full stop).
    heard = {"zh_CN": "您说的是：张三", "en": "You said: 张三"}[locale]
    assert any(t.startswith(heard) for t in texts), texts
    summary = next(t for t in texts if "110105198001010016"[-4:] in t and "张三" in t)
    assert "张三。" not in summary
    # Answered inside the window: the replies went back as passive replies (a turn slowed past the
    # window by a busy machine would send its replies by the API instead, which is no failure).
    kinds = [r.kind for r in follower.received()]
    assert kinds.count("passive") >= len(kinds) // 2, kinds
    # Nothing is tapped on WeChat: the options say how to answer, and no question asks for a tap.
    # (The language question comes before any language is chosen: in Chinese.)
    hows = {"zh_CN": ("请回复序号或选项文字。", "可以直接打字回答，或回复选项前的字母。", "点"),
            "en": ("Reply with the number or the text of an option.",
                   "Type your answer, or reply with the letter of an option.", "tap")}
    with_options = [t for t in texts if "\n1. " in t or "\na. " in t]
    assert all(t.endswith(hows["zh_CN"][:2] + hows["en"][:2]) for t in with_options), with_options
    assert sum(t.endswith(hows[locale][0]) for t in with_options) > 10
    assert any(t.endswith(hows[locale][1]) for t in with_options)
    assert not [t for t in texts if hows[locale][2] in t.lower().replace("地点", "")], texts

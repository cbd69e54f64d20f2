"""Keyboards that go with their question, and the resident's own buttons, on Telegram (emulator)."""

from __future__ import annotations

import pytest

from tests.bot.telegram_driver import HAPPY_PATH, Contact, Tap, act, session_state, texts
from tests.fakes.telegram_api import BotApiEmulator, SentMessage, SimUser

# The happy path with the phone number typed rather than shared.
TYPED_PHONE = tuple("13800138000" if isinstance(a, Contact) else a for a in HAPPY_PATH)
LOCALES = {"zh-hans": ("查看进度", "找工作人员", "上一题", "重新开始"),
           "en": ("My applications", "Talk to a person", "Previous question", "Start over")}


def with_buttons(user: SimUser) -> list[SentMessage]:
    """The messages whose inline keyboard still has buttons."""
    return [m for m in user.sent() if m.buttons]


def reply_labels(user: SimUser) -> list[str]:
    """The labels of the reply keyboard under the resident's input field."""
    rows = (user.reply_keyboard or {}).get("keyboard") or []
    return [b if isinstance(b, str) else b["text"] for row in rows for b in row]


def asks_contact(user: SimUser) -> bool:
    rows = (user.reply_keyboard or {}).get("keyboard") or []
    return any(isinstance(b, dict) and b.get("request_contact") for row in rows for b in row)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
async def test_an_application_leaves_no_stale_inline_keyboard(emulator: BotApiEmulator, database, polling_bot,
                                                              language):
    user = emulator.user(7100 if language == "en" else 7101, language_code=language)
    typed_over_buttons = 0
    for action in TYPED_PHONE:
        live_before = with_buttons(user)
        await act(emulator, database, user, action)
        live = with_buttons(user)
        # Only the question being asked has buttons, and it is the newest message that has any.
        assert len(live) <= 1, [texts([m]) for m in live]
        if live:
            assert live[0] is [m for m in user.sent() if m.reply_markup and "inline_keyboard" in m.reply_markup][-1]
        if isinstance(action, str) and live_before:
            typed_over_buttons += 1
        if action == "13800138000":
            # The share-phone button went with its question: the resident's own buttons are back.
            assert not asks_contact(user)
            assert reply_labels(user) == list(LOCALES[language])
    assert await session_state(database, user) == "submitted"
    stripped = [c for c in emulator.calls("editMessageReplyMarkup") if c.ok]
    assert len(stripped) == typed_over_buttons >= 4
    assert not emulator.flood_violations


async def test_the_share_phone_button_is_taken_away_once_the_number_is_shared(emulator, database, polling_bot):
    user = emulator.user(7102, language_code="zh-hans")
    at_mobile = HAPPY_PATH.index(Contact("+86 138 0013 8000"))
    for action in HAPPY_PATH[:at_mobile]:
        await act(emulator, database, user, action)
    assert asks_contact(user)
    await act(emulator, database, user, HAPPY_PATH[at_mobile])
    assert not asks_contact(user)
    assert reply_labels(user) == list(LOCALES["zh-hans"])
    assert await session_state(database, user) == "office"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
async def test_the_residents_buttons_are_understood_as_the_commands(emulator: BotApiEmulator, database,
                                                                    polling_bot, language):
    status, human, back, restart = LOCALES[language]
    user = emulator.user(7200 if language == "en" else 7201, language_code=language)
    await act(emulator, database, user, "/start")
    # The buttons come with the first reply that has no inline keyboard, and stay.
    assert reply_labels(user) == [status, human, back, restart]
    for action in (Tap(0), "张三"):  # agree, for myself; a name
        await act(emulator, database, user, action)
    assert await session_state(database, user) == "id_number"

    await act(emulator, database, user, back)
    assert await session_state(database, user) == "name"
    replies = await act(emulator, database, user, status)
    assert replies and await session_state(database, user) == "name"
    replies = await act(emulator, database, user, human)
    assert any(("工作人员" if language == "zh-hans" else "person") in t for t in texts(replies))
    replies = await act(emulator, database, user, restart)
    assert await session_state(database, user) == "cancel_confirm"
    # The slash commands still work.
    await act(emulator, database, user, "/back")
    assert await session_state(database, user) == "cancel_confirm"
    await act(emulator, database, user, Tap(1))  # no, carry on
    assert await session_state(database, user) == "name"
    await act(emulator, database, user, "/back")  # to whom it is for, which the consent's button answered
    assert await session_state(database, user) == "for_whom"
    assert reply_labels(user) == [status, human, back, restart]


async def test_the_menu_offers_what_a_resident_needs_in_both_languages(emulator, polling_bot):
    for language, restart in (("zh", "重新开始"), ("en", "Start over")):
        menu = emulator.commands[f"default/{language}"]
        assert [c["command"] for c in menu] == ["start", "status", "human", "back", "restart", "help", "language"]
        assert any(c["description"].startswith(restart) for c in menu)

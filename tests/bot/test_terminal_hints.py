"""The terminal's own help: a line of its commands under the welcome and the help, and no hint of
Telegram's share-phone button."""

from __future__ import annotations

import io

import pytest

from bot.terminal import TerminalChat

LINES = {"zh_CN": "可以输入的指令：/status 查看进度", "en": "Commands: /status my applications"}


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
async def test_the_terminal_lists_its_commands_under_the_welcome_and_the_help(conversations, locale):
    out = io.StringIO()
    chat = TerminalChat(conversations, user=f"t-{locale}", locale=locale, out=out)
    await chat.open()
    assert out.getvalue().count(LINES[locale]) == 1
    replies = await chat.send("/help")
    assert "/" not in replies[0].text  # the help itself names no command ...
    assert out.getvalue().count(LINES[locale]) == 2  # ... the terminal does, under it
    for line in ("1", "1", "张三", "110105198001010016"):
        replies = await chat.send(line)
    assert replies[-1].key == "intake.mobile.prompt" and replies[-1].request_contact
    assert "📱" not in out.getvalue()  # no pointing at a button the terminal does not have
    # The terminal's commands work as the line says.
    replies = await chat.send("/back")
    assert replies[-1].key == "intake.id_number.prompt"

"""AiohttpRequest under python-telegram-bot, over real HTTP to the Bot API emulator."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.telegram.transport import AiohttpRequest
from tests.fakes.telegram_api import BotApiEmulator


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """RetryAfter.retry_after as a timedelta (PTB warns on every RetryAfter otherwise)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def make_bot(emulator: BotApiEmulator, connections: int = 256, **timeouts: float) -> Bot:
    """A PTB Bot whose requests, getUpdates included, all go through AiohttpRequest."""
    return Bot(
        emulator.token,
        base_url=f"{emulator.url}/bot",
        base_file_url=f"{emulator.url}/file/bot",
        request=AiohttpRequest(connections, **timeouts),
        get_updates_request=AiohttpRequest(1, **timeouts),
    )


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    async with make_bot(emulator) as the_bot:  # getMe already went through it
        yield the_bot
    assert emulator.internal_errors == []


async def test_a_message_with_buttons_arrives(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    buttons = InlineKeyboardMarkup(
        [[InlineKeyboardButton("是", callback_data="p:1:0"), InlineKeyboardButton("否", callback_data="p:1:1")],
         [InlineKeyboardButton("返回", callback_data="p:1:2")]]
    )
    # The characters a form encoding must escape arrive as they were.
    sent = await bot.send_message(alice.id, "<b>您好</b> &amp; 1+1=2?", parse_mode="HTML", reply_markup=buttons)
    [message] = alice.sent()
    assert message.plain_text == "您好 & 1+1=2?" and message.message_id == sent.message_id
    assert [(b["text"], b["callback_data"]) for b in message.buttons] == [("是", "p:1:0"), ("否", "p:1:1"),
                                                                          ("返回", "p:1:2")]


async def test_a_document_is_uploaded_as_multipart_with_its_bytes(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    data = bytes(range(256)) * 40  # every byte value, past any text decoding
    upload = InputFile(data, filename="申请 表.pdf")  # a name Telegram must get as it is, not %-encoded
    sent = await bot.send_document(alice.id, upload, caption="附件", disable_content_type_detection=True)
    [call] = emulator.calls("sendDocument")
    assert call.params["document"] == {"filename": "申请 表.pdf", "mime_type": "application/pdf", "size": len(data)}
    assert call.params["caption"] == "附件" and call.params["disable_content_type_detection"] is True
    assert [(m.kind, m.file_name, m.plain_text) for m in alice.sent()] == [("document", "申请 表.pdf", "附件")]
    returned = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(returned) == data


async def test_a_file_the_resident_sent_is_downloaded(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    data = b"%PDF-1.4 " + bytes(range(256)) * 100
    message = await alice.send_document(data, "bill.pdf")
    file = await bot.get_file(message["document"]["file_id"])
    into = io.BytesIO()
    await file.download_to_memory(into)
    assert into.getvalue() == data
    [download] = emulator.calls("download")
    assert download.http_method == "GET" and download.status == 200


async def test_a_429_is_retry_after_with_its_delay(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    emulator.fail_next("sendMessage", "429", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "later")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)


async def test_a_500_and_a_dropped_connection_are_network_errors(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    emulator.fail_next("sendMessage", "500")
    with pytest.raises(NetworkError) as server_error:
        await bot.send_message(alice.id, "lost")
    assert type(server_error.value) is NetworkError and "Internal Server Error" in server_error.value.message
    emulator.fail_next("sendMessage", "drop")
    with pytest.raises(NetworkError) as dropped:
        await bot.send_message(alice.id, "dropped")
    assert type(dropped.value) is NetworkError and "ServerDisconnected" in dropped.value.message
    await bot.send_message(alice.id, "delivered")  # the session is fine afterwards
    assert [m.text for m in alice.sent()] == ["delivered"]


async def test_a_slow_answer_times_out_unless_the_call_allows_longer(emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    emulator.slow_seconds = 0.6
    async with make_bot(emulator, read_timeout=0.2) as bot:
        emulator.fail_next("sendMessage", "slow")
        with pytest.raises(TimedOut):
            await bot.send_message(alice.id, "slow")
        emulator.fail_next("sendMessage", "slow")
        await bot.send_message(alice.id, "slow but waited for", read_timeout=2)  # the call's own timeout wins
    assert [m.text for m in alice.sent()] == ["slow", "slow but waited for"]


async def test_a_long_poll_outlasts_the_read_timeout(emulator: BotApiEmulator) -> None:
    async with make_bot(emulator, read_timeout=0.5) as bot:
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await bot.get_updates(timeout=1) == ()  # PTB adds the poll's time to the read timeout
        assert loop.time() - started >= 0.9


async def test_waiting_too_long_for_a_connection_times_out_without_showing_the_token(
    emulator: BotApiEmulator,
) -> None:
    alice = emulator.user(1001)
    emulator.slow_seconds = 1.0
    async with make_bot(emulator, connections=1, pool_timeout=0.1, connect_timeout=0.1) as bot:
        emulator.fail_next("sendMessage", "slow")
        holder = asyncio.create_task(bot.send_message(alice.id, "holds the only connection"))
        while not emulator.calls("sendMessage"):
            await asyncio.sleep(0.01)
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(alice.id, "no connection for me")
        await holder
    assert [m.text for m in alice.sent()] == ["holds the only connection"]
    assert emulator.token not in str(caught.value) and "<token>" in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_the_environment_proxy_is_used_unless_no_proxy_exempts_the_host(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "bot-api.internal")
    request = AiohttpRequest()
    await request.initialize()
    try:
        assert request.proxy_for("https://api.telegram.org/botTOKEN/getMe") == "http://proxy.internal:3128"
        assert request.proxy_for("https://bot-api.internal/botTOKEN/getMe") is None
        assert request.proxy_for("http://api.telegram.org/botTOKEN/getMe") is None  # no proxy for http
    finally:
        await request.shutdown()

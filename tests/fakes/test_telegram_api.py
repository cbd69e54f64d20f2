"""The Bot API emulator, driven by the real python-telegram-bot over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.telegram_api import PNG, BotApiEmulator, parse_html

TOKEN = "123456:TEST"


class Tick:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """RetryAfter.retry_after as a timedelta (PTB warns on every RetryAfter otherwise)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def tick() -> Tick:
    """The emulator's flood-limit clock."""
    return Tick()


@pytest.fixture
async def emulator(tick: Tick) -> AsyncIterator[BotApiEmulator]:
    """A running emulator whose flood limits follow `tick`."""
    emu = BotApiEmulator(TOKEN, clock=tick)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


def make_bot(emulator: BotApiEmulator, token: str = TOKEN) -> Bot:
    """A real PTB Bot pointed at the emulator."""
    return Bot(token, base_url=f"{emulator.url}/bot", base_file_url=f"{emulator.url}/file/bot")


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    """An initialised PTB Bot (getMe already called)."""
    async with make_bot(emulator) as the_bot:
        yield the_bot


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until `predicate()` holds (checked every 20 ms)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    """One row of callback buttons."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in pairs]])


# ---------------------------------------------------------------- basics


async def test_get_me(bot: Bot, emulator: BotApiEmulator) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "yimen_test_bot"
    assert me.can_join_groups
    assert emulator.calls("getMe")[0].status == 200


async def test_wrong_token_is_rejected(emulator: BotApiEmulator) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(emulator, "123456:WRONG"):
            pass
    assert emulator.calls("getMe")[-1].status == 401


async def test_unknown_method_is_404(bot: Bot, emulator: BotApiEmulator) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    assert emulator.calls("noSuchMethod")[0].response == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_raw_http_json_body_query_string_and_case(emulator: BotApiEmulator) -> None:
    emulator.user(7)
    async with httpx.AsyncClient(base_url=f"{emulator.url}/bot{TOKEN}") as client:
        by_json = await client.post("/SENDMESSAGE", json={"chat_id": 7, "text": "json body"})
        by_query = await client.get("/sendMessage", params={"chat_id": "7", "text": "query string"})
        bad = await client.post("/sendMessage", data={"chat_id": "7", "text": "x", "reply_markup": "{nope"})
    assert by_json.json()["result"]["text"] == "json body"
    assert by_query.json()["ok"] is True
    assert bad.status_code == 400
    assert bad.json()["description"] == "Bad Request: can't parse reply keyboard markup JSON object"
    assert [m.text for m in emulator.sent(7)] == ["json body", "query string"]


# ---------------------------------------------------------------- messages


async def test_send_message_with_inline_keyboard_then_edit(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    markup = keyboard(("是", "yes"), ("否", "no"))
    message = await bot.send_message(alice.id, "<b>选择</b> &amp; go", parse_mode="HTML", reply_markup=markup)
    assert message.text == "选择 & go"
    assert message.entities[0].type == "bold" and message.entities[0].length == 2
    assert message.reply_markup.inline_keyboard[0][1].callback_data == "no"

    [sent] = emulator.sent(alice.id)
    assert (sent.kind, sent.text, sent.plain_text, sent.parse_mode) == (
        "text", "<b>选择</b> &amp; go", "选择 & go", "HTML"
    )
    assert sent.button("是")["callback_data"] == "yes"

    call = emulator.calls("sendMessage")[0]
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "是"  # the form field was JSON-decoded
    assert call.params["chat_id"] == 1001

    edited = await bot.edit_message_text("已选择：是", chat_id=alice.id, message_id=message.message_id)
    assert edited.text == "已选择：是"
    assert sent.text == "已选择：是" and sent.edits == 1
    assert sent.reply_markup is None  # editing text without reply_markup removes the keyboard, as Telegram does

    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("已选择：是", chat_id=alice.id, message_id=message.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=999)

    await bot.edit_message_reply_markup(alice.id, message.message_id, reply_markup=keyboard(("再来", "again")))
    assert sent.reply_markup == {"inline_keyboard": [[{"text": "再来", "callback_data": "again"}]]}
    assert sent.edits == 2


async def test_reply_keyboard_with_contact_request_and_contact_share(bot: Bot, emulator: BotApiEmulator) -> None:
    bob = emulator.user(1002, first_name="Bob")
    markup = ReplyKeyboardMarkup([[KeyboardButton("分享电话", request_contact=True)]], one_time_keyboard=True)
    message = await bot.send_message(bob.id, "请分享电话", reply_markup=markup)
    assert message.reply_markup is None  # only inline keyboards come back on a Message
    assert bob.reply_keyboard["keyboard"][0][0]["request_contact"] is True
    assert emulator.sent(bob.id)[0].reply_markup["keyboard"][0][0]["text"] == "分享电话"

    shared = await bob.share_contact("+8613800138000")
    [update] = await bot.get_updates(timeout=1)
    assert update.message.contact.phone_number == "+8613800138000"
    assert update.message.contact.user_id == bob.id
    assert update.message.message_id == shared["message_id"] == message.message_id + 1


async def test_text_validation(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(alice.id, "x" * 4097)
    await bot.send_message(alice.id, "字" * 4096)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(alice.id, "   ")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(424242, "hello")
    assert len(emulator.sent(alice.id)) == 1


async def test_reply_to_a_user_message(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    question = await alice.send("我能申请低保吗？")
    answer = await bot.send_message(
        alice.id, "可以", reply_parameters=ReplyParameters(question["message_id"]), disable_notification=True
    )
    assert answer.reply_to_message.text == "我能申请低保吗？"
    [sent] = emulator.sent(alice.id)
    assert sent.reply_to_message_id == question["message_id"] and sent.disable_notification
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(alice.id, "?", reply_parameters=ReplyParameters(999))
    await bot.send_message(alice.id, "ok", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True))
    assert emulator.internal_errors == []


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("Tom & Jerry", 'unescaped "&" at byte offset 4'),
        ("&nbsp;", 'unescaped "&" at byte offset 0'),
        ('<span class="x">x</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
async def test_bad_html_is_rejected(bot: Bot, emulator: BotApiEmulator, html: str, reason: str) -> None:
    emulator.user(1001)
    with pytest.raises(BadRequest, match="(?i)can't parse entities") as caught:
        await bot.send_message(1001, html, parse_mode="HTML")
    assert reason.lower() in caught.value.message  # PTB strips "Bad Request: " and lower-cases the rest
    assert emulator.sent(1001) == []


def test_html_parser_entities() -> None:
    plain, entities = parse_html(
        '<a href="https://example.org/?a=1&amp;b=2">链接</a> 😀<i>x</i> '
        '<pre><code class="language-python">p</code></pre>'
        "<tg-spoiler>s</tg-spoiler> &lt;&#60;&#x3C;&quot; <blockquote expandable>q</blockquote>"
    )
    assert plain == '链接 😀x ps <<<" q'
    by_type = {entity["type"]: entity for entity in entities}
    link = {"type": "text_link", "offset": 0, "length": 2, "url": "https://example.org/?a=1&b=2"}
    assert by_type["text_link"] == link
    assert by_type["italic"]["offset"] == 5  # the emoji is two UTF-16 code units
    assert by_type["pre"]["language"] == "python"
    assert "code" not in by_type
    assert "spoiler" in by_type and "expandable_blockquote" in by_type


async def test_callback_data_over_64_bytes_is_rejected(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.user(1001)
    with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(1001, "pick", reply_markup=keyboard(("a", "字" * 22)))  # 66 bytes
    await bot.send_message(1001, "pick", reply_markup=keyboard(("a", "x" * 64)))
    assert len(emulator.sent(1001)) == 1


# ---------------------------------------------------------------- updates


async def test_get_updates_returns_a_message_promptly(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001, username="alice")

    async def later() -> None:
        await asyncio.sleep(0.1)
        await alice.send("/start hello")

    started = time.monotonic()
    task = asyncio.create_task(later())
    updates = await bot.get_updates(timeout=5)
    await task
    assert time.monotonic() - started < 2
    [update] = updates
    assert update.update_id == 1
    assert update.message.text == "/start hello"
    assert update.message.from_user.language_code == "zh-hans"
    assert update.message.chat.type == "private" and update.message.chat.id == alice.id
    assert update.message.entities[0].type == "bot_command" and update.message.entities[0].length == 6
    assert update.message.date.year >= 2024


async def test_get_updates_long_polls_when_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()
    assert 0.25 <= time.monotonic() - started < 2


async def test_offset_confirms_and_discards(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    for text in ("one", "two", "three"):
        await alice.send(text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["one", "two"]
    again = await bot.get_updates()
    assert [u.update_id for u in again] == [1, 2, 3]  # nothing confirmed yet
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["three"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()
    assert emulator.pending_updates == []
    assert [u.message.message_id for u in first + rest] == [1, 2, 3]


async def test_older_long_poll_is_terminated_by_a_newer_one(bot: Bot, emulator: BotApiEmulator) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=5))
    await eventually(lambda: len(emulator.calls("getUpdates")) == 1)
    async with make_bot(emulator) as other:
        assert await other.get_updates() == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await older


async def test_callback_query_round_trip(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    message = await bot.send_message(alice.id, "同意吗？", reply_markup=keyboard(("同意", "consent:yes")))
    [sent] = emulator.sent(alice.id)
    query_id = await alice.press(sent, "consent:yes")
    [update] = await bot.get_updates(timeout=1)
    query = update.callback_query
    assert query.id == query_id
    assert query.data == "consent:yes"
    assert query.from_user.id == alice.id
    assert query.message.message_id == message.message_id
    assert query.message.reply_markup.inline_keyboard[0][0].text == "同意"
    assert await query.answer("好的")
    assert alice.callback_answers() == [
        {"callback_query_id": query_id, "text": "好的", "show_alert": False, "url": None, "cache_time": None}
    ]
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    forged = await alice.press(message.message_id, "admin:delete_everything")
    updates = await bot.get_updates(offset=update.update_id + 1)
    assert updates[0].callback_query.data == "admin:delete_everything" and updates[0].callback_query.id == forged


async def test_photo_download(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    await alice.send_photo()
    [update] = await bot.get_updates()
    photos = update.message.photo
    assert len(photos) == 3 and photos[-1].width > photos[0].width
    assert photos[-1].file_size == len(PNG)
    file = await bot.get_file(photos[-1].file_id)
    assert file.file_path.startswith(f"{emulator.url}/file/bot{TOKEN}/photos/")
    assert bytes(await file.download_as_bytearray()) == PNG
    assert emulator.calls("download")[0].status == 200


async def test_size_override_and_telegram_download_limit(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    await alice.send_document(b"%PDF-1.4 small", "bill.pdf", size_bytes=15 * 1024 * 1024)
    await alice.send_document(b"%PDF-1.4 small", "huge.pdf", size_bytes=25 * 1024 * 1024)
    medium, huge = await bot.get_updates()
    assert medium.message.document.file_size == 15 * 1024 * 1024
    assert medium.message.document.file_name == "bill.pdf"
    assert medium.message.document.mime_type == "application/pdf"
    file = await bot.get_file(medium.message.document)
    assert file.file_size == 15 * 1024 * 1024
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 small"
    with pytest.raises(BadRequest, match="(?i)file is too big"):
        await bot.get_file(huge.message.document.file_id)


async def test_sticker_update_parses(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    await alice.send_sticker()
    [update] = await bot.get_updates()
    assert update.message.sticker.type == "regular"
    assert not update.message.sticker.is_animated


async def test_send_document_and_photo_uploads_arrive(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    doc = await bot.send_document(
        alice.id, b"%PDF-1.4 receipt", filename="receipt.pdf", caption="<b>回执</b>", parse_mode="HTML"
    )
    assert doc.document.file_name == "receipt.pdf"
    assert doc.caption == "回执"
    photo = await bot.send_photo(alice.id, PNG)
    again = await bot.send_photo(alice.id, photo.photo[-1].file_id)
    assert again.photo[-1].file_id == photo.photo[-1].file_id
    kinds = [(m.kind, m.plain_text, m.file_name) for m in emulator.sent(alice.id)]
    assert kinds == [("document", "回执", "receipt.pdf"), ("photo", None, None), ("photo", None, None)]
    assert emulator.calls("sendDocument")[0].params["document"]["size"] == len(b"%PDF-1.4 receipt")
    downloaded = await (await bot.get_file(doc.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"%PDF-1.4 receipt"
    with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
        await bot.send_photo(alice.id, "no-such-file-id")


async def test_set_my_commands_by_language(bot: Bot, emulator: BotApiEmulator) -> None:
    await bot.set_my_commands([BotCommand("start", "开始"), BotCommand("help", "帮助")], language_code="zh")
    await bot.set_my_commands([BotCommand("start", "Start")])
    assert emulator.commands["default/zh"] == [
        {"command": "start", "description": "开始"},
        {"command": "help", "description": "帮助"},
    ]
    assert emulator.commands["default/"] == [{"command": "start", "description": "Start"}]
    assert [c.command for c in await bot.get_my_commands(language_code="zh")] == ["start", "help"]
    await bot.delete_my_commands(language_code="zh")
    assert "default/zh" not in emulator.commands
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start!", "x")])


# ---------------------------------------------------------------- flood limits


async def test_flood_limit_per_chat(bot: Bot, emulator: BotApiEmulator, tick: Tick) -> None:
    alice = emulator.user(1001)
    for n in range(3):
        await bot.send_message(alice.id, f"burst {n}")
    with pytest.raises(RetryAfter) as fourth:
        await bot.send_message(alice.id, "burst 3")
    assert fourth.value.retry_after == dtm.timedelta(seconds=1)
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "burst 4")
    assert len(emulator.flood_violations) == 2
    assert "chat 1001" in emulator.flood_violations[0]
    assert [c.status for c in emulator.calls("sendMessage")] == [200, 200, 200, 429, 429]

    other = emulator.user(1002)
    await bot.send_message(other.id, "other chats are not affected")

    tick.advance(1.0)
    await bot.send_message(alice.id, "after a second")
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "too soon again")
    tick.advance(3.0)
    for n in range(3):
        await bot.send_message(alice.id, f"refilled {n}")
    assert len(emulator.sent(alice.id)) == 7


async def test_answering_callbacks_is_not_flood_limited_but_edits_are(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    message = await bot.send_message(alice.id, "v0", reply_markup=keyboard(("a", "a")))
    for _ in range(4):
        query_id = await alice.press(message.message_id, "a")
        await bot.answer_callback_query(query_id)
    await bot.edit_message_text("v1", chat_id=alice.id, message_id=message.message_id)
    await bot.edit_message_text("v2", chat_id=alice.id, message_id=message.message_id)
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("v3", chat_id=alice.id, message_id=message.message_id)
    assert emulator.sent(alice.id)[0].plain_text == "v2"


async def test_global_flood_limit(bot: Bot, emulator: BotApiEmulator) -> None:
    for user_id in range(2000, 2031):
        emulator.user(user_id)
    for user_id in range(2000, 2030):
        await bot.send_message(user_id, "broadcast")
    with pytest.raises(RetryAfter):
        await bot.send_message(2030, "one too many")
    assert "overall" in emulator.flood_violations[-1]


async def test_flood_limits_can_be_switched_off(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.enforce_flood_limits = False
    emulator.user(1001)
    for n in range(10):
        await bot.send_message(1001, str(n))
    assert emulator.flood_violations == []


# ---------------------------------------------------------------- faults


async def test_fault_500_and_502_do_not_deliver(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.user(1001)
    emulator.fail_next("sendMessage", "500")
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(1001, "lost")
    assert type(caught.value) is NetworkError
    assert "Internal Server Error" in caught.value.message
    emulator.fail_next("sendMessage", "502")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(1001, "lost too")
    assert emulator.sent(1001) == []
    await bot.send_message(1001, "delivered")
    assert [m.text for m in emulator.sent(1001)] == ["delivered"]
    assert [(c.status, c.fault) for c in emulator.calls("sendMessage")] == [(500, "500"), (502, "502"), (200, None)]


async def test_fault_429(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.user(1001)
    emulator.fail_next("sendMessage", "429", retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1001, "later")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    assert emulator.sent(1001) == []
    assert emulator.flood_violations == []  # injected, not a real violation


async def test_fault_drop_and_drop_after(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.user(1001)
    emulator.fail_next("sendMessage", "drop")
    with pytest.raises(NetworkError, match="Server disconnected"):
        await bot.send_message(1001, "dropped")
    assert emulator.sent(1001) == []
    emulator.fail_next("sendMessage", "drop_after")
    with pytest.raises(NetworkError):
        await bot.send_message(1001, "delivered, answer lost")
    assert [m.text for m in emulator.sent(1001)] == ["delivered, answer lost"]
    await bot.send_message(1001, "connection is fine again")
    assert len(emulator.sent(1001)) == 2


async def test_fault_slow_times_out_but_delivers(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.user(1001)
    emulator.slow_seconds = 0.5
    emulator.fail_next("sendMessage", "slow")
    with pytest.raises(TimedOut):
        await bot.send_message(1001, "slow", read_timeout=0.1)
    assert [m.text for m in emulator.sent(1001)] == ["slow"]


async def test_forbidden_when_blocked_or_fault_403(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    alice.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "hello?")
    alice.unblock()
    emulator.fail_next("sendMessage", "403")
    with pytest.raises(Forbidden):
        await bot.send_message(alice.id, "hello?")
    await bot.send_message(alice.id, "hello!")
    assert [m.text for m in emulator.sent(alice.id)] == ["hello!"]
    stranger = emulator.user(1003, started=False)
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(stranger.id, "hi")


async def test_random_faults_are_deterministic(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.enforce_flood_limits = False
    emulator.user(1001)

    async def run() -> list[str]:
        emulator.fail(rate=0.5, methods={"sendMessage"}, kinds=("500", "429", "drop"), seed=3)
        outcomes = []
        for n in range(12):
            try:
                await bot.send_message(1001, str(n))
                outcomes.append("ok")
            except RetryAfter:
                outcomes.append("429")
            except NetworkError as exc:
                outcomes.append(type(exc).__name__)
        return outcomes

    first = await run()
    second = await run()
    assert first == second
    assert "ok" in first and len(set(first)) > 1
    assert len(emulator.sent(1001)) == 2 * first.count("ok")
    emulator.clear_faults()
    await bot.get_me()
    await bot.send_message(1001, "clean")


async def test_get_updates_faults_do_not_lose_updates(bot: Bot, emulator: BotApiEmulator) -> None:
    alice = emulator.user(1001)
    await alice.send("keep me")
    emulator.fail_next("getUpdates", "drop")
    with pytest.raises(NetworkError):
        await bot.get_updates()
    emulator.fail_next("getUpdates", "drop_after")
    with pytest.raises(NetworkError):
        await bot.get_updates()
    [update] = await bot.get_updates()
    assert update.message.text == "keep me"


# ---------------------------------------------------------------- webhook


async def test_webhook_delivery_with_secret_and_retry(bot: Bot, emulator: BotApiEmulator) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = [500]

    async def hook(request: web.Request) -> web.Response:
        if failures:
            return web.Response(status=failures.pop())
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        alice = emulator.user(1001)
        await alice.send("before the webhook")
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret-token")
        await alice.send("after the webhook")
        await eventually(lambda: len(received) == 2 and not emulator.pending_updates)
        assert [(secret, body["message"]["text"]) for secret, body in received] == [
            ("s3cret-token", "before the webhook"),
            ("s3cret-token", "after the webhook"),
        ]
        assert emulator.webhook_deliveries[0]["status"] == 500
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
        assert "500" in info.last_error_message
        Update.de_json(received[0][1], bot)  # real Update JSON

        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        assert await bot.delete_webhook()
        await alice.send("polling again")
        [update] = await bot.get_updates(timeout=1)
        assert update.message.text == "polling again"
    finally:
        await runner.cleanup()


async def test_webhook_keeps_updates_while_the_bot_is_down(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.webhook_retry_delay = 0.02
    emulator.webhook_max_retry_delay = 0.05
    alice = emulator.user(1001)
    # Nothing listens on this port yet: deliveries fail and are retried.
    probe = web.AppRunner(web.Application(), access_log=None)
    await probe.setup()
    probe_site = web.TCPSite(probe, "127.0.0.1", 0)
    await probe_site.start()
    port = probe.addresses[0][1]
    await probe.cleanup()
    await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
    await alice.send("are you there?")
    await eventually(lambda: len(emulator.webhook_deliveries) >= 2)
    assert all(d["error"] for d in emulator.webhook_deliveries)
    assert len(emulator.pending_updates) == 1

    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await eventually(lambda: bool(received) and not emulator.pending_updates)
        assert [body["message"]["text"] for body in received] == ["are you there?"]
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


async def test_webhook_over_parallel_connections_has_several_updates_in_flight_and_retries_each(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    emulator.webhook_connections = 3
    emulator.webhook_retry_delay = 0.02
    in_flight, most, release = 0, 0, asyncio.Event()
    received: list[str] = []
    refused_once: set[str] = set()

    async def hook(request: web.Request) -> web.Response:
        nonlocal in_flight, most
        text = (await request.json())["message"]["text"]
        if text == "2" and text not in refused_once:
            refused_once.add(text)
            return web.Response(status=502)  # retried on its own; the others go on
        in_flight += 1
        most = max(most, in_flight)
        if most >= 2 and not release.is_set():  # two at once; a third would come within this pause
            asyncio.get_running_loop().call_later(0.2, release.set)
        await asyncio.wait_for(release.wait(), 5)
        in_flight -= 1
        received.append(text)
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        alice = emulator.user(1001)
        for text in "12345":
            await alice.send(text)
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", max_connections=2)
        await eventually(lambda: len(received) == 5 and not emulator.pending_updates)
        assert sorted(received) == list("12345") and refused_once == {"2"}
        assert most == 2  # the webhook's max_connections caps the emulator's parallelism
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


# ---------------------------------------------------------------- a real Application


async def test_application_polling_echo_commands_and_buttons(emulator: BotApiEmulator) -> None:
    errors: list[BaseException] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text("欢迎", reply_markup=keyboard(("开始", "go")))

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("收到")
        await update.callback_query.edit_message_text(f"你按了 {update.callback_query.data}")

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    application = (
        Application.builder()
        .token(emulator.token)
        .base_url(f"{emulator.url}/bot")
        .base_file_url(f"{emulator.url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    application.add_error_handler(on_error)

    alice = emulator.user(1001)
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await alice.send("你好，一门")
            [echoed] = await emulator.wait_for(alice.id, 1, timeout=5)
            assert echoed.text == "你好，一门"

            await alice.send("/start")
            welcome = (await emulator.wait_for(alice.id, 2, timeout=5))[1]
            assert welcome.plain_text == "欢迎"
            await alice.press(welcome, "go")
            await emulator.wait_for_call("editMessageText", timeout=5)
            assert welcome.plain_text == "你按了 go" and welcome.reply_markup is None
            assert alice.callback_answers()[0]["text"] == "收到"
        finally:
            await application.updater.stop()
            await application.stop()
    assert errors == []
    assert emulator.pending_updates == []  # the updater's last getUpdates confirmed everything
    assert emulator.calls("deleteWebhook")  # start_polling bootstraps by deleting any webhook

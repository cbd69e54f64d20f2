"""The Telegram channel end to end: the real python-telegram-bot over real HTTP to the emulator."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import unused_port
from sqlalchemy import func, select

from backend.db.models import ApplicationRow, DocumentRow, OutboxRow
from backend.web import init_app
from bot.telegram.service import TelegramBot, TelegramSettings
from bot.telegram.webhook import add_webhook_route
from tests.bot.conftest import fast
from tests.bot.telegram_driver import HAPPY_PATH, Tap, act, complete_intake, session_state, settled, texts


async def application_count(database) -> int:
    async with database.engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(ApplicationRow))


async def test_a_resident_applies_in_chinese_by_polling(emulator, database, polling_bot):
    user = emulator.user(1001, language_code="zh-hans")
    messages = await complete_intake(emulator, database, user)
    assert "YM20261129000001" in texts(messages)[-1]
    assert await application_count(database) == 1
    assert await session_state(database, user) == "submitted"
    # Each pressed message shows the choice and lost its buttons, as did each answered by typing;
    # only the last prompt had live buttons.
    edited = [m for m in messages if m.edits]
    assert len([m for m in edited if "✓" in (m.plain_text or "")]) == sum(isinstance(a, Tap) for a in HAPPY_PATH)
    assert all(not m.buttons for m in edited)
    assert not emulator.flood_violations
    assert all(a.get("callback_query_id") for a in user.callback_answers())


async def test_a_resident_applies_in_english_by_webhook(emulator, database, telegram_conversations, config):
    port = unused_port()
    bot = TelegramBot(
        telegram_conversations,
        fast(
            TelegramSettings(
                token=emulator.token,
                api_base_url=emulator.url,
                webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
                webhook_secret="s3cret",
            )
        ),
    )
    app = init_app(config, database=database)
    add_webhook_route(app, bot, "s3cret")
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await bot.start()
    try:
        user = emulator.user(2002, language_code="en-GB")
        messages = await complete_intake(emulator, database, user)
        assert "YM20261129000001" in texts(messages)[-1]
        assert "submitted" == await session_state(database, user)
        assert emulator.webhook_deliveries, "updates arrived by webhook"
    finally:
        await bot.stop()
        await runner.cleanup()


async def test_the_webhook_refuses_a_call_without_the_secret(emulator, telegram_conversations, config):
    from aiohttp.test_utils import TestClient, TestServer

    app = init_app(config)
    bot = TelegramBot(
        telegram_conversations,
        TelegramSettings(token=emulator.token, api_base_url=emulator.url, webhook_url="http://x/telegram/webhook"),
    )
    add_webhook_route(app, bot, "s3cret")
    async with TestClient(TestServer(app)) as client:
        update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}
        assert (await client.post("/telegram/webhook", json=update)).status == 403
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
        assert (await client.post("/telegram/webhook", json=update, headers=wrong)).status == 403
        right = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        assert (await client.post("/telegram/webhook", data=b"nope", headers=right)).status == 400


async def test_the_webhook_answers_only_once_the_turn_is_stored(emulator, database, telegram_conversations, config):
    """Telegram forgets an update the webhook answered: a process killed after answering must
    have stored the turn already, or the resident's message is lost."""
    from aiohttp.test_utils import TestClient, TestServer

    app = init_app(config)
    bot = TelegramBot(
        telegram_conversations,
        TelegramSettings(token=emulator.token, api_base_url=emulator.url, webhook_url="http://x/telegram/webhook"),
    )
    add_webhook_route(app, bot, None)
    user = emulator.user(4004, language_code="zh-hans")
    await user.send("/start")
    [update] = emulator.pending_updates
    await bot.application.initialize()
    try:
        async with TestClient(TestServer(app)) as client:
            assert (await client.post("/telegram/webhook", json=update)).status == 200
            # No waiting: the answer came after the turn.
            assert await session_state(database, user) == "consent"
    finally:
        await bot.application.shutdown()


async def test_bad_input_gets_an_answer_and_changes_nothing(emulator, database, polling_bot):
    user = emulator.user(3003, language_code="zh-hans")
    for action in ("/start", Tap(0)):  # agree, applying for myself
        await act(emulator, database, user, action)
    assert await session_state(database, user) == "name"
    consent_prompt = user.sent()[1]
    # A stale button: the consent message's buttons are long gone.
    await user.press(consent_prompt, "0:0")
    # A forged one, and one that is not ours to interpret.
    await user.press(user.sent()[-1], "99999:0")
    await user.press(user.sent()[-1], "not-a-button")
    await asyncio.sleep(0.3)
    expired = [a for a in user.callback_answers() if a.get("text")]
    assert len(expired) == 3
    assert await session_state(database, user) == "name"
    for action, key_fragment in (
        ("", "姓名"),  # an empty message
        ("张" * 4096, "姓名"),  # the longest message Telegram allows
    ):
        replies = await act(emulator, database, user, action)
        assert replies and key_fragment in texts(replies)[-1]
        assert await session_state(database, user) == "name"
    before = len(user.sent())
    await user.send_sticker()
    await asyncio.sleep(0.1)
    replies = await act(emulator, database, user, "/help")
    assert len(user.sent()) > before + 1 and await session_state(database, user) == "name"
    await user.send_document(b"%PDF-1.4", "huge.pdf", size_bytes=50 * 1024 * 1024)
    replies = await act(emulator, database, user, "/help")
    assert any("MB" in t for t in texts(user.sent()[before:]))
    assert await session_state(database, user) == "name"


async def test_outbox_items_are_sent_once_each(emulator, database, polling_bot):
    user = emulator.user(4004, language_code="zh-hans")
    await complete_intake(emulator, database, user, HAPPY_PATH[:8])
    async with database.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(OutboxRow.kind, OutboxRow.status, OutboxRow.provider_message_id).order_by(OutboxRow.id)
            )
        ).all()
    messages = [r for r in rows if r.kind == "message"]
    assert all(r.status == "sent" for r in rows)
    assert len(messages) == len(user.sent())
    assert len({r.provider_message_id for r in messages}) == len(messages)


async def test_with_a_fifth_of_api_calls_failing_every_reply_arrives_once_and_in_order(
    emulator, database, polling_bot
):
    user = emulator.user(5005, language_code="zh-hans")
    emulator.fail(rate=0.2, kinds=("429", "500", "502", "drop"), retry_after=1, seed=7)
    messages = await complete_intake(emulator, database, user, HAPPY_PATH[:13])
    emulator.clear_faults()
    faults = [c for c in emulator.calls() if c.fault]
    assert len(faults) >= 5, "the faults were injected"
    async with database.engine.connect() as connection:
        queued = (
            await connection.execute(
                select(OutboxRow.payload).where(OutboxRow.kind == "message").order_by(OutboxRow.id)
            )
        ).scalars().all()
    # Exactly the queued replies, once each, in the order they were written.
    # (A pressed message has the choice appended; the text before it is what was queued.)
    assert [(m.plain_text or "").split("\n\n✓")[0] for m in messages] == [q["text"] for q in queued]
    assert await session_state(database, user) == "members.identity"


async def test_fifty_residents_at_once_and_a_burst_keep_each_chat_in_order(emulator, database, polling_bot):
    users = [emulator.user(6000 + i, language_code="zh-hans") for i in range(50)]

    async def resident(user):
        for action in ("/start", Tap(0)):  # agree, applying for myself
            await act(emulator, database, user, action)

    await asyncio.gather(*(resident(u) for u in users))
    hurried = users[0]
    burst = ["张三", "110105198001010016", "13800138000", "hubin", "none", "3", "healthy", "unemployed", "0", "spouse",
             "王芳", "45"]
    for text in burst:
        await hurried.send(text)  # all twelve before the bot answers any
    await settled(database, hurried, emulator.last_update_id, timeout=60)
    # In order, every answer lands on its question: no error replies, and the flow is where it should be.
    assert await session_state(database, hurried) == "members.condition"
    replies = texts(hurried.sent()[3:])
    assert not any("抱歉" in t or "不能" in t for t in replies), replies
    assert not emulator.flood_violations
    for user in users[1:]:
        assert await session_state(database, user) == "name"


async def test_commands_are_announced_in_both_languages(emulator, polling_bot):
    assert {"default/zh", "default/en"} <= set(emulator.commands)
    names = [c["command"] for c in emulator.commands["default/en"]]
    assert names == ["start", "status", "human", "back", "restart", "help", "language"]


async def test_resident_text_is_escaped_in_html_messages(emulator, database, polling_bot):
    user = emulator.user(8008, language_code="en")
    await act(emulator, database, user, "/start")
    replies = await act(emulator, database, user, "/<b>&oops")
    # The unknown command is quoted back; unescaped it would be refused as bad HTML and never arrive.
    assert any("<b>&oops" in (m.plain_text or "") for m in replies)


async def test_a_photo_is_fetched_into_document_storage(emulator, database, polling_bot, config):
    user = emulator.user(8009, language_code="zh-hans")
    for action in ("/start", Tap(0)):
        await act(emulator, database, user, action)
    before = len(user.sent())
    await user.send_photo()
    await settled(database, user, emulator.last_update_id)
    assert len(user.sent()) > before
    stored = list((config.data_dir / "documents").rglob("*"))
    assert any(p.is_file() and p.stat().st_size > 0 for p in stored)


async def test_a_document_is_judged_by_its_bytes_not_its_name_or_declared_type(emulator, database, polling_bot,
                                                                                 config):
    user = emulator.user(8011, language_code="en")
    for action in ("/start", Tap(0)):  # consent given: documents are taken from now on
        await act(emulator, database, user, action)
    state = await session_state(database, user)
    for data, name, mime in ((b"MZ\x90\x00\x03" + bytes(64) + b"PE\x00\x00", "photo.jpg", "image/jpeg"),
                             (b"<html><script>alert(1)</script></html>", "bill.png", "image/png"),
                             (b"", "scan.pdf", "application/pdf")):
        before = len(user.sent())
        await user.send_document(data, name, mime)
        await act(emulator, database, user, "/help")  # updates of a chat are handled in order: the file's first
        said = texts(user.sent()[before:])
        assert any("JPG, PNG, WebP or HEIC" in t for t in said), said
    assert await session_state(database, user) == state
    stored = config.data_dir / "documents"
    assert not stored.exists() or not any(p.is_file() for p in stored.rglob("*"))
    async with database.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(DocumentRow)) == 0


async def test_a_kept_document_is_recorded_as_the_type_its_bytes_are(emulator, database, polling_bot, config):
    user = emulator.user(8012, language_code="en")
    for action in ("/start", Tap(0)):
        await act(emulator, database, user, action)
    await user.send_document(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "payslip.jpg", "image/jpeg")
    await act(emulator, database, user, "/help")
    async with database.engine.connect() as connection:
        kept = (await connection.execute(select(DocumentRow.filename, DocumentRow.mime))).all()
    assert kept == [("payslip.jpg", "application/pdf")]


async def test_a_press_whose_turn_fails_is_still_answered_in_the_residents_language(
    emulator, database, polling_bot, telegram_conversations, monkeypatch
):
    user = emulator.user(8013, language_code="en")
    await act(emulator, database, user, "/start")
    prompt = [m for m in user.sent() if m.buttons][-1]

    async def fails(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(telegram_conversations, "press", fails)
    await user.press(prompt, prompt.buttons[0]["callback_data"])
    for _ in range(200):
        if user.callback_answers():
            break
        await asyncio.sleep(0.02)
    expected = telegram_conversations.translations("en").render("channel.press_failed")
    assert [a.get("text") for a in user.callback_answers()] == [expected]


async def test_a_resident_who_blocked_the_bot_gets_the_kept_replies_when_writing_again(
    emulator, database, polling_bot
):
    user = emulator.user(8010, language_code="zh-hans")
    await act(emulator, database, user, "/start")
    user.block()
    before = len(user.sent())
    await user.send("/help")  # the emulator unblocks on a message, so block again right after it is queued
    user.block()
    await asyncio.sleep(1.0)
    async with database.engine.connect() as connection:
        held = await connection.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "held")
        )
    assert held >= 1 and len(user.sent()) == before
    user.unblock()
    replies = await act(emulator, database, user, "/status")
    assert len(replies) >= 3  # the kept help and prompt, then the status and prompt

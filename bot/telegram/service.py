"""Yimen on Telegram: python-telegram-bot as the transport, the conversation runner as the brain.

One handler for messages and one for button presses call the same runner as the terminal.
State lives in the database, replies in the outbox; no ConversationHandler, no persistence
file, so a crash loses nothing and several processes can receive updates for one bot.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from backend.documents import DocumentRefused
from backend.store.users import User
from bot.button_commands import ButtonCommands
from bot.desk import EscalationDesk
from bot.outbox_loop import sender_owner
from bot.runner import Conversations, DocumentTooLarge
from bot.runner.inbound import arrive_in_order, settled
from bot.staff_commands import StaffCommands
from bot.telegram.inbound import Inbound, read_update
from bot.telegram.limits import FloodLimits
from bot.telegram.ordering import ChatOrderedProcessor
from bot.telegram.sender import CHANNEL, OutboxSender
from bot.telegram.transport import AiohttpRequest
from flows import events as ev
from locales import SUPPORTED

log = logging.getLogger(__name__)
# The bot's menu: what a resident needs (the other commands still work, and are named where they belong).
COMMANDS = ("start", "status", "human", "back", "restart", "help", "language")
ALLOWED_UPDATES = ["message", "callback_query"]


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    token: str
    api_base_url: str | None = None  # e.g. http://127.0.0.1:8081 for a self-hosted Bot API server
    webhook_url: str | None = None
    webhook_secret: str | None = None
    poll_timeout: int = 10
    # Telegram's flood limits (telegram.constants.FloodLimit); tests may run them faster.
    per_chat_rate: float = 1.0
    per_chat_burst: float = 3
    overall_rate: float = 30.0
    # Turns of different chats run this many at a time (a chat's own always one by one). On one
    # core more buy nothing: with SQLite they only queue for its single write lock, whose waiters
    # poll it with sleeps, and cost CPU and latency. A remote PostgreSQL may want a few.
    concurrent_turns: int = 1
    # A message that still fails after this many attempts is given up, and caseworkers are told.
    send_attempts: int = 12
    # How long the sender holds the messages it takes (OutboxRepository.due): after a crash
    # they wait this long for a sender (on SQLite, and unless the process comes back under the
    # same ``instance``; on PostgreSQL a dead sender's leases end at once); it should be far
    # longer than one send takes.
    send_lease_seconds: float = 60.0
    # The process's name for good (Config.instance_name), which the sender leases under.
    instance: str | None = None


# Telegram numbers a bot's updates sequentially, so that a webhook can "restore the correct update
# sequence, should they get out of order" (the Bot API's Update), and has at most this many out at
# once (a getUpdates answer holds up to 100; a webhook's max_connections is at most 100, 40 by
# default): an update further back has been delivered. (After a week without updates the next
# number is random: an update with no number on record before it waits for none.)
UPDATES_IN_FLIGHT = 100
# How long an update waits for a missing earlier number to arrive: far longer than a loaded process
# takes to receive and record an update, and long enough for Telegram to send again one whose
# process died before it was recorded (its later updates are held up that long, once).
UPDATE_GAP_PATIENCE = 3.0


class TelegramBot:
    """Receives updates (polling or webhook), runs turns, and drains the outbox."""

    def __init__(self, conversations: Conversations, settings: TelegramSettings, desk: EscalationDesk | None = None,
                 staff_commands: StaffCommands | None = None, clock: Callable[[], datetime] = _wall_clock) -> None:
        self.conversations = conversations
        self.settings = settings
        # /task, /qualify, /redeem typed by staff (bot/staff_commands.py); None: not offered.
        self.staff_commands = staff_commands
        # Caseworkers who answer requests for a person in chat (bot/desk.py); None: no one does.
        self.desk = desk
        database = conversations.database
        # Several processes on one database server each take some of a chat's updates (webhooks):
        # each update's arrival is recorded, so that the chat's turns keep update order among them.
        ordered = ChatOrderedProcessor(
            ready=functools.partial(arrive_in_order, database, CHANNEL, window=UPDATES_IN_FLIGHT,
                                    gap_patience=UPDATE_GAP_PATIENCE) if database.shared else None,
            settled=functools.partial(settled, database, CHANNEL) if database.shared else None,
        )
        builder = (
            Application.builder()
            .token(settings.token)
            .concurrent_updates(ordered)
            # aiohttp rather than PTB's httpx: a fraction of the CPU per Bot API call (transport.py).
            # getUpdates has one poll out at a time, as PTB's default pool of one assumes; its
            # read timeout need not cover the long poll: Bot.get_updates adds poll_timeout to it.
            .request(AiohttpRequest())
            .get_updates_request(AiohttpRequest(connection_pool_size=1))
        )
        if settings.api_base_url:
            builder = builder.base_url(f"{settings.api_base_url}/bot").base_file_url(
                f"{settings.api_base_url}/file/bot"
            )
        if settings.webhook_url:
            builder = builder.updater(None)  # updates arrive through our own aiohttp route
        self.application = builder.build()
        self.application.add_handler(CallbackQueryHandler(self.on_press))
        self.application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, self.on_message))
        self.application.add_error_handler(self.on_error)
        limits = FloodLimits(
            per_chat_burst=settings.per_chat_burst,
            per_chat_rate=settings.per_chat_rate,
            overall_rate=settings.overall_rate,
        )
        # Real time, whatever clock the conversations run on: retries wait in the real world.
        self.sender = OutboxSender(
            conversations.database,
            self.application.bot,
            clock=clock,
            limits=limits,
            max_attempts=settings.send_attempts,
            lease=timedelta(seconds=settings.send_lease_seconds),
            owner=sender_owner(CHANNEL, settings.instance),
            on_give_up=desk.delivery_failed if desk is not None else None,
            storage=conversations.storage,
            labels=conversations.translations,
            sealed_texts=conversations.services.sealed_texts,
        )
        # The resident's buttons (查看进度 …) send their labels; these are read as the commands.
        self.button_commands = ButtonCommands(conversations.translations, SUPPORTED)
        self._stop_sender = asyncio.Event()
        self._sender_task: asyncio.Task[None] | None = None
        self._turns = asyncio.Semaphore(settings.concurrent_turns)

    @property
    def webhook(self) -> bool:
        return bool(self.settings.webhook_url)

    async def start(self) -> None:
        """Connect, announce the commands, start sending and receiving."""
        app = self.application
        await app.initialize()
        await self._set_commands()
        self._sender_task = asyncio.create_task(self.sender.run(self._stop_sender), name="telegram-outbox")
        await app.start()
        if self.settings.webhook_url:  # self.webhook, spelled so that the URL's type is narrowed
            await app.bot.set_webhook(
                self.settings.webhook_url,
                secret_token=self.settings.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            await app.bot.delete_webhook()
            assert app.updater is not None
            await app.updater.start_polling(
                poll_interval=0, timeout=self.settings.poll_timeout, allowed_updates=ALLOWED_UPDATES
            )

    async def stop(self) -> None:
        """Stop receiving, finish the updates in hand, send what they queued, and close."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()  # waits for the updates being processed
        self._stop_sender.set()
        if self._sender_task is not None:
            await self._sender_task
        await app.shutdown()

    async def feed(self, data: dict[str, object]) -> None:
        """An update received by webhook, handled (its turn stored) before this returns.

        Telegram forgets an update once the webhook answers 2xx. Queued in memory and answered at
        once, the updates a process holds would die with it (kill -9, a crash); answered after
        the turn is stored, an update whose connection breaks is sent again, and behind a load
        balancer reaches another process. The chat-ordered processor still runs one turn of a
        chat at a time within this process.
        """
        app = self.application
        update = Update.de_json(data, app.bot)
        await app.update_processor.process_update(update, app.process_update(update))

    async def _set_commands(self) -> None:
        for locale in SUPPORTED:
            messages = self.conversations.translations(locale)
            commands = [BotCommand(c, messages.render(f"channel.command.{c}")) for c in COMMANDS]
            language = locale.split("_")[0]
            await self.application.bot.set_my_commands(commands, language_code=language)
            if locale == self.conversations.default_locale:
                await self.application.bot.set_my_commands(commands)

    # ------------------------------------------------------------------ handlers

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inbound = read_update(update)
        if inbound is None:
            return
        staff = await self.desk.staff(inbound.external_id) if self.desk is not None else None
        if staff is not None:
            await self._from_staff(staff, inbound)
            return
        if inbound.file_id is not None:
            await self._receive_file(inbound, inbound.file_id)
        elif inbound.event is not None:
            async with self._turns:
                await self.conversations.handle(
                    CHANNEL,
                    inbound.external_id,
                    self.button_commands(inbound.event),
                    locale_hint=inbound.locale_hint,
                    inbound_id=inbound.update_id,
                    outbox=True,
                    html=True,
                )
        self.sender.wake()

    async def on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inbound = read_update(update)
        query = update.callback_query
        if inbound is None or query is None:
            return
        staff = await self.desk.staff(inbound.external_id) if self.desk is not None else None
        if staff is not None:
            assert self.desk is not None  # only the desk knows staff
            answer = await self.desk.press(staff, *inbound.press) if inbound.press else None
            try:
                await query.answer(text=answer)
            except TelegramError as error:
                log.warning("answerCallbackQuery failed: %s", error)
            self.sender.wake()
            return
        text = None
        try:
            async with self._turns:
                expired = True
                if inbound.press is not None:
                    prompt, index = inbound.press
                    result = await self.conversations.press(
                        CHANNEL,
                        inbound.external_id,
                        prompt,
                        index,
                        locale_hint=inbound.locale_hint,
                        inbound_id=inbound.update_id,
                        html=True,
                    )
                    expired = result.expired
                if expired:
                    text = await self._say(inbound, "channel.button_expired")
        except Exception:
            # The turn failed (the error handler logs why); the resident still hears that it did.
            text = await self._say(inbound, "channel.press_failed")
            raise
        finally:
            try:
                await query.answer(text=text)  # always answered, or the resident's button keeps spinning
            except TelegramError as error:
                log.warning("answerCallbackQuery failed: %s", error)
            self.sender.wake()

    async def _say(self, inbound: Inbound, key: str) -> str | None:
        """A short text for a button's answer in the resident's language; none if even that fails."""
        try:
            locale = await self.conversations.locale_of(CHANNEL, inbound.external_id, inbound.locale_hint)
            return self.conversations.translations(locale).render(key)
        except Exception:
            log.warning("no text for the button's answer (%s)", key)
            return None

    async def _from_staff(self, staff: User, inbound: Inbound) -> None:
        """A member of staff writes: one of their commands, ``/close NOTE`` to end the request for a
        person they hold, or text for that request's resident."""
        event = inbound.event
        assert self.desk is not None  # only the desk knows staff
        if isinstance(event, ev.Command) and event.name == "close":
            resident_id = await self.desk.close(staff, event.arg.strip())
            if resident_id is not None:
                async with self._turns:
                    await self.conversations.resume(resident_id)
        elif isinstance(event, ev.Command) and self.staff_commands is not None:
            await self.staff_commands.handle(staff, event)
        elif isinstance(event, ev.Text):
            await self.desk.from_staff(staff, event.text)
        self.sender.wake()

    async def _receive_file(self, inbound: Inbound, file_id: str) -> None:
        limit = self.conversations.max_document_bytes
        mb = round(limit / (1024 * 1024), 1)
        if inbound.file_size is not None and inbound.file_size > limit:
            await self._notice(inbound, "documents.too_large", {"max_mb": mb})
            return
        try:
            file = await self.application.bot.get_file(file_id)
            data = bytes(await file.download_as_bytearray())
        except TelegramError as error:
            log.warning("could not fetch a document: %s", error)
            await self._notice(inbound, "documents.download_failed", {})
            return
        try:
            async with self._turns:
                await self.conversations.upload(
                    CHANNEL,
                    inbound.external_id,
                    inbound.file_name or "document",
                    inbound.file_mime or "application/octet-stream",
                    data,
                    locale_hint=inbound.locale_hint,
                    inbound_id=inbound.update_id,
                    outbox=True,
                    html=True,
                )
        except DocumentTooLarge:
            await self._notice(inbound, "documents.too_large", {"max_mb": mb})
        except DocumentRefused as refused:
            # Judged by the bytes fetched, not by the name or type Telegram was told.
            await self._notice(inbound, refused.key, {})

    async def _notice(self, inbound: Inbound, key: str, params: dict[str, object]) -> None:
        async with self._turns:
            await self.conversations.notice(
                CHANNEL, inbound.external_id, key, params, locale_hint=inbound.locale_hint, html=True
            )

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Never the update's content: it may hold ID numbers.
        log.error("update failed: %s", type(context.error).__name__, exc_info=context.error)

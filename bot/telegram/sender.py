"""Sends the Telegram outbox: in order per chat, within the flood limits, retrying what fails.

A reply is marked sent only after Telegram accepted it, and a chat's next reply goes out only
once the previous one is marked. A 429 waits ``retry_after``; a 5xx or network error is
retried with backoff; a 403 (the resident blocked the bot) marks the resident unreachable and
keeps their messages until they write again.

An item of kind "document" (an honour certificate) is uploaded from the document storage with
its caption, under the same order, limits and retries; if its bytes are gone it is given up.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ReplyKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from tenacity import AsyncRetrying, RetryCallState, RetryError, stop_after_attempt, wait_exponential

from backend.documents import FileDocumentStorage
from backend.ports import OutboxItem, Store, UnitOfWork
from backend.store.outbox import Lease
from bot.outbound import COMMANDS_KEYBOARD
from bot.outbox_loop import PollingSender
from bot.sealed_texts import SealedTexts
from bot.telegram.inbound import callback_data
from bot.telegram.keyboards import command_keyboard, contact_keyboard
from bot.telegram.limits import FloodLimits
from locales import Messages

log = logging.getLogger(__name__)
CHANNEL = "telegram"
# A pass leases what the sender's overall rate sends in this long (at most MAX_PASS items): a
# sender given a share of the limits (several processes) leaves the rest of a short outbox to
# the others, instead of leasing it all and sending it at its share.
PASS_SECONDS, MIN_PASS, MAX_PASS = 5.0, 10, 500


def keyboard(item: OutboxItem, labels: Callable[[str], Messages] | None = None
             ) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    """Buttons as an inline keyboard (short labels three to a row), or a share-contact keyboard, or
    the resident's own buttons where the reply says so (``labels``: the catalogs they are read from)."""
    payload = item.payload
    buttons = payload.get("buttons") or []
    if buttons:
        keys = [
            InlineKeyboardButton(("✓ " if selected else "") + label, callback_data=callback_data(item.id, i))
            for i, (_, label, selected) in enumerate(buttons)
        ]
        width = 3 if all(len(b.text) <= 6 for b in keys) else 1
        return InlineKeyboardMarkup([keys[i : i + width] for i in range(0, len(keys), width)])
    if payload.get("request_contact") and payload.get("contact_label"):
        return contact_keyboard(payload["contact_label"])
    if payload.get("reply_keyboard") == COMMANDS_KEYBOARD and labels is not None and payload.get("locale"):
        return command_keyboard(labels(payload["locale"]))
    return None


class _Missing(Exception):
    """What an item needs to go out is not there: retrying cannot help."""


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class SentMarks:
    """Records sends Telegram accepted; the marks of sends that finish together share one commit.

    ``mark`` returns only once its send is committed as sent, so a chat's next reply never
    goes out before the previous one is marked: a crash repeats at most the sends in flight,
    as it would with a commit per send, while a busy bot commits once for many chats.
    """

    def __init__(self, database: Store[UnitOfWork], clock: Callable[[], datetime], attempts: int = 5) -> None:
        self.database = database
        self.clock = clock
        self.attempts = attempts
        self._waiting: dict[int, tuple[str | None, asyncio.Future[None]]] = {}
        self._committer: asyncio.Task[None] | None = None

    async def mark(self, item_id: int, message_id: str | None) -> None:
        done = asyncio.get_running_loop().create_future()
        self._waiting[item_id] = (message_id, done)
        if self._committer is None:
            self._committer = asyncio.create_task(self._commit_waiting(), name="telegram-sent-marks")
        await done

    async def _commit_waiting(self) -> None:
        """Commit what is waiting, again and again: what arrives during a commit goes in the next."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                try:
                    await self._commit({item: message for item, (message, _) in batch.items()})
                except Exception as error:
                    _settle(batch, error)
                else:
                    _settle(batch, None)
        finally:
            self._committer = None

    async def _commit(self, sent: dict[int, str | None]) -> None:
        """Try hard: an item left pending would go out twice."""
        def warn(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome is not None else None
            log.warning("could not mark %s outbox items sent (%s); retrying", len(sent), type(error).__name__)

        # Any error: the database is busy or away for a moment.
        retrying = AsyncRetrying(stop=stop_after_attempt(self.attempts), wait=wait_exponential(multiplier=0.2),
                                 before_sleep=warn)
        try:
            async for attempt in retrying:
                with attempt:
                    async with self.database.unit_of_work() as uow:
                        await uow.outbox.mark_sent(sent, at=self.clock())
                        await uow.commit()
        except RetryError:
            log.warning("could not mark %s outbox items sent; giving up", len(sent))
            raise RuntimeError(f"outbox items {sorted(sent)} were sent but could not be marked sent") from None


def _settle(batch: dict[int, tuple[str | None, asyncio.Future[None]]], error: Exception | None) -> None:
    for _, done in batch.values():
        if done.done():  # its sender gave up waiting (shutdown)
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)


class OutboxSender(PollingSender):
    """Drains the outbox of one channel; several may run, in one process or many."""

    def __init__(
        self,
        database: Store[UnitOfWork],
        bot: Bot,
        *,
        clock: Callable[[], datetime],
        limits: FloodLimits | None = None,
        max_attempts: int = 12,
        idle_poll: float = 1.0,
        concurrency: int = 32,
        owner: str | None = None,
        lease: timedelta = timedelta(seconds=60),
        on_give_up: Callable[[OutboxItem], Awaitable[None]] | None = None,
        storage: FileDocumentStorage | None = None,
        labels: Callable[[str], Messages] | None = None,
        sealed_texts: SealedTexts | None = None,
    ) -> None:
        super().__init__(database, channel=CHANNEL, clock=clock, max_attempts=max_attempts, idle_poll=idle_poll,
                         lease=lease, owner=owner, on_give_up=on_give_up, log=log)
        # The catalogs the resident's own buttons are labelled from, in the language of each reply.
        self.labels = labels
        # Opens the clear text of a reply that shows the resident something private (bot/sealed_texts.py).
        self.sealed_texts = sealed_texts
        # Where the bytes of "document" items are (the dispatcher put certificates there).
        self.storage = storage
        self.bot = bot
        self.limits = limits or FloodLimits()
        self._slots = asyncio.Semaphore(concurrency)
        self._marks = SentMarks(database, clock)
        self._pass_size = max(MIN_PASS, min(MAX_PASS, round(self.limits.overall_rate * PASS_SECONDS)))

    async def drain_once(self) -> int:
        """One pass over what is due; returns how many items went out."""
        leased_at = self.clock()
        async with self.database.unit_of_work() as uow:
            due = await uow.outbox.due(CHANNEL, now=leased_at, limit=self._pass_size,
                                       lease=Lease(self.owner, self.lease))
            # The prompts this pass's edits change, read here rather than in a unit of work each.
            # Every send of an earlier pass is marked by now, so their message ids are known.
            prompts = await uow.outbox.get_many([i.payload["edit_of"] for i in due if i.kind == "edit"])
            if due:
                await uow.commit()  # the leases
        chats: dict[str, list[OutboxItem]] = {}
        for item in due:
            chats.setdefault(item.address, []).append(item)
        # Once the lease ends another sender may take these items, so a send must be over by
        # then, its mark included: none starts after half the lease. A chat whose items take
        # longer (a long backlog at one message a second) goes on in the next pass.
        until = leased_at + self.lease / 2
        # One chat's trouble (a database error, say) must not cut short the others' sends.
        counts = await asyncio.gather(
            *(self._chat(items, prompts, until) for items in chats.values()), return_exceptions=True
        )
        for failure in (c for c in counts if isinstance(c, BaseException)):
            log.error("outbox chat pass failed: %s", type(failure).__name__)
        return sum(c for c in counts if isinstance(c, int))

    async def _chat(self, items: list[OutboxItem], prompts: dict[int, OutboxItem], until: datetime) -> int:
        """A chat's items in order, stopping at the first that must wait."""
        sent = 0
        async with self._slots:
            for item in items:
                if not await self._deliver(item, prompts, until):
                    break
                sent += 1
        return sent

    async def _deliver(self, item: OutboxItem, prompts: dict[int, OutboxItem], until: datetime) -> bool:
        """Send one item unless it is past ``until``; False: the chat's next items must wait."""
        now = self.clock()
        try:
            await self.limits.acquire(item.address)
            if self.clock() >= until:  # too late in the lease: the next pass leases it again
                return False
            message_id = await self._call(item, prompts)
        except RetryAfter as error:
            await self._postpone(item, _seconds(error.retry_after))
            return False
        except Forbidden:
            async with self.database.unit_of_work() as uow:
                if item.resident_id is None:
                    # A member of staff blocked the bot: nothing is kept for them.
                    log.warning("a caseworker's chat refuses the bot; outbox item %s dropped", item.id)
                    await uow.outbox.mark_failed(item.id, at=now)
                    await uow.commit()
                    return True
                log.info("resident %s is unreachable on telegram", item.resident_id)
                await uow.residents.set_unreachable(item.resident_id, True)
                await uow.outbox.hold(CHANNEL, item.address)
                await uow.commit()
            return False
        except _Missing as error:
            log.error("outbox item %s (%s) cannot be sent: %s", item.id, item.payload.get("key"), error)
            await self._give_up(item, now)
            return True
        except BadRequest as error:
            if "not modified" in str(error).lower():
                message_id = None
            else:
                log.error("telegram refused outbox item %s (%s): %s", item.id, item.payload.get("key"), error)
                await self._give_up(item, now)
                return True
        except NetworkError as error:
            if item.attempts + 1 >= self.max_attempts:
                log.error("giving up on outbox item %s after %s attempts: %s", item.id, item.attempts + 1, error)
                await self._give_up(item, now)
                return True
            await self._postpone(item, min(2.0**item.attempts * 0.5, 60.0))
            return False
        await self._marks.mark(item.id, message_id)
        return True

    async def _give_up(self, item: OutboxItem, now: datetime) -> None:
        async with self.database.unit_of_work() as uow:
            await uow.outbox.mark_failed(item.id, at=now)
            await uow.commit()
        if self.on_give_up is not None:
            try:
                await self.on_give_up(item)
            except Exception:  # the alert is best effort; the item stays failed either way
                log.exception("could not alert caseworkers about outbox item %s", item.id)

    async def _postpone(self, item: OutboxItem, seconds: float) -> None:
        async with self.database.unit_of_work() as uow:
            await uow.outbox.postpone(
                item.id, not_before=self.clock() + timedelta(seconds=seconds), attempts=item.attempts + 1
            )
            await uow.commit()

    async def _call(self, item: OutboxItem, prompts: dict[int, OutboxItem]) -> str | None:
        payload = item.payload
        chat_id = int(item.address)
        if item.kind == "edit":
            return await self._edit(chat_id, payload, prompts.get(payload["edit_of"]))
        if item.kind == "document":
            return await self._document(chat_id, payload)
        message = await self.bot.send_message(
            chat_id=chat_id,
            text=self._text(payload),
            parse_mode=ParseMode.HTML if payload.get("html") else None,
            reply_markup=keyboard(item, self.labels),
        )
        return str(message.message_id)

    def _text(self, payload: dict[str, Any]) -> str:
        """The text to send: a private value in clear when the sender can open it, else as stored."""
        sealed = payload.get("sealed_text")
        opened = self.sealed_texts.open(sealed) if sealed and self.sealed_texts is not None else None
        return opened if opened is not None else str(payload["text"])

    async def _document(self, chat_id: int, payload: dict[str, Any]) -> str:
        """Upload stored bytes as a file, with the caption under it."""
        if self.storage is None:
            raise _Missing("this sender has no document storage")
        try:
            data = self.storage.open(payload["storage_key"])
        except (OSError, ValueError) as error:  # removed, or a malformed key
            raise _Missing(f"the stored document is gone ({type(error).__name__})") from error
        upload = InputFile(data, filename=payload["filename"])
        upload.mimetype = payload.get("mime") or upload.mimetype
        message = await self.bot.send_document(
            chat_id=chat_id,
            document=upload,
            caption=payload.get("caption") or None,
            parse_mode=ParseMode.HTML if payload.get("html") else None,
            # The volunteer keeps the .svg file as sent, whatever Telegram's own guess of its type.
            disable_content_type_detection=True,
        )
        return str(message.message_id)

    async def _edit(self, chat_id: int, payload: dict[str, Any], prompt: OutboxItem | None) -> str | None:
        """Show the choice under the pressed prompt and take its buttons away; without a choice
        (the question was answered by typing) only take the buttons away."""
        if prompt is None or not prompt.provider_message_id:
            return None  # the prompt never went out: nothing to edit
        if "chosen" not in payload:
            edited = await self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=int(prompt.provider_message_id), reply_markup=None
            )
            return str(getattr(edited, "message_id", prompt.provider_message_id))
        is_html = bool(prompt.payload.get("html"))
        chosen = payload["chosen"]
        edited = await self.bot.edit_message_text(
            chat_id=chat_id,
            message_id=int(prompt.provider_message_id),
            text=f"{prompt.payload['text']}\n\n✓ {html.escape(chosen) if is_html else chosen}",
            parse_mode=ParseMode.HTML if is_html else None,
            reply_markup=None,
        )
        return str(getattr(edited, "message_id", prompt.provider_message_id))

"""Sends the WeChat outbox: a passive reply where the turn finished inside WeChat's window,
otherwise the customer-service API, in order per follower, once each.

A follower's items go out one by one, each marked sent once WeChat accepted it. While a push
of theirs waits for its turn to finish, their items are the passive reply's to take: the
sender leaves them alone, and one lock per follower keeps the two from taking the same item.
Outside the 48-hour window (45015) or over the cap of messages per interaction (45047), a
status change goes as the template message configured for its kind; anything else is held
until the follower writes again (as Telegram's 403 is).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import NamedTuple

import aiohttp

from backend.delivery.pacing import UNSOLICITED_KINDS
from backend.ports import OutboxItem, Store, UnitOfWork
from backend.store.outbox import Lease
from backend.wechat_config import WeChatConfig
from bot.dispatch import NOT_A_STATUS
from bot.keyed_locks import KeyedLocks
from bot.outbox_loop import PollingSender
from bot.wechat.api import OUT_OF_WINDOW, OVER_CAP, WeChatApi, WeChatError
from bot.wechat.choices import msgmenu, numbered_text
from locales import Translations

log = logging.getLogger(__name__)
CHANNEL = "wechat"
# WeChat takes a text of at most 2048 bytes, passive or by the customer-service API.
TEXT_LIMIT = 2048
NOTICE_PREFIX = "notice."
_TAKE_TRIES = 3
# Notices that are no change of an application's status.
NOT_STATUS_CHANGES = NOT_A_STATUS | UNSOLICITED_KINDS


class Passive(NamedTuple):
    """What a passive reply did: whether it carried items, and whether it left any for the API."""

    replied: bool
    left_behind: bool


class WeChatSender(PollingSender):
    """Drains the WeChat outbox; several may run, in one process or many (leases, as Telegram's)."""

    def __init__(self, database: Store[UnitOfWork], api: WeChatApi, config: WeChatConfig, *,
                 clock: Callable[[], datetime], max_attempts: int = 12, idle_poll: float = 1.0,
                 lease: timedelta = timedelta(seconds=60), owner: str | None = None,
                 on_give_up: Callable[[OutboxItem], Awaitable[None]] | None = None,
                 hints: Translations | None = None) -> None:
        """Args:
            hints: the catalogs of the line under numbered options that says how to answer.
        """
        super().__init__(database, channel=CHANNEL, clock=clock, max_attempts=max_attempts, idle_poll=idle_poll,
                         lease=lease, owner=owner, on_give_up=on_give_up, log=log)
        self.api = api
        self.config = config
        self.hints = hints
        # Followers whose push is waiting for its turn: their items may go as its passive reply.
        self.awaiting_reply: dict[str, int] = {}
        self.locks = KeyedLocks()

    async def drain_once(self) -> int:
        """One pass over what is due; how many items went out."""
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            due = await uow.outbox.due(CHANNEL, now=now, limit=500, lease=Lease(self.owner, self.lease))
            if due:
                await uow.commit()
        followers: dict[str, list[OutboxItem]] = {}
        for item in due:
            if item.address not in self.awaiting_reply:
                followers.setdefault(item.address, []).append(item)
        counts = await asyncio.gather(*(self._follower(items) for items in followers.values()),
                                      return_exceptions=True)
        for failure in (c for c in counts if isinstance(c, BaseException)):
            log.error("wechat outbox pass of a follower failed: %s", type(failure).__name__)
        return sum(c for c in counts if isinstance(c, int))

    async def _follower(self, items: list[OutboxItem]) -> int:
        address = items[0].address
        async with self.locks.hold(address):
            if address in self.awaiting_reply:
                return 0
            # A passive reply may have taken some since they were read.
            async with self.database.unit_of_work() as uow:
                fresh = await uow.outbox.get_many([i.id for i in items])
            sent = 0
            for item in items:
                if fresh.get(item.id) is None or fresh[item.id].status != "pending":
                    continue
                if not await self._deliver(item):
                    break
                sent += 1
            return sent

    # ------------------------------------------------------------------ the passive reply

    async def reply(self, openid: str, hand_over: Callable[[str], Awaitable[None]]) -> Passive:
        """Hand the oldest items waiting for ``openid`` that fit one passive reply to ``hand_over``
        (their text), and mark them sent once it returns. Call with the follower's lock held.

        One transaction takes the items and marks them: while it is open no other sender can take
        them (SQLite's write lock; on PostgreSQL the address's lock that ``due`` takes), and if
        ``hand_over`` or the commit fails they stay pending and go by the API: never lost, at
        worst sent twice.

        No lease is written: the same transaction marks the items sent, so a lease would only be
        overwritten (or rolled back) unseen. On PostgreSQL the lease names who asks, so that items
        another sender holds are left to it. On SQLite one process writes, and it holds the
        database from this read to the commit; the only other owner a SQLite file can know is a
        predecessor that died, whose items are then carried at once rather than after its lease
        ran out: sent twice at worst, as they would be then.
        """
        lease = Lease(self.owner, self.lease) if self.database.shared else None
        for attempt in range(_TAKE_TRIES):
            async with self.database.unit_of_work() as uow:
                items = await uow.outbox.due(CHANNEL, now=self.clock(), limit=50, lease=lease, addresses=[openid],
                                             hold=False)
                if items:
                    text, ids = _passive_text(items, menus=self.config.msgmenu, hints=self.hints)
                    if not ids:  # the first item cannot go passive: all of them go by the API
                        return Passive(replied=False, left_behind=True)
                    await hand_over(text)
                    await uow.outbox.mark_sent({i: "passive" for i in ids}, at=self.clock())
                    await uow.commit()
                    return Passive(replied=True, left_behind=len(ids) < len(items))
            # On PostgreSQL a sender's pass holds the follower's lock for the moment it takes its
            # leases (even of items it then leaves to this reply): look again shortly.
            if attempt + 1 < _TAKE_TRIES:
                await asyncio.sleep(0.02)
        return Passive(replied=False, left_behind=False)

    # ------------------------------------------------------------------ one item

    async def _deliver(self, item: OutboxItem) -> bool:
        """Send one item; False: the follower's next items must wait."""
        try:
            await self._send(item)
        except WeChatError as error:
            if error.code in (OUT_OF_WINDOW, OVER_CAP):
                return await self._out_of_reach(item, error.code)
            if error.code == -1:
                return await self._retry_later(item, error)
            log.error("wechat refused outbox item %s (%s): %s", item.id, item.payload.get("key"), error.code)
            await self._give_up(item)
            return True
        except (aiohttp.ClientError, TimeoutError) as error:
            return await self._retry_later(item, error)
        await self._mark_sent(item)
        return True

    async def _send(self, item: OutboxItem) -> None:
        payload = item.payload
        if item.kind == "edit":
            return  # the choice was typed by the follower; there is no message to edit
        if item.kind == "document":
            # A customer-service message cannot carry a file: the caption says what it is.
            await self.api.send_text(item.address, _fit(str(payload.get("caption") or payload.get("filename") or "")))
            return
        if self.config.msgmenu and payload.get("buttons"):
            await self.api.send_menu(item.address, msgmenu(item.id, payload))
            return
        # A long message (a decision with all its parts) goes as several, cut between lines. Should
        # a later part fail, the retry sends the earlier ones again: better twice than cut short.
        for part in split_text(numbered_text(payload, self.hints)):
            await self.api.send_text(item.address, part)

    async def _out_of_reach(self, item: OutboxItem, code: int) -> bool:
        template = self._template(str(item.payload.get("key") or ""))
        if template is not None and item.kind == "message":
            try:
                await self.api.send_template(item.address, template, template_data(item))
            except WeChatError as error:
                log.error("wechat refused the template message for outbox item %s: %s", item.id, error.code)
            except (aiohttp.ClientError, TimeoutError) as error:
                return await self._retry_later(item, error)
            else:
                await self._mark_sent(item)
                return True
        async with self.database.unit_of_work() as uow:
            if item.resident_id is None:
                await uow.outbox.mark_failed(item.id, at=self.clock())
                await uow.commit()
                return True
            log.info("resident %s is out of reach on wechat (%s); kept until they write", item.resident_id, code)
            await uow.residents.set_unreachable(item.resident_id, True)
            await uow.outbox.hold(CHANNEL, item.address)
            await uow.commit()
        return False

    def _template(self, key: str) -> str | None:
        """The template for a notice: its kind's own, or for a status change the default one (``*``);
        a caseworker's message, an offer or a broadcast waits instead unless its kind has one."""
        if not key.startswith(NOTICE_PREFIX):
            return None
        kind = key.removeprefix(NOTICE_PREFIX)
        own = self.config.templates.get(kind)
        return own if own is not None or kind in NOT_STATUS_CHANGES else self.config.template_for(kind)

    async def _retry_later(self, item: OutboxItem, error: BaseException) -> bool:
        if item.attempts + 1 >= self.max_attempts:
            log.error("giving up on wechat outbox item %s after %s attempts: %s", item.id, item.attempts + 1,
                      type(error).__name__)
            await self._give_up(item)
            return True
        async with self.database.unit_of_work() as uow:
            await uow.outbox.postpone(item.id, not_before=self.clock() + timedelta(seconds=min(2.0**item.attempts, 60)),
                                      attempts=item.attempts + 1)
            await uow.commit()
        return False

    async def _mark_sent(self, item: OutboxItem) -> None:
        async with self.database.unit_of_work() as uow:
            await uow.outbox.mark_sent({item.id: None}, at=self.clock())
            await uow.commit()

    async def _give_up(self, item: OutboxItem) -> None:
        async with self.database.unit_of_work() as uow:
            await uow.outbox.mark_failed(item.id, at=self.clock())
            await uow.commit()
        if self.on_give_up is not None:
            try:
                await self.on_give_up(item)
            except Exception:  # the alert is best effort
                log.exception("could not alert caseworkers about outbox item %s", item.id)


def _passive_text(items: list[OutboxItem], *, menus: bool, hints: Translations | None) -> tuple[str, list[int]]:
    """The text of the oldest ``items`` that fit one passive reply and their ids (an edit's too:
    there is nothing to show for it); no ids when none has text to show."""
    texts: list[str] = []
    taken: list[int] = []
    size = 0
    for item in items:
        if item.kind == "edit":  # no message to edit on WeChat: nothing to show
            taken.append(item.id)
            continue
        if item.kind != "message" or (menus and item.payload.get("buttons")):
            break
        text = numbered_text(item.payload, hints)
        grown = size + len(text.encode()) + (2 if texts else 0)
        if grown > TEXT_LIMIT:
            break
        texts.append(text)
        taken.append(item.id)
        size = grown
    if not texts:  # nothing to say: the edits go with the sender's next pass
        return "", []
    return "\n\n".join(texts), taken


def template_data(item: OutboxItem) -> dict[str, dict[str, str]]:
    """A status change as a template message's data: the notice's text as ``first`` (the field
    every template of the industry's library opens with), its kind as ``keyword1``."""
    key = str(item.payload.get("key") or "")
    return {"first": {"value": _fit(str(item.payload.get("text") or ""), 1000)},
            "keyword1": {"value": key.removeprefix(NOTICE_PREFIX)}}


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """The text in parts of at most ``limit`` bytes of UTF-8, cut between lines where it can."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode()) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(line.encode()) > limit:  # one line longer than a message: cut at a character
            head = line.encode()[:limit].decode(errors="ignore")
            parts.append(head)
            line = line[len(head):]
        current = line
    if current or not parts:
        parts.append(current)
    return parts


def _fit(text: str, limit: int = TEXT_LIMIT) -> str:
    """At most ``limit`` bytes of UTF-8, cut at a character."""
    data = text.encode()
    return text if len(data) <= limit else data[: limit - 3].decode(errors="ignore") + "…"

"""Answers held back: text typed on an out-of-date page, kept until the resident says what it answers.

A post carries the token of the question its page showed (``bot.web_chat.place``). When that is
no longer the live question, the text is not applied: it is held here and the page asks "did
you mean this for the question asked now?". It is kept in the browser's transcript (the outbox,
channel ``web``) as an item of its own kind, sealed (AES-GCM, bound to the browser's identity)
because it may hold an ID number or an income, which nothing stores in clear. Nothing is lost:
the item stays until the resident answers yes (used as the answer) or no (put back in the answer
box, to change or send as they wish).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from backend.crypto import Sealer, Unsealable
from backend.ports import OutboxItem, Store, UnitOfWork

CHANNEL = "web"
HELD = "held_answer"
# The resident said no: the text goes back into the answer box of the next page.
RETURNED = "held_returned"
KINDS = frozenset({HELD, RETURNED})


@dataclass(frozen=True, slots=True)
class Held:
    """An answer waiting for the resident's word (``id`` is the outbox item's)."""

    id: int
    text: str


class HeldAnswers:
    """Holds, finds and settles the answers of out-of-date pages.

    Args:
        database: the units of work.
        secret: the installation's secret key (the sealing key is derived from it).
        clock: the current time.
        kept: how far back in the browser's transcript an answer is looked for.
    """

    def __init__(self, database: Store[UnitOfWork], secret: bytes, *, clock: Callable[[], datetime],
                 kept: int = 60) -> None:
        self.database = database
        self.clock = clock
        self.kept = kept
        self._sealer = Sealer(secret, b"yimen web chat held answer")

    def _seal(self, web_id: str, text: str) -> str:
        return base64.b64encode(self._sealer.seal(text.encode(), web_id.encode())).decode()

    def _open(self, web_id: str, item: OutboxItem) -> str | None:
        try:
            return self._sealer.open(base64.b64decode(str(item.payload.get("sealed", ""))), web_id.encode()).decode()
        except (Unsealable, ValueError):
            return None

    async def hold(self, web_id: str, text: str) -> None:
        """Keep ``text`` for the resident to confirm; one held at a time (a newer one replaces it)."""
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            resident = await uow.residents.identify(CHANNEL, web_id, now=now)
            await self._settle_all(uow, web_id)
            await uow.outbox.add(resident_id=resident.id, channel=CHANNEL, address=web_id, kind=HELD,
                                 payload={"sealed": self._seal(web_id, text)}, at=now)
            await uow.commit()

    async def waiting(self, web_id: str) -> tuple[Held | None, str | None]:
        """The answer waiting for a yes or no (on every page until it is given), and the text to
        put back in the answer box after a no (on the next page only); each None when there is none."""
        async with self.database.unit_of_work() as uow:
            items = await uow.outbox.recent(CHANNEL, web_id, limit=self.kept)
            held = next((i for i in reversed(items) if i.kind == HELD and i.status == "pending"), None)
            returned = next((i for i in reversed(items) if i.kind == RETURNED and i.status == "pending"), None)
            if returned is not None:
                await uow.outbox.mark_sent({returned.id: None}, at=self.clock())
                await uow.commit()
        shown = Held(held.id, text) if held is not None and (text := self._open(web_id, held)) is not None else None
        return shown, (self._open(web_id, returned) if returned is not None else None)

    async def settle(self, web_id: str, held_id: int, *, use: bool) -> str | None:
        """The resident's answer on the held text: its text when it is still waiting (None when it
        was settled already, by another tab say). With ``use`` False, the text goes back to the
        answer box of the next page."""
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            item = await uow.outbox.get(held_id)
            if item is None or item.kind != HELD or item.address != web_id or item.status != "pending":
                return None
            text = self._open(web_id, item)
            await uow.outbox.mark_sent({held_id: None}, at=now)
            if text is not None and not use:
                await uow.outbox.add(resident_id=item.resident_id, channel=CHANNEL, address=web_id, kind=RETURNED,
                                     payload={"sealed": self._seal(web_id, text)}, at=now)
            await uow.commit()
        return text

    async def clear(self, web_id: str) -> None:
        """Something else was sent: nothing held is asked about or put back any more."""
        async with self.database.unit_of_work() as uow:
            if await self._settle_all(uow, web_id):
                await uow.commit()

    async def _settle_all(self, uow: UnitOfWork, web_id: str) -> bool:
        items = await uow.outbox.recent(CHANNEL, web_id, limit=self.kept)
        open_ = {i.id: None for i in items if i.kind in KINDS and i.status == "pending"}
        if open_:
            await uow.outbox.mark_sent(open_, at=self.clock())
        return bool(open_)

"""The short transcript a web page is drawn from, kept in the outbox with channel ``web``.

The conversation runner already writes a turn's replies to the outbox in the turn's own
transaction (``outbox=True``), with the live prompt and the choices made on it (``edit`` items),
exactly as Telegram's sender needs them. The web keeps them there too: nothing new to store,
it survives a restart, and a button is valid on the web when it would be on Telegram. What
the resident sent is added as ``said`` items. An item is marked sent once a page has shown it,
and only the newest few dozen per browser are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from datetime import datetime

from backend.ports import OutboxItem, Store, UnitOfWork
from bot import callbacks
from bot.outbound import Button
from bot.sealed_texts import SealedTexts
from bot.web_chat.held import KINDS as HELD_KINDS
from locales import mask_id_number

CHANNEL = "web"
SAID = "said"
# ID numbers typed by the resident (spaced or not) are kept masked, as every reply shows them.
_ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9][ -]?){14,17}[0-9Xx](?![0-9Xx])")


@dataclass(frozen=True, slots=True)
class Entry:
    """One message on the page: Yimen's, or the resident's own (``mine``)."""

    id: int
    mine: bool
    key: str
    text: str
    html: bool = False
    buttons: tuple[Button, ...] = ()  # each value "<outbox id>:<index>", as ``Conversations.press`` takes it
    new: bool = False
    contact: bool = False  # the question asks for a phone number


@dataclass(frozen=True, slots=True)
class View:
    """What a page shows a browser.

    Attributes:
        form_counter: the number the page's forms carry; a post is taken once, and only from a
            page drawn after the last post taken (a double click or an old tab changes nothing).
        known: the browser has written before (there is a resident behind it).
        linked: channels that can push which lead to the same resident (e.g. Telegram).
    """

    entries: tuple[Entry, ...] = ()
    form_counter: int = 1
    locale: str | None = None
    known: bool = False
    linked: tuple[str, ...] = ()
    # The live question's message (its buttons are live), and when the resident last sent anything.
    prompt: int | None = None
    last_said_at: datetime | None = None

    @property
    def contact(self) -> bool:
        return any(e.contact for e in self.entries)


def masked(text: str) -> str:
    """The text with anything shaped like an ID number (15 or 18 characters) masked."""

    def mask(match: re.Match[str]) -> str:
        digits = re.sub(r"[ -]", "", match.group(0))
        return mask_id_number(digits) if len(digits) in (15, 18) else match.group(0)

    return _ID_NUMBER.sub(mask, text)


@dataclass(eq=False)
class Transcript:
    """Reads and writes a browser's transcript.

    Args:
        database: the units of work.
        clock: the current time.
        shown: how many messages a page shows.
        kept: how many outbox items are kept per browser (edits and choices included).
        push_channels: channels that can push, named on the page when linked.
        sealed_texts: opens the clear text of a reply that shows something private (the digits of
            an ID number just typed), on the page that shows it first; later pages show it masked.
    """

    database: Store[UnitOfWork]
    _: KW_ONLY
    clock: Callable[[], datetime]
    shown: int = 24
    kept: int = 60
    push_channels: tuple[str, ...] = ("telegram",)
    sealed_texts: SealedTexts | None = None

    async def accept(self, web_id: str, counter: int | None, said: dict[str, object] | None = None,
                     pressed: tuple[int, int] | None = None) -> bool:
        """Take a post made from a page with ``counter``: False when that page is out of date.

        What the resident sent is recorded (``said``, or the label of the button ``pressed``)
        before the turn runs, in a transaction of its own: if the turn then failed, the page
        would show the message without an answer, which is what happened. A ``counter`` of None
        takes the post whatever page it came from (an answer whose question token was checked).
        """
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            resident = await uow.residents.identify(CHANNEL, web_id, now=now)
            if counter is None:
                counter = (await uow.residents.last_inbound(CHANNEL, web_id) or 0) + 1
            if not await uow.residents.accept_inbound(CHANNEL, web_id, counter):
                return False
            if pressed is not None:
                item = await uow.outbox.get(pressed[0])
                buttons = (item.payload.get("buttons") or []) if item and item.address == web_id else []
                said = {"text": str(buttons[pressed[1]][1])} if 0 <= pressed[1] < len(buttons) else None
            elif said is not None and "text" in said:
                said = {**said, "text": masked(str(said["text"]))}
            if said is not None:
                await uow.outbox.add(resident_id=resident.id, channel=CHANNEL, address=web_id, kind=SAID,
                                     payload=said, at=now)
            await uow.commit()
        return True

    async def last_said(self, web_id: str) -> str | None:
        """The text of what the resident sent last (masked as the page shows it), or None."""
        async with self.database.unit_of_work() as uow:
            items = await uow.outbox.recent(CHANNEL, web_id, limit=self.kept)
        said = [i for i in items if i.kind == SAID and not i.payload.get("file")]
        return str(said[-1].payload.get("text", "")) if said else None

    async def view(self, web_id: str) -> View:
        """The page's messages; what it shows for the first time is marked sent, and the oldest
        items beyond ``kept`` are forgotten."""
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            resident = await uow.residents.find(CHANNEL, web_id)
            if resident is None:
                return View()
            items = await uow.outbox.recent(CHANNEL, web_id, limit=self.kept)
            prompt = await uow.residents.active_prompt(CHANNEL, web_id)
            counter = (await uow.residents.last_inbound(CHANNEL, web_id) or 0) + 1
            linked = tuple(sorted({c for c, _ in await uow.residents.identities(resident.id)
                                   if c in self.push_channels}))
            # Shown now: marked sent, which is the browser's "seen up to here" (answers held back
            # for the resident's word are not messages, and stay until they give it).
            fresh = {i.id for i in items if i.status == "pending" and i.kind not in HELD_KINDS}
            await uow.outbox.mark_sent({i: None for i in sorted(fresh)}, at=now)
            if len(items) >= self.kept:
                await uow.outbox.forget_before(CHANNEL, web_id, items[0].id, keep=prompt)
            await uow.commit()
        entries = _entries(items, prompt, fresh, self.sealed_texts)
        said = [i.created_at for i in items if i.kind == SAID]
        return View(tuple(entries[-self.shown:]), counter, resident.locale, True, linked, prompt,
                    said[-1] if said else None)


def _entries(items: list[OutboxItem], prompt: int | None, fresh: set[int], sealed_texts: SealedTexts | None = None
             ) -> list[Entry]:
    # Messages a button of which was pressed (the choice itself follows as the resident's message).
    pressed = {int(i.payload["edit_of"]) for i in items if i.kind == "edit" and "edit_of" in i.payload}
    entries: list[Entry] = []
    for item in items:
        payload = item.payload
        if item.kind == SAID:
            text = str(payload.get("text", ""))
            entries.append(Entry(item.id, True, SAID, f"📎 {text}" if payload.get("file") else text))
        elif item.kind == "message":
            buttons = payload.get("buttons") or []
            from_notice = any(callbacks.is_action(str(b[0])) for b in buttons)
            # Live: the question's buttons, or a notification's until one of them is pressed.
            live = item.id == prompt or (from_notice and item.id not in pressed)
            shown = tuple(Button(f"{item.id}:{n}", str(b[1]), bool(b[2])) for n, b in enumerate(buttons)) \
                if live else ()
            text = str(payload.get("text", ""))
            if item.id in fresh and payload.get("sealed_text") and sealed_texts is not None:
                text = sealed_texts.open(str(payload["sealed_text"])) or text  # shown in clear this once
            entries.append(Entry(
                item.id, False, str(payload.get("key", "")), text, bool(payload.get("html")),
                shown, item.id in fresh, bool(payload.get("request_contact")) and live,
            ))
    return entries

"""The path of one message, the same for every channel: load session → engine → save → act.

Every turn is one unit of work: the session, the turn log, a submitted application and a
request for a person commit together, before any reply is handed back to the channel. Side
paths (a caseworker's relay, ``/link``, volunteer commands, deep links, notification buttons,
task photos, a resident's words about their open case) are handlers tried in order before the
turn proper; the runner stores what one of them answered and commits, in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from backend.ports import DocumentMeta, OutboxItem, Resident, UnitOfWork
from bot import callbacks
from bot.channels import KEYBOARD_CHANNELS, PUSH_CHANNELS, SHOWS_HTML, push_identity
from bot.desk import EscalationDesk
from bot.linking import LinkCodes
from bot.outbound import Outbound
from bot.runner.context import Answered, Message, SideHandler, TurnOutput
from bot.runner.effects import Effects, SubmissionFailed
from bot.runner.handlers.buttons import NotificationButtons
from bot.runner.handlers.case_words import CaseWords
from bot.runner.handlers.desk_relay import DeskRelay
from bot.runner.handlers.link import Link
from bot.runner.handlers.offers import OfferList
from bot.runner.handlers.outreach_link import OutreachLink
from bot.runner.handlers.task_photo import TaskPhoto
from bot.runner.handlers.volunteer_commands import VolunteerCommands
from bot.runner.handlers.volunteer_home import PingWords, VolunteerHomeHandler
from bot.runner.inbound import accept_inbound, begin_turn
from bot.runner.rendering import Renderer
from bot.runner.replies import show_choice, store_replies, waiting_notices
from bot.runner.ticker import Ticker
from bot.runner.turn import Turns
from bot.runner.unseen import newest_seen_prompt, withdraw_reasked
from bot.services import Services
from flows import events as ev
from flows.intents import Intent, Reply
from flows.session import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Pressed:
    """What became of a button press: expired (nothing changed), or the turn's replies."""

    expired: bool
    replies: list[Outbound]


@dataclass(frozen=True, slots=True)
class Picked:
    """Typed text read as a press: the message whose option it names, the option's index, and
    the live prompt as the channel read it to decide (in the turn's unit of work: not read again)."""

    message_id: int
    index: int
    live: OutboxItem | None


# A channel's reading of typed text as the press of a button it showed (WeChat's numbered
# options), or None when it is an answer. Asked inside the turn's own unit of work, once the
# resident's earlier messages are through.
Pick = Callable[[UnitOfWork], Awaitable[Picked | None]]


class DocumentTooLarge(ValueError):
    """A document over the configured size limit; nothing was stored."""


class Conversations:
    """Runs the flows for residents of any channel, over the services the composition root built."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.database = services.store
        self.clock = services.clock
        self.storage = services.storage
        self.translations = services.translations
        self.html_translations = services.html_translations
        self.default_locale = services.default_locale
        self.max_document_bytes = services.max_document_bytes
        self.renderer = Renderer(services.translations, services.html_translations, services.sealed_texts)
        effects = Effects(services)
        self.turns = Turns(services.engines, effects, self.renderer)
        self.engine = self.turns.engine
        self._effects = effects
        self._ticker = Ticker(services, self.turns, effects, self.renderer)
        self._buttons = NotificationButtons(services, self.turns, self.renderer)
        # Tried in this order; the first that answers takes the message.
        self._side_handlers: tuple[SideHandler, ...] = (
            DeskRelay(services.desk, self.renderer),
            Link(services.links, self.turns, self.renderer, services.default_locale),
            VolunteerCommands(services.backend.ledger, self.renderer),
            OfferList(services.backend.projects, self.renderer),
            OutreachLink(services.backend.outreach, self._buttons),
            self._buttons,
            TaskPhoto(services.backend.volunteering, self.renderer),
            PingWords(services, self._buttons),
            CaseWords(services.backend.cases, self.turns, self.renderer, services.desk),
            VolunteerHomeHandler(services, self.turns, self.renderer, self._buttons),
        )

    @property
    def desk(self) -> EscalationDesk:
        """Caseworkers answering requests for a person, whom a channel's staff talk to."""
        return self.services.desk

    @property
    def links(self) -> LinkCodes:
        """The link codes a channel issues (``/link``)."""
        return self.services.links

    async def handle(
        self,
        channel: str,
        external_id: str,
        event: ev.Event,
        *,
        locale_hint: str | None = None,
        document: DocumentMeta | None = None,
        inbound_id: int | str | None = None,
        outbox: bool = False,
        html: bool = False,
        client_address: str | None = None,
        pick: Pick | None = None,
    ) -> list[Outbound]:
        """One resident message in, the replies out (after the turn is committed).

        A submission that fails undoes the turn and is answered in a turn of its own: the
        resident is told, and every answer is kept for them to try again.

        Args:
            inbound_id: the channel's id of the message; one already handled is ignored.
            outbox: store the replies in the outbox for a sender, in the turn's transaction.
            html: render message text for a channel that shows HTML (resident text escaped).
            client_address: where the message came from, when the channel knows it (the web chat);
                guesses of link codes are limited per address too.
            pick: reads the message as the press of a button the channel showed, if it is one: then
                it is answered as ``press`` would (in the same unit of work, so nothing is read twice).
        """
        picked: list[tuple[int, int]] = []
        try:
            return await self._handle(channel, external_id, event, locale_hint=locale_hint, document=document,
                                      inbound_id=inbound_id, outbox=outbox, html=html, client_address=client_address,
                                      pick=pick, picked=picked)
        except SubmissionFailed as failure:
            return await self._submission_failed(channel, external_id, failure.flow, locale_hint=locale_hint,
                                                 inbound_id=inbound_id, outbox=outbox or bool(picked), html=html,
                                                 pressed=picked[0] if picked else None)

    async def _handle(
        self, channel: str, external_id: str, event: ev.Event, *, locale_hint: str | None,
        document: DocumentMeta | None, inbound_id: int | str | None, outbox: bool, html: bool,
        client_address: str | None, pick: Pick | None, picked: list[tuple[int, int]],
    ) -> list[Outbound]:
        async with self.database.unit_of_work() as uow:
            await begin_turn(uow, channel, external_id, inbound_id)
            now = self.clock()  # after any wait for the resident's earlier message
            resident = await uow.residents.identify(channel, external_id, now=now)
            if inbound_id is not None and not await accept_inbound(uow, channel, external_id, inbound_id, now):
                log.info("turn %s: redelivered message ignored", channel)
                return []
            choice = await pick(uow) if pick is not None else None
            if choice is not None:
                picked.append((choice.message_id, choice.index))
                pressed = await self._pressed(uow, resident, channel, external_id, choice.message_id, choice.index,
                                              live=choice.live, now=now, locale_hint=locale_hint, html=html)
                return pressed.replies
            message = self._message(uow, resident, channel, external_id, event, now, locale_hint, document=document,
                                    html=html, client_address=client_address)
            answered = await self._side_path(message)
            if answered is None:
                out = TurnOutput()
                await self.turns.run(message, out, outbox=outbox)
                answered = Answered(out.replies, discarded=tuple(out.discarded))
            elif outbox:
                await store_replies(uow, answered.resident_id or resident.id, channel, external_id, answered.replies,
                                    message.now, live=answered.live, renderer=self.renderer)
            await uow.commit()
        self._remove_bytes(answered.discarded)
        return answered.replies

    async def _side_path(self, message: Message) -> Answered | None:
        for handler in self._side_handlers:
            answered = await handler(message)
            if answered is not None:
                return answered
        return None

    def _message(
        self, uow: UnitOfWork, resident: Resident, channel: str, external_id: str, event: ev.Event, now: datetime,
        locale_hint: str | None, *, document: DocumentMeta | None = None, html: bool = False,
        client_address: str | None = None,
    ) -> Message:
        return Message(uow, resident, channel, external_id, event, now,
                       resident.locale or locale_hint or self.default_locale, locale_hint, document, html,
                       client_address)

    async def catch_up(self, channel: str, external_id: str, *, outbox: bool = False, html: bool = False
                       ) -> list[Outbound]:
        """What waited for a returning resident on a channel that cannot push (status updates, a
        caseworker's messages), without a turn: a page of the web chat loaded, say.

        An identity never seen is not created. With ``outbox`` the notices are stored in the
        outbox, where a channel that redraws its transcript finds them (and their buttons).
        """
        if channel in PUSH_CHANNELS:
            return []
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            resident = await uow.residents.find(channel, external_id)
            if resident is None:
                return []
            locale = resident.locale or self.default_locale
            replies = await waiting_notices(uow, self.renderer, resident.id, channel, locale, html, now,
                                            any_waiting=resident.notices_waiting)
            if replies and outbox:
                await store_replies(uow, resident.id, channel, external_id, replies, now, live=False)
            await uow.commit()
        return replies

    async def press(
        self, channel: str, external_id: str, prompt_id: int, index: int, *, locale_hint: str | None = None,
        inbound_id: int | str | None = None, html: bool = False,
    ) -> Pressed:
        """A button of an outbox message pressed: valid only on the live prompt of this identity.

        A stale button, one from someone else's message or a forged one changes nothing. A
        submission that fails is answered as in ``handle``.
        """
        try:
            return await self._press(channel, external_id, prompt_id, index, locale_hint=locale_hint,
                                     inbound_id=inbound_id, html=html)
        except SubmissionFailed as failure:
            replies = await self._submission_failed(channel, external_id, failure.flow, locale_hint=locale_hint,
                                                    inbound_id=inbound_id, outbox=True, html=html,
                                                    pressed=(prompt_id, index))
            return Pressed(expired=False, replies=replies)

    async def _press(
        self, channel: str, external_id: str, prompt_id: int, index: int, *, locale_hint: str | None,
        inbound_id: int | str | None, html: bool,
    ) -> Pressed:
        async with self.database.unit_of_work() as uow:
            await begin_turn(uow, channel, external_id, inbound_id)
            now = self.clock()  # after any wait for the resident's earlier message
            resident = await uow.residents.identify(channel, external_id, now=now)
            if inbound_id is not None and not await accept_inbound(uow, channel, external_id, inbound_id, now):
                return Pressed(expired=False, replies=[])
            live = await uow.outbox.live_prompt(channel, external_id)
            return await self._pressed(uow, resident, channel, external_id, prompt_id, index, live=live, now=now,
                                       locale_hint=locale_hint, html=html)

    async def _pressed(
        self, uow: UnitOfWork, resident: Resident, channel: str, external_id: str, prompt_id: int, index: int, *,
        live: OutboxItem | None, now: datetime, locale_hint: str | None, html: bool,
    ) -> Pressed:
        """The press answered in the caller's unit of work, which it commits; ``live``: the live
        prompt, read in it."""
        out = TurnOutput()
        item = live if live is not None and live.id == prompt_id else None
        if item is None:
            # Not the conversation's live prompt: perhaps a notification's button (an offer, a
            # task, a rating, "reply now"), which stays valid on its own message.
            answered = await self._answer_button(uow, resident, channel, external_id, prompt_id, index, now,
                                                 locale_hint, html)
            if answered is not None:
                await uow.commit()
                self._remove_bytes(answered.discarded)
                return Pressed(expired=False, replies=answered.replies)
            # Or the newest question the resident has been sent, newer ones still unsent.
            seen = await newest_seen_prompt(uow, channel, external_id, prompt_id)
            if seen is not None and seen.answered:
                # Tapped again while the replies to its answer wait to be sent: they are the
                # answer to this tap too (a turn on it now would answer the next question).
                await uow.commit()
                return Pressed(expired=False, replies=[])
            if seen is not None and live is not None and live.id > prompt_id and live.status == "pending":
                # Asked again meanwhile (a reminder), not yet sent: this press answers it, and
                # the unseen copy is withdrawn rather than sent after the answer.
                await withdraw_reasked(uow, channel, external_id, prompt_id, live)
                item = seen.item
        buttons = item.payload.get("buttons", []) if item and item.address == external_id else []
        if not 0 <= index < len(buttons):
            await uow.commit()  # only the inbound cursor moved
            return Pressed(expired=True, replies=[])
        value, label, _ = buttons[index]
        # The live prompt pressed: the replies stored next set the live prompt (and none, below,
        # clears it), so it need stop being live first only where they look for it, on a
        # channel that keeps keyboards (they would take its buttons away a second time).
        clear = channel in KEYBOARD_CHANNELS if item is live else None
        await show_choice(uow, resident.id, channel, external_id, prompt_id, label, now, clear=clear)
        message = self._message(uow, resident, channel, external_id, ev.Choice(value), now, locale_hint,
                                html=html)
        await self.turns.run(message, out, outbox=True)
        if not out.replies:  # else storing them made the newest prompt the live one
            await uow.residents.set_active_prompt(channel, external_id, None)
        await uow.commit()
        self._remove_bytes(out.discarded)
        return Pressed(expired=False, replies=out.replies)

    async def _answer_button(
        self, uow: UnitOfWork, resident: Resident, channel: str, external_id: str, message_id: int, index: int,
        now: datetime, locale_hint: str | None, html: bool,
    ) -> Answered | None:
        """A button of a notification pressed: what it answered, or None when it is no button of theirs."""
        item = await uow.outbox.get(message_id)
        buttons = (item.payload.get("buttons") or []) if item and item.address == external_id else []
        if item is None or item.resident_id != resident.id or not 0 <= index < len(buttons):
            return None
        value, label = str(buttons[index][0]), buttons[index][1]
        action = callbacks.decode(value)
        if action is None:
            return None
        message = self._message(uow, resident, channel, external_id, ev.Choice(value), now, locale_hint, html=html)
        answered = await self._buttons.answer(message, action)
        if answered is None:
            return None
        await show_choice(uow, resident.id, channel, external_id, message_id, label, message.now)
        await store_replies(uow, resident.id, channel, external_id, answered.replies, message.now, live=answered.live,
                            renderer=self.renderer)
        return answered

    async def _submission_failed(
        self, channel: str, external_id: str, flow: str, *, locale_hint: str | None, inbound_id: int | str | None,
        outbox: bool, html: bool, pressed: tuple[int, int] | None = None,
    ) -> list[Outbound]:
        """Answer a resident whose submission failed; the failed turn has been rolled back.

        The session is as it was before they confirmed, at the summary with every answer; the
        engine says what happened and offers to try again. The message counts as handled, so
        a redelivery of it does not submit a second time behind the resident's back.
        """
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            # Its arrival was recorded by the failed turn; only the lock is taken again.
            await begin_turn(uow, channel, external_id, None)
            resident = await uow.residents.identify(channel, external_id, now=now)
            if inbound_id is not None:
                await accept_inbound(uow, channel, external_id, inbound_id, now)
            if pressed is not None:
                item = await uow.outbox.live_prompt(channel, external_id)
                buttons = item.payload.get("buttons", []) if item is not None and item.id == pressed[0] else []
                if 0 <= pressed[1] < len(buttons):
                    await show_choice(uow, resident.id, channel, external_id, pressed[0], buttons[pressed[1]][1], now)
            stored = await uow.sessions.load(resident.id, flow)
            intents: list[Intent] = []
            session = Session.from_dict(stored) if stored else None
            if session is not None:
                session, intents = self.turns.engines[flow].step(session, ev.SubmissionFailed(), now)
                await self._effects.act(uow, resident.id, session, intents, now, [])
            if not any(isinstance(intent, Reply) for intent in intents):
                # Not at the summary any more (another turn moved on): still, they hear of it.
                intents.append(Reply("submission.failed"))
            locale = (session.locale if session else None) or resident.locale or locale_hint or self.default_locale
            replies = self.render(intents, locale, html=html)
            if outbox:
                await store_replies(uow, resident.id, channel, external_id, replies, now, renderer=self.renderer)
            await uow.commit()
        log.info("turn %s: submission failed, the %s flow kept at %s", channel, flow,
                 session.state if session else None)
        return replies

    async def upload(
        self, channel: str, external_id: str, filename: str, mime: str, data: bytes, *,
        locale_hint: str | None = None, inbound_id: int | str | None = None, outbox: bool = False, html: bool = False,
        client_address: str | None = None,
    ) -> list[Outbound]:
        """Store a document's bytes, then hand the engine a ``FileUpload`` (the rest: as for ``handle``).

        Raises:
            DocumentTooLarge: over the size limit; nothing is stored.
            DocumentRefused: empty, or not a photo or PDF by its content; nothing is stored.
        """
        if len(data) > self.max_document_bytes:
            raise DocumentTooLarge(filename)
        # Kept as the type its bytes are: ``mime`` is only what the sender declared.
        key, digest, checked = self.storage.save(data)
        meta = DocumentMeta(self.services.new_id(), "", filename, checked, len(data), digest, key, self.clock())
        try:
            return await self.handle(channel, external_id, ev.FileUpload(meta.id, filename, len(data)),
                                     locale_hint=locale_hint, document=meta, inbound_id=inbound_id, outbox=outbox,
                                     html=html, client_address=client_address)
        except BaseException:
            self.storage.delete(key)  # the turn did not happen: keep no orphan bytes
            raise

    def render(self, intents: list[Intent], locale: str, *, html: bool = False) -> list[Outbound]:
        """Replies in the resident's language (``Renderer.render``)."""
        return self.renderer.render(intents, locale, html=html)

    def too_large(self, locale: str | None) -> list[Outbound]:
        """The reply to a document over the size limit."""
        mb = self.max_document_bytes / (1024 * 1024)
        return self.render_key("documents.too_large", {"max_mb": round(mb, 1)}, locale)

    def render_key(self, key: str, params: dict[str, object], locale: str | None) -> list[Outbound]:
        """A channel's own message (outside any turn) in the resident's language."""
        return self.render([Reply(key, params)], locale or self.default_locale)

    async def notice(
        self, channel: str, external_id: str, key: str, params: dict[str, object], *, locale_hint: str | None = None,
        html: bool = False,
    ) -> None:
        """Queue a channel's own message (a file too large, say) in the outbox, outside any turn."""
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            resident = await uow.residents.identify(channel, external_id, now=now)
            stored = await uow.sessions.load(resident.id, self.turns.flow)
            locale = _saved_locale(stored) or resident.locale or locale_hint or self.default_locale
            (reply,) = self.render([Reply(key, params)], locale, html=html)
            await uow.outbox.add(resident_id=resident.id, channel=channel, address=external_id, kind="message",
                                 payload=reply.to_payload(), at=now)
            await uow.commit()

    async def locale_of(self, channel: str, external_id: str, hint: str | None = None) -> str:
        """The language to answer this identity in outside a turn."""
        async with self.database.unit_of_work() as uow:
            resident = await uow.residents.identify(channel, external_id, now=self.clock())
            stored = await uow.sessions.load(resident.id, self.turns.flow)
            await uow.commit()
        return _saved_locale(stored) or resident.locale or hint or self.default_locale

    async def resume(self, resident_id: str) -> None:
        """Back to the flow after a conversation with a caseworker: ask again where they were
        (residents on a channel that can push; the others continue at their next message)."""
        async with self.database.unit_of_work() as uow:
            push = push_identity(await uow.residents.identities(resident_id))
            stored = await uow.sessions.load(resident_id, self.turns.flow)
        if push is None or stored is None or Session.from_dict(stored).final:
            return
        await self.handle(*push, ev.Command("start"), outbox=True,
                          html=self.html_translations is not None and push[0] in SHOWS_HTML)

    async def tick(self) -> list[tuple[str, list[Outbound]]]:
        """Reminders and expiry notices that have come due (``Ticker.tick``)."""
        return await self._ticker.tick()

    def _remove_bytes(self, documents: tuple[DocumentMeta, ...] | list[DocumentMeta]) -> None:
        for document in documents:
            self.storage.delete(document.storage_key)


def _saved_locale(snapshot: Mapping[str, object] | None) -> str | None:
    """The language a saved conversation chose, if any (the snapshot is decoded JSON)."""
    locale = (snapshot or {}).get("locale")
    return locale if isinstance(locale, str) else None

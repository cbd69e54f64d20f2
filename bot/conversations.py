"""The path of one message, the same for every channel: load session → engine → save → act.

Every turn is one unit of work: the session, the turn log, a submitted application and a
request for a person commit together, before any reply is handed back to the channel.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from backend.cases.lifecycle import CaseStatus
from backend.cases.notices import notice_key, render_notice
from backend.cases.offers import OFFER_BUTTON, answer_offer, parse_button
from backend.cases.service import REPLY_BUTTON, CaseService
from backend.documents import FileDocumentStorage
from backend.intake import Duplicate, Intake
from backend.monitoring.outreach import APPLY_BUTTON, Outreach
from backend.points.ledger import Ledger
from backend.policy.projects import Project
from backend.policy.services import ServiceCatalogue
from backend.ports import DocumentMeta, Resident, UnitOfWork
from backend.volunteers.service import RATE_BUTTON, TASK_BUTTON, Volunteering
from bot import linking, volunteer_commands
from flows import events as ev
from flows.engine import Engine
from flows.intake import prefill
from flows.intents import (
    AttachDocuments,
    DiscardData,
    Effect,
    Intent,
    LookupOpenApplication,
    LookupStatus,
    Reply,
    RequestHuman,
    ScheduleReminder,
    SetLocale,
    SetOffers,
    SubmitApplication,
)
from flows.session import Session
from locales import Translations

log = logging.getLogger(__name__)

# Deep links (``/start PAYLOAD``) that open a flow other than the intake.
DEEP_LINKS = {"volunteer": "volunteer"}
REPLY_FLOW = "reply"
# Values of buttons that come with notifications rather than with a question.
NOTIFICATION_BUTTONS = (OFFER_BUTTON, REPLY_BUTTON, f"{TASK_BUTTON}:", f"{RATE_BUTTON}:", APPLY_BUTTON)

# Channels that can reach a resident who is not writing, most preferred first: notifications go
# to these by the dispatcher, and wait for the resident's next message on any other.
PUSH_CHANNELS: tuple[str, ...] = ("telegram",)
# Channels that cannot push but keep a transcript the resident reads when they come back (the
# web chat): the worker's reminders for a resident with no push channel are stored there.
TRANSCRIPT_CHANNELS: tuple[str, ...] = ("web",)


def _push_identity(identities: list[tuple[str, str]]) -> tuple[str, str] | None:
    """Of a resident's identities (newest first), the one to push to, or None."""
    pushable = [i for i in identities if i[0] in PUSH_CHANNELS]
    return min(pushable, key=lambda i: PUSH_CHANNELS.index(i[0])) if pushable else None


def _transcript_identity(identities: list[tuple[str, str]]) -> tuple[str, str] | None:
    """Of a resident's identities (newest first), the newest that keeps a transcript, or None."""
    return next((i for i in identities if i[0] in TRANSCRIPT_CHANNELS), None)


@dataclass(frozen=True, slots=True)
class Button:
    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True, slots=True)
class Outbound:
    """A reply rendered for the resident, ready for a channel to present."""

    key: str
    text: str
    buttons: tuple[Button, ...] = ()
    request_contact: bool = False
    free_text: bool = False
    html: bool = False
    contact_label: str = ""

    def to_payload(self) -> dict[str, Any]:
        """As stored in the outbox."""
        return {
            "key": self.key,
            "text": self.text,
            "html": self.html,
            "buttons": [[b.value, b.label, b.selected] for b in self.buttons],
            "request_contact": self.request_contact,
            "free_text": self.free_text,
            "contact_label": self.contact_label,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "Outbound":
        return cls(
            payload["key"],
            payload["text"],
            tuple(Button(v, label, bool(sel)) for v, label, sel in payload.get("buttons", ())),
            bool(payload.get("request_contact")),
            bool(payload.get("free_text")),
            bool(payload.get("html")),
            payload.get("contact_label", ""),
        )


@dataclass(frozen=True, slots=True)
class Pressed:
    """What became of a button press: expired (nothing changed), or the turn's replies."""

    expired: bool
    replies: list[Outbound]


class DocumentTooLarge(ValueError):
    """A document over the configured size limit; nothing was stored."""


class Store(Protocol):
    """What the conversation runner needs of a database: a unit of work per turn."""

    def unit_of_work(self) -> UnitOfWork: ...


class Conversations:
    """Runs the intake engine for residents of any channel.

    Args:
        database: gives a unit of work per turn.
        engine: the intake flow's engine.
        intake: the backend's intake service.
        translations: message catalogs.
        storage: where document bytes go.
        clock: the current time (aware).
        new_id: ids for documents.
        default_locale: for residents whose language is not known yet.
        max_document_bytes: the largest document accepted.
        html_translations: catalogs rendering HTML-escaped text, for channels that show HTML.
    """

    def __init__(
        self,
        *,
        database: Store,
        engine: Engine,
        intake: Intake,
        translations: Translations,
        storage: FileDocumentStorage,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        default_locale: str = "zh_CN",
        max_document_bytes: int = 10 * 1024 * 1024,
        html_translations: Translations | None = None,
        flows: tuple[Engine, ...] = (),
    ) -> None:
        self.database = database
        self.engine = engine
        # Every flow by name: the intake (the default) and the flows started from outside it.
        self.engines = {e.flow.name: e for e in (engine, *flows)}
        self.intake = intake
        self.translations = translations
        self.storage = storage
        self.clock = clock
        self.new_id = new_id
        self.default_locale = default_locale
        self.max_document_bytes = max_document_bytes
        self.html_translations = html_translations
        self.flow = engine.flow.name
        # The escalation desk (bot/desk.py), when caseworkers answer requests for a person in chat.
        self.desk: Any = None
        # The policy pack's charity projects, whose offers residents answer with a button.
        self.projects: tuple[Project, ...] = ()
        # Volunteer services offered, volunteering (tasks, check-ins), points and case replies.
        self.services: ServiceCatalogue | None = None
        self.volunteering: Volunteering | None = None
        self.ledger: Ledger | None = None
        self.cases: CaseService | None = None
        # Applications pre-filled for households that monitoring found (backend/monitoring/outreach.py).
        self.outreach: Outreach | None = None
        # One-time codes that link another channel's identity to a resident (``/link CODE``).
        self.links: linking.LinkCodes | None = None

    async def handle(
        self,
        channel: str,
        external_id: str,
        event: ev.Event,
        *,
        locale_hint: str | None = None,
        document: DocumentMeta | None = None,
        inbound_id: int | None = None,
        outbox: bool = False,
        html: bool = False,
        client_address: str | None = None,
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
        """
        try:
            return await self._handle(channel, external_id, event, locale_hint=locale_hint, document=document,
                                      inbound_id=inbound_id, outbox=outbox, html=html, client_address=client_address)
        except _SubmissionFailed as failure:
            return await self._submission_failed(channel, external_id, failure.flow, locale_hint=locale_hint,
                                                 inbound_id=inbound_id, outbox=outbox, html=html)

    async def _handle(
        self,
        channel: str,
        external_id: str,
        event: ev.Event,
        *,
        locale_hint: str | None,
        document: DocumentMeta | None,
        inbound_id: int | None,
        outbox: bool,
        html: bool,
        client_address: str | None,
    ) -> list[Outbound]:
        now = self.clock()
        turn = _TurnOutput()
        async with self.database.unit_of_work() as uow:
            resident = await uow.residents.identify(channel, external_id, now=now)
            if inbound_id is not None and not await uow.residents.accept_inbound(channel, external_id, inbound_id):
                log.info("turn %s: redelivered message ignored", channel)
                return []
            if resident.talking_to is not None and isinstance(event, ev.Text) and self.desk is not None:
                # A caseworker holds their request for a person: the message is for the caseworker.
                await self.desk.relay_from_resident(uow, resident.talking_to, resident.id, event.text, now)
                locale = resident.locale or locale_hint or self.default_locale
                turn.replies = await self._waiting_notices(uow, resident.id, channel, locale, html, now)
                if outbox:
                    await self._store_replies(uow, resident.id, channel, external_id, turn.replies, now)
                await uow.commit()
                return turn.replies
            if isinstance(event, ev.Command) and event.name.lower() in linking.COMMANDS and self.links is not None:
                await self._link(uow, resident, channel, external_id, event, now, locale_hint, outbox, html, turn,
                                 client_address)
                await uow.commit()
                self._remove_bytes(turn.discarded)
                return turn.replies
            if isinstance(event, ev.Command) and event.name.lower() in volunteer_commands.COMMANDS and self.ledger:
                said = await volunteer_commands.answer(uow, resident.id, event, self.ledger, now=now)
                turn.replies = self.render([said], resident.locale or locale_hint or self.default_locale, html=html)
                if outbox:
                    await self._store_replies(uow, resident.id, channel, external_id, turn.replies, now, live=False)
                await uow.commit()
                return turn.replies
            if isinstance(event, ev.Command) and event.name.lower() == "start" and self.outreach is not None:
                # A caseworker's link (/start apply-…) from a home visit: bound, and as if pressed.
                alert = self.outreach.parse_link(event.arg.strip())
                if alert is not None and await self.outreach.bind_by_link(uow, resident.id, alert):
                    event = ev.Choice(f"{APPLY_BUTTON}{alert}")
            if isinstance(event, ev.Choice) and event.value.startswith(NOTIFICATION_BUTTONS):
                # A notification's button chosen where buttons are typed (the terminal).
                answered = await self._notification_button(uow, resident, channel, external_id, event.value, now,
                                                           locale_hint, html, turn)
                if answered is not None:
                    turn.replies, started = answered
                    if outbox:
                        await self._store_replies(uow, resident.id, channel, external_id, turn.replies, now,
                                                  live=started)
                    await uow.commit()
                    return turn.replies
            if document is not None and await self._task_photo(uow, resident, document, now):
                locale = resident.locale or locale_hint or self.default_locale
                turn.replies = self.render([Reply("task.photo_added")], locale, html=html)
                if outbox:
                    await self._store_replies(uow, resident.id, channel, external_id, turn.replies, now, live=False)
                await uow.commit()
                return turn.replies
            await self._turn(uow, resident, channel, external_id, event, now, turn, locale_hint, document, outbox, html)
            await uow.commit()
        self._remove_bytes(turn.discarded)
        return turn.replies

    async def _link(
        self, uow: UnitOfWork, resident: Resident, channel: str, external_id: str, command: ev.Command,
        now: datetime, locale_hint: str | None, outbox: bool, html: bool, turn: "_TurnOutput",
        client_address: str | None = None,
    ) -> None:
        """``/link CODE``: this identity joins the resident the code was issued to, who then carries
        on here where they were (a channel that can push also gets what waited for them)."""
        assert self.links is not None
        linked = await self.links.redeem(uow, resident, channel, external_id, command, now=now,
                                         address=client_address)
        turn.discarded += linked.discarded
        owner = await uow.residents.get(linked.resident_id) if linked.resident_id else None
        locale = (owner.locale if owner else None) or resident.locale or locale_hint or self.default_locale
        turn.replies = self.render([linked.reply], locale, html=html)
        resumed = False
        if owner is not None:
            if channel in PUSH_CHANNELS:
                await uow.notifications.requeue_waiting(owner.id)
            flow = owner.active_flow if owner.active_flow in self.engines else self.flow
            stored = await uow.sessions.load(owner.id, flow)
            session = Session.from_dict(stored) if stored else None
            if session is not None and not session.final and session.state != "new":
                more = _TurnOutput()
                await self._turn(uow, owner, channel, external_id, ev.Command("start"), now, more, locale_hint,
                                 None, False, html)
                turn.replies += more.replies
                turn.discarded += more.discarded
                resumed = True
        if outbox:
            await self._store_replies(uow, (owner or resident).id, channel, external_id, turn.replies, now,
                                      live=resumed)

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
            replies = await self._waiting_notices(uow, resident.id, channel, locale, html, now)
            if replies and outbox:
                await self._store_replies(uow, resident.id, channel, external_id, replies, now, live=False)
            await uow.commit()
        return replies

    async def press(
        self,
        channel: str,
        external_id: str,
        prompt_id: int,
        index: int,
        *,
        locale_hint: str | None = None,
        inbound_id: int | None = None,
        html: bool = False,
    ) -> Pressed:
        """A button of an outbox message pressed: valid only on the live prompt of this identity.

        A stale button, one from someone else's message or a forged one changes nothing. A
        submission that fails is answered as in ``handle``.
        """
        try:
            return await self._press(channel, external_id, prompt_id, index, locale_hint=locale_hint,
                                     inbound_id=inbound_id, html=html)
        except _SubmissionFailed as failure:
            replies = await self._submission_failed(channel, external_id, failure.flow, locale_hint=locale_hint,
                                                    inbound_id=inbound_id, outbox=True, html=html,
                                                    pressed=(prompt_id, index))
            return Pressed(expired=False, replies=replies)

    async def _press(
        self, channel: str, external_id: str, prompt_id: int, index: int, *, locale_hint: str | None,
        inbound_id: int | None, html: bool,
    ) -> Pressed:
        now = self.clock()
        turn = _TurnOutput()
        async with self.database.unit_of_work() as uow:
            resident = await uow.residents.identify(channel, external_id, now=now)
            if inbound_id is not None and not await uow.residents.accept_inbound(channel, external_id, inbound_id):
                return Pressed(expired=False, replies=[])
            item = await uow.outbox.live_prompt(channel, external_id)
            if item is None or item.id != prompt_id:
                item = None
                # Not the conversation's live prompt: perhaps a notification's button (an offer, a
                # task, a rating, "reply now"), which stays valid on its own message.
                answered = await self._answer_button(uow, resident, channel, external_id, prompt_id, index, now,
                                                     locale_hint, html, turn)
                if answered is not None:
                    await uow.commit()
                    return Pressed(expired=False, replies=answered)
            buttons = item.payload.get("buttons", []) if item and item.address == external_id else []
            if not 0 <= index < len(buttons):
                await uow.commit()  # only the inbound cursor moved
                return Pressed(expired=True, replies=[])
            value, label, _ = buttons[index]
            await _show_choice(uow, resident.id, channel, external_id, prompt_id, label, now)
            await self._turn(
                uow, resident, channel, external_id, ev.Choice(value), now, turn, locale_hint, None, True, html
            )
            if not turn.replies:  # else storing them made the newest prompt the live one
                await uow.residents.set_active_prompt(channel, external_id, None)
            await uow.commit()
        self._remove_bytes(turn.discarded)
        return Pressed(expired=False, replies=turn.replies)

    async def _submission_failed(
        self, channel: str, external_id: str, flow: str, *, locale_hint: str | None, inbound_id: int | None,
        outbox: bool, html: bool, pressed: tuple[int, int] | None = None,
    ) -> list[Outbound]:
        """Answer a resident whose submission failed; the failed turn has been rolled back.

        The session is as it was before they confirmed, at the summary with every answer; the
        engine says what happened and offers to try again. The message counts as handled, so
        a redelivery of it does not submit a second time behind the resident's back.
        """
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            resident = await uow.residents.identify(channel, external_id, now=now)
            if inbound_id is not None:
                await uow.residents.accept_inbound(channel, external_id, inbound_id)
            if pressed is not None:
                item = await uow.outbox.live_prompt(channel, external_id)
                buttons = item.payload.get("buttons", []) if item is not None and item.id == pressed[0] else []
                if 0 <= pressed[1] < len(buttons):
                    await _show_choice(uow, resident.id, channel, external_id, pressed[0], buttons[pressed[1]][1], now)
            stored = await uow.sessions.load(resident.id, flow)
            intents: list[Intent] = []
            session = Session.from_dict(stored) if stored else None
            if session is not None:
                session, intents = self.engines[flow].step(session, ev.SubmissionFailed(), now)
                await self._act(uow, resident.id, session, intents, now, [])
            if not any(isinstance(intent, Reply) for intent in intents):
                # Not at the summary any more (another turn moved on): still, they hear of it.
                intents.append(Reply("submission.failed"))
            locale = (session.locale if session else None) or resident.locale or locale_hint or self.default_locale
            replies = self.render(intents, locale, html=html)
            if outbox:
                await self._store_replies(uow, resident.id, channel, external_id, replies, now)
            await uow.commit()
        log.info("turn %s: submission failed, the %s flow kept at %s", channel, flow,
                 session.state if session else None)
        return replies

    async def _turn(
        self,
        uow: UnitOfWork,
        resident: Resident,
        channel: str,
        external_id: str,
        event: ev.Event,
        now: datetime,
        turn: "_TurnOutput",
        locale_hint: str | None,
        document: DocumentMeta | None,
        outbox: bool,
        html: bool,
        flow: str | None = None,
        preset: "Preset | None" = None,
    ) -> None:
        """Load, step, run effects, save and log: everything of a turn but the commit.

        Args:
            flow: the flow to run (default: the one the resident is in, or the one a deep link opens).
            preset: what a new session of ``flow`` starts with (a reply's application number, an
                application the office filled in).
        """
        if resident.unreachable:
            # They wrote again, so they can be reached again: send what was kept for them.
            await uow.residents.set_unreachable(resident.id, False)
            await uow.outbox.release(channel, external_id)
        if document is not None:
            await uow.documents.add(
                DocumentMeta(
                    document.id,
                    resident.id,
                    document.filename,
                    document.mime,
                    document.size,
                    document.sha256,
                    document.storage_key,
                    now,
                )
            )
        flow = flow or self._flow_for(resident, event)
        if flow != (resident.active_flow or self.flow):
            await uow.residents.set_active_flow(resident.id, None if flow == self.flow else flow)
        engine = self.engines[flow]
        stored = None if preset is not None else await uow.sessions.load(resident.id, flow)
        if stored:
            session = Session.from_dict(stored)
        else:
            preset = preset or Preset()
            session = engine.new_session(now, resident.locale or locale_hint, answers=preset.answers,
                                         members=preset.members, confirm=preset.confirm)
            if resident.locale is None and locale_hint:
                # The channel's language stands until they choose one: notifications use it too.
                await uow.residents.set_locale(resident.id, locale_hint)
        before = session.state
        session, intents = engine.step(session, event, now)
        session, intents = await self._run_effects(uow, resident.id, engine, session, intents, now)
        locale = session.locale or resident.locale or locale_hint or self.default_locale
        await self._act(uow, resident.id, session, intents, now, turn.discarded)
        if flow != self.flow and session.final:
            intents += await self._back_to_intake(uow, resident.id, now, turn)
        await uow.sessions.record_turn(
            resident.id,
            flow,
            turn=session.turns,
            state_before=before,
            state_after=session.state,
            event_kind=ev.kind_of(event),
            at=now,
        )
        turn.replies = await self._waiting_notices(uow, resident.id, channel, locale, html, now)
        turn.replies += self.render(intents, locale, html=html)
        if outbox:
            await self._store_replies(uow, resident.id, channel, external_id, turn.replies, now)
        log.info("turn %s %s: %s -> %s", channel, ev.kind_of(event), before, session.state)

    def _flow_for(self, resident: Resident, event: ev.Event) -> str:
        """The flow a message goes to: one a deep link opens, else the one the resident is in."""
        if isinstance(event, ev.Command) and event.name.lower() == "start" and event.arg.strip() in DEEP_LINKS:
            linked = DEEP_LINKS[event.arg.strip()]
            if linked in self.engines:
                return linked
        return resident.active_flow if resident.active_flow in self.engines else self.flow

    async def _back_to_intake(self, uow: UnitOfWork, resident_id: str, now: datetime, turn: "_TurnOutput") -> list[Intent]:
        """Another flow ended: the intake takes their messages again, at the question they were at."""
        await uow.residents.set_active_flow(resident_id, None)
        stored = await uow.sessions.load(resident_id, self.flow)
        if stored is None:
            return []
        session = Session.from_dict(stored)
        if session.final or session.state == "new":
            return []
        session, intents = self.engine.step(session, ev.Command("start"), now)
        await self._act(uow, resident_id, session, intents, now, turn.discarded)
        return intents

    async def _answer_button(
        self, uow: UnitOfWork, resident: Resident, channel: str, external_id: str, message_id: int, index: int,
        now: datetime, locale_hint: str | None, html: bool, turn: "_TurnOutput",
    ) -> list[Outbound] | None:
        """A button of a notification pressed: the replies, or None when it is no button of theirs."""
        item = await uow.outbox.get(message_id)
        buttons = (item.payload.get("buttons") or []) if item and item.address == external_id else []
        if item is None or item.resident_id != resident.id or not 0 <= index < len(buttons):
            return None
        value, label = str(buttons[index][0]), buttons[index][1]
        answered = await self._notification_button(uow, resident, channel, external_id, value, now, locale_hint,
                                                   html, turn)
        if answered is None:
            return None
        replies, started = answered
        await _show_choice(uow, resident.id, channel, external_id, message_id, label, now)
        await self._store_replies(uow, resident.id, channel, external_id, replies, now, live=started)
        return replies

    async def _notification_button(
        self, uow: UnitOfWork, resident: Resident, channel: str, external_id: str, value: str, now: datetime,
        locale_hint: str | None, html: bool, turn: "_TurnOutput",
    ) -> tuple[list[Outbound], bool] | None:
        """An offer, task, rating or "reply now" button, pressed on Telegram or chosen in the terminal:
        the replies, and whether a flow started (its question is then the live prompt); None when
        the button is not one of the resident's. Every handler checks that, so a forged value
        changes nothing."""
        locale = resident.locale or locale_hint or self.default_locale
        start: tuple[str, Preset | None] | None = None
        answer: Any = None
        if value.startswith(OFFER_BUTTON) and (parsed := parse_button(value)) is not None:
            answer = await answer_offer(uow, self.projects, resident_id=resident.id, offer_id=parsed[0],
                                        accepted=parsed[1], now=now, services=self.services,
                                        volunteering=self.volunteering)
            if answer is not None and answer.start_flow in self.engines:
                start = (answer.start_flow, None)
        elif value.startswith(REPLY_BUTTON):
            number = value[len(REPLY_BUTTON):]
            case = await uow.cases.get(number)
            if case is None or case.resident_id != resident.id or REPLY_FLOW not in self.engines:
                return None
            if case.status is CaseStatus.INFO_REQUESTED:
                start = (REPLY_FLOW, Preset({"number": number}))
            else:
                answer = Reply("reply.not_needed", {"number": number})
        elif value.startswith(APPLY_BUTTON) and value[len(APPLY_BUTTON):].isdigit() and self.outreach is not None:
            known = await self.outreach.prefill(uow, resident.id, int(value[len(APPLY_BUTTON):]))
            if known is None:
                return None
            answers, members = prefill(known.household, name=known.name, id_number=known.id_number,
                                       office=known.office, district=known.district, member_ids=known.member_ids)
            answer = Reply("outreach.prefilled")
            start = (self.flow, Preset(answers, tuple(members), confirm=True))
        elif self.volunteering is not None:
            answer = await self.volunteering.press(uow, resident.id, value, now=now)
        if answer is None and start is None:
            return None
        replies = self.render([Reply(answer.key, answer.params)], locale, html=html) if answer is not None else []
        if start is not None:
            await self._turn(uow, resident, channel, external_id, ev.Command("start"), now, turn, locale_hint, None,
                             False, html, flow=start[0], preset=start[1])
            replies += turn.replies
        return replies, start is not None

    async def _task_photo(self, uow: UnitOfWork, resident: Resident, document: DocumentMeta, now: datetime) -> bool:
        """A volunteer's photo right after checking in joins that task, not any application."""
        if self.volunteering is None or resident.active_flow is not None:
            return False
        if await self.volunteering.attach_photo(uow, resident.id, document.id, now=now) is None:
            return False
        await uow.documents.add(DocumentMeta(document.id, resident.id, document.filename, document.mime, document.size,
                                             document.sha256, document.storage_key, now))
        return True

    async def _waiting_notices(
        self, uow: UnitOfWork, resident_id: str, channel: str, locale: str, html: bool, now: datetime
    ) -> list[Outbound]:
        """Status updates that could not be pushed to this resident, shown now that they write.

        Channels that can push get them from the dispatcher instead; they are not looked up."""
        if channel in PUSH_CHANNELS:
            return []
        notices = await uow.notifications.waiting(resident_id)
        translations = self.html_translations if html and self.html_translations else self.translations
        messages = translations(locale)
        shown = []
        labels = self.translations(locale)
        for notice in notices:
            buttons = tuple(Button(value, labels.render(label)) for value, label in notice.params.get("buttons", ()))
            shown.append(Outbound(key=notice_key(notice.kind), text=render_notice(notice, messages), buttons=buttons,
                                  html=html))
            await uow.notifications.mark(notice.id, status="shown", at=now)
        return shown

    async def _store_replies(
        self, uow: UnitOfWork, resident_id: str, channel: str, address: str, replies: list[Outbound], now: datetime,
        *, live: bool = True,
    ) -> None:
        """Queue the replies; the last one with buttons becomes the live prompt (unless ``live`` is
        False: replies on the side leave the question the resident is at live)."""
        prompt: int | None = None
        for reply in replies:
            item = await uow.outbox.add(
                resident_id=resident_id,
                channel=channel,
                address=address,
                kind="message",
                payload=reply.to_payload(),
                at=now,
            )
            # A notification's buttons stay valid on their own message and never answer the
            # question (they are shown with a turn's replies where notices wait for the resident).
            if (reply.buttons and not _from_a_notification(reply)) or reply.request_contact:
                prompt = item
        if replies and live:
            await uow.residents.set_active_prompt(channel, address, prompt)

    async def upload(
        self,
        channel: str,
        external_id: str,
        filename: str,
        mime: str,
        data: bytes,
        *,
        locale_hint: str | None = None,
        **turn: Any,
    ) -> list[Outbound]:
        """Store a document's bytes, then hand the engine a ``FileUpload`` (``turn``: as for ``handle``).

        Raises:
            DocumentTooLarge: over the size limit; nothing is stored.
            DocumentRefused: empty, or not a photo or PDF by its content; nothing is stored.
        """
        if len(data) > self.max_document_bytes:
            raise DocumentTooLarge(filename)
        # Kept as the type its bytes are: ``mime`` is only what the sender declared.
        key, digest, checked = self.storage.save(data)
        meta = DocumentMeta(self.new_id(), "", filename, checked, len(data), digest, key, self.clock())
        try:
            return await self.handle(
                channel,
                external_id,
                ev.FileUpload(meta.id, filename, len(data)),
                locale_hint=locale_hint,
                document=meta,
                **turn,
            )
        except BaseException:
            self.storage.delete(key)  # the turn did not happen: keep no orphan bytes
            raise

    def too_large(self, locale: str | None) -> list[Outbound]:
        """The reply to a document over the size limit."""
        mb = self.max_document_bytes / (1024 * 1024)
        return self.render_key("documents.too_large", {"max_mb": round(mb, 1)}, locale)

    def render_key(self, key: str, params: dict, locale: str | None) -> list[Outbound]:
        """A channel's own message (outside any turn) in the resident's language."""
        return self.render([Reply(key, params)], locale or self.default_locale)

    async def notice(
        self, channel: str, external_id: str, key: str, params: dict[str, Any], *, locale_hint: str | None = None,
        html: bool = False,
    ) -> None:
        """Queue a channel's own message (a file too large, say) in the outbox, outside any turn."""
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            resident = await uow.residents.identify(channel, external_id, now=now)
            stored = await uow.sessions.load(resident.id, self.flow)
            locale = (stored or {}).get("locale") or resident.locale or locale_hint or self.default_locale
            (reply,) = self.render([Reply(key, params)], locale, html=html)
            await uow.outbox.add(
                resident_id=resident.id, channel=channel, address=external_id, kind="message",
                payload=reply.to_payload(), at=now,
            )
            await uow.commit()

    async def locale_of(self, channel: str, external_id: str, hint: str | None = None) -> str:
        """The language to answer this identity in outside a turn."""
        async with self.database.unit_of_work() as uow:
            resident = await uow.residents.identify(channel, external_id, now=self.clock())
            stored = await uow.sessions.load(resident.id, self.flow)
            await uow.commit()
        return (stored or {}).get("locale") or resident.locale or hint or self.default_locale

    async def resume(self, resident_id: str) -> None:
        """Back to the flow after a conversation with a caseworker: ask again where they were
        (residents on a channel that can push; the others continue at their next message)."""
        async with self.database.unit_of_work() as uow:
            push = _push_identity(await uow.residents.identities(resident_id))
            stored = await uow.sessions.load(resident_id, self.flow)
        if push is None or stored is None or Session.from_dict(stored).final:
            return
        await self.handle(*push, ev.Command("start"), outbox=True, html=self.html_translations is not None)

    async def tick(self) -> list[tuple[str, list[Outbound]]]:
        """Reminders and expiry notices that have come due.

        Residents reachable on a channel that can push get them through its outbox, in the
        transaction that records them as sent, and so do those on a channel that keeps a
        transcript (the web chat) for their return; the others' are returned, as (resident id,
        replies), for a channel that shows them (the terminal) to present.
        """
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            due = await uow.sessions.due(now)
        kept: list[tuple[str, list[Outbound]]] = []
        for item in due:
            engine = self.engines.get(item.flow)
            if engine is None:
                continue
            discarded: list[DocumentMeta] = []
            async with self.database.unit_of_work() as uow:
                stored = await uow.sessions.load(item.resident_id, item.flow)
                if stored is None:
                    continue
                resident = await uow.residents.get(item.resident_id)
                session, intents = engine.step(Session.from_dict(stored), ev.Tick(), now)
                await self._act(uow, item.resident_id, session, intents, now, discarded)
                if item.flow != self.flow and session.final and resident and resident.active_flow == item.flow:
                    await uow.residents.set_active_flow(item.resident_id, None)
                locale = session.locale or (resident.locale if resident else None) or self.default_locale
                identities = await uow.residents.identities(item.resident_id)
                # Pushed, or kept in a transcript for the resident's return, or handed back.
                target = _push_identity(identities) or _transcript_identity(identities)
                html = target is not None and self.html_translations is not None
                replies = self.render(intents, locale, html=html)
                if target is not None and replies:
                    await self._store_replies(uow, item.resident_id, *target, replies, now)
                await uow.commit()
            self._remove_bytes(discarded)
            if target is None and replies:
                kept.append((item.resident_id, replies))
        return kept

    # ------------------------------------------------------------------ internals

    async def _run_effects(
        self, uow: UnitOfWork, resident_id: str, engine: Engine, session: Session, intents: list[Intent], now: datetime
    ) -> tuple[Session, list[Intent]]:
        """Execute effects and feed their results back until only plain intents are left."""
        done: list[Intent] = []
        queue = list(intents)
        while queue:
            intent = queue.pop(0)
            if not isinstance(intent, Effect):
                done.append(intent)
                continue
            result = await self._execute(uow, resident_id, session.flow, intent, now)
            session, more = engine.step(session, result, now)
            queue = more + queue
        return session, done

    async def _execute(self, uow: UnitOfWork, resident_id: str, flow: str, effect: Effect, now: datetime) -> ev.Event:
        try:
            return await self._carry_out(uow, resident_id, flow, effect, now)
        except Exception as error:
            if not isinstance(effect, SubmitApplication):
                raise
            # Refused by the contract, a database error, the API down in split mode: the turn is
            # undone and the resident answered (``handle``). The error's text may quote the
            # application (a driver's SQL parameters), so only its kind and place are logged.
            log.error("submission failed in the %s flow: %s", flow, _described(error))
            raise _SubmissionFailed(flow) from None

    async def _carry_out(self, uow: UnitOfWork, resident_id: str, flow: str, effect: Effect, now: datetime) -> ev.Event:
        if isinstance(effect, SubmitApplication) and flow != self.flow:
            return await self._submit_other(uow, resident_id, flow, effect, now)
        if isinstance(effect, LookupOpenApplication):
            found = await self.intake.find_open(uow, list(effect.id_numbers))
            return ev.OpenApplicationFound(found.number, found.status) if found else ev.NoOpenApplication()
        if isinstance(effect, SubmitApplication):
            outcome = await self.intake.submit(
                uow, effect.payload, resident_id=resident_id, document_ids=list(effect.document_ids), now=now
            )
            if isinstance(outcome, Duplicate):
                return ev.OpenApplicationFound(outcome.existing.number, outcome.existing.status)
            return ev.ApplicationSubmitted(outcome.application.number, outcome.review_by.isoformat())
        if isinstance(effect, LookupStatus):
            found = await uow.applications.list_for_resident(resident_id)
            return ev.StatusListed(
                tuple(
                    {"number": a.number, "status": str(a.status), "submitted_at": a.submitted_at.isoformat(), "office": a.office}
                    for a in found
                )
            )
        raise TypeError(f"unknown effect {effect!r}")

    async def _submit_other(
        self, uow: UnitOfWork, resident_id: str, flow: str, effect: SubmitApplication, now: datetime
    ) -> ev.Event:
        """What a flow other than the intake submits: a volunteer's registration, a reply to a caseworker."""
        if flow == DEEP_LINKS["volunteer"] and self.volunteering is not None:
            volunteer = await self.volunteering.register(uow, resident_id, effect.payload, now=now)
            return ev.ApplicationSubmitted(str(volunteer.id), now.date().isoformat())
        if flow == REPLY_FLOW and self.cases is not None:
            number = str(effect.payload["number"])
            await self.cases.resident_replied(uow, resident_id, number, str(effect.payload["answer"]),
                                              list(effect.document_ids), now=now)
            return ev.ApplicationSubmitted(number, now.date().isoformat())
        raise TypeError(f"nothing takes what the {flow} flow submits")

    async def _act(
        self,
        uow: UnitOfWork,
        resident_id: str,
        session: Session,
        intents: list[Intent],
        now: datetime,
        discarded: list[DocumentMeta],
    ) -> None:
        """Write what the intents ask for into the turn's unit of work."""
        remind_at = expire_at = None
        for intent in intents:
            if isinstance(intent, ScheduleReminder):
                remind_at = _parse(intent.remind_at)
                expire_at = _parse(intent.expire_at)
            elif isinstance(intent, SetLocale):
                await uow.residents.set_locale(resident_id, intent.locale)
            elif isinstance(intent, SetOffers):
                await uow.residents.set_offers(resident_id, intent.enabled)
            elif isinstance(intent, RequestHuman):
                if self.desk is not None:
                    office = session.answers.get("office")
                    await self.desk.open(uow, resident_id, reason=intent.reason, step=intent.step,
                                         office=office if isinstance(office, str) else None, now=now)
                else:
                    await uow.escalations.add(resident_id, reason=intent.reason, step=intent.step, at=now)
            elif isinstance(intent, DiscardData):
                discarded += await uow.documents.delete(list(intent.document_ids))
            elif isinstance(intent, AttachDocuments):
                await uow.documents.attach(list(intent.document_ids), intent.number)
        await uow.sessions.save(
            resident_id,
            session.flow,
            session.to_dict(),
            state=session.state,
            updated_at=now,
            remind_at=remind_at,
            expire_at=expire_at,
        )

    def _remove_bytes(self, documents: list[DocumentMeta]) -> None:
        for document in documents:
            self.storage.delete(document.storage_key)

    def render(self, intents: list[Intent], locale: str, *, html: bool = False) -> list[Outbound]:
        """Replies in the resident's language; a language change applies from the reply that follows it.

        With ``html``, message text is rendered with every parameter escaped; button labels
        are always plain text.
        """
        out: list[Outbound] = []
        texts = self.html_translations if html and self.html_translations else self.translations
        for intent in intents:
            if isinstance(intent, SetLocale):
                locale = intent.locale
            if not isinstance(intent, Reply):
                continue
            labels = self.translations(locale)
            buttons = tuple(Button(o.value, labels.render(o.key, **o.params), o.selected) for o in intent.options)
            text = texts(locale).render(intent.key, **intent.params)
            contact = labels.render("common.share_contact") if intent.request_contact else ""
            out.append(Outbound(intent.key, text, buttons, intent.request_contact, intent.free_text, html, contact))
        return out


@dataclass(frozen=True, slots=True)
class Preset:
    """What a flow started from outside begins with: answers it is given, and members; with
    ``confirm``, an application filled in for the resident to check answer by answer."""

    answers: dict[str, Any] = field(default_factory=dict)
    members: tuple[dict[str, Any], ...] = ()
    confirm: bool = False


@dataclass
class _TurnOutput:
    replies: list[Outbound] = field(default_factory=list)
    discarded: list[DocumentMeta] = field(default_factory=list)


class _SubmissionFailed(Exception):
    """A submission effect raised; the turn is abandoned and answered apart."""

    def __init__(self, flow: str) -> None:
        super().__init__(flow)
        self.flow = flow


async def _show_choice(uow: UnitOfWork, resident_id: str, channel: str, external_id: str, message_id: int,
                       label: str, now: datetime) -> None:
    """The pressed message is edited to show the choice, without its buttons."""
    await uow.outbox.add(resident_id=resident_id, channel=channel, address=external_id, kind="edit",
                         payload={"edit_of": message_id, "chosen": label}, at=now)


def _described(error: Exception) -> str:
    """An error's kind and where it was raised, and for a refused contract the fields: never its values."""
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    # The innermost frame of the project's own code says where; a library's says little.
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "site-packages" not in f.filename] or frames
    where = f" at {ours[-1].filename}:{ours[-1].lineno}" if ours else ""
    if isinstance(error, ValidationError):
        fields = ", ".join(
            f"{'.'.join(map(str, e['loc']))} ({e['type']})"
            for e in error.errors(include_url=False, include_context=False, include_input=False)
        )
        return f"{kind}{where}: {fields}"
    return f"{kind}{where}"


def _from_a_notification(reply: Outbound) -> bool:
    return any(b.value.startswith(NOTIFICATION_BUTTONS) for b in reply.buttons)


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


"""The escalation desk: a person when a person is needed.

A request for a person (``/human``, repeated invalid answers, an urgent need, crisis words)
becomes a ticket of the resident's street office. The office's on-duty caseworkers who are on
Telegram get a copy with a Claim button; the first to press it wins, and the others' copies
change to say who claimed it. While claimed, the resident's messages go to the caseworker and
the caseworker's to the resident; the caseworker's ``/close NOTE`` ends it and the resident
goes back to where they were. A ticket nobody claims in time (10 minutes, 2 for an urgent one)
is sent to the office's supervisors. Every message of a ticket is kept with it.

A request made before the resident chose an office waits in the city-level queue: supervisors
(of every office) get the copies and the late reminder, and no office's caseworker sees or claims
it. Once the resident names their office, the worker's next pass (or their next request for a
person) moves it, still unclaimed, to that office's queue and pings its caseworkers.

Messages to staff go through the Telegram outbox like residents' replies (with no resident);
messages to the resident are notifications, delivered in their language by the dispatcher, or
shown at their next message on a channel that cannot push.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from backend.cases.ports import Role, User
from backend.ports import Escalation, EscalationScope, Store, UnitOfWork
from backend.store.outbox import OutboxItem
from bot.outbound import Button, Outbound
from flows.intake import INTAKE
from flows.session import Session
from locales import Translations

log = logging.getLogger(__name__)

CHANNEL = "telegram"
URGENT_REASONS = frozenset({"crisis_words", "urgent_need"})
CLAIM = "claim:"


class EscalationDesk:
    def __init__(
        self,
        database: Store[UnitOfWork],
        *,
        translations: Translations,
        clock: Callable[[], datetime],
        staff_locale: str = "zh_CN",
        claim_within: timedelta = timedelta(minutes=10),
        urgent_claim_within: timedelta = timedelta(minutes=2),
        staff_refresh: float = 30.0,
    ) -> None:
        self.database = database
        self.messages = translations(staff_locale)  # HTML-escaping catalogs: staff read Telegram
        self.clock = clock
        self.claim_within, self.urgent_claim_within = claim_within, urgent_claim_within
        self._staff: dict[str, User] = {}
        self._staff_loaded = -1e9
        self._staff_refresh = staff_refresh

    # ------------------------------------------------------------------ resident side (in a turn)

    async def open(self, uow: UnitOfWork, resident_id: str, *, reason: str, step: str, office: str | None,
                   now: datetime) -> None:
        """Record the request and ping the office's on-duty caseworkers (with no office yet, the
        supervisors), unless one is already open; an open one of the city-level queue moves to
        the office now known."""
        already = await uow.escalations.open_for(resident_id)
        if already:
            if office is not None:
                for ticket in already:
                    await self._route(uow, ticket, office, now)
            return
        ticket = await uow.escalations.add(
            resident_id, reason=reason, step=step, at=now, office=office, urgent=reason in URGENT_REASONS
        )
        for user in await self._responders(uow, office):
            await self._ping(uow, ticket, user, now)

    async def relay_from_resident(self, uow: UnitOfWork, ticket_id: int, resident_id: str, text: str,
                                  now: datetime) -> None:
        """A resident's message while a caseworker holds their ticket: to the caseworker."""
        ticket = await uow.escalations.get(ticket_id)
        if ticket is None or ticket.claimed_by is None:
            return
        await uow.escalations.add_message(ticket.id, sender="resident", author=resident_id, body=text, at=now)
        holder = await uow.users.get(ticket.claimed_by)
        if holder is not None and holder.telegram_id:
            await self._to_staff(uow, holder, "desk.from_resident", {"id": ticket.id, "text": text}, now)

    # ------------------------------------------------------------------ staff side

    async def staff(self, telegram_id: str) -> User | None:
        """The active member of staff behind a Telegram chat (kept for a short while)."""
        if time.monotonic() - self._staff_loaded > self._staff_refresh:
            async with self.database.unit_of_work() as uow:
                users = await uow.users.list()
            self._staff = {u.telegram_id: u for u in users if u.telegram_id and u.active}
            self._staff_loaded = time.monotonic()
        return self._staff.get(telegram_id)

    async def press(self, user: User, outbox_id: int, index: int) -> str:
        """A button of a ping pressed: claim the ticket. The answer shown on the button."""
        async with self.database.unit_of_work() as uow:
            item = await uow.outbox.get(outbox_id)
        buttons = (item.payload.get("buttons") or []) if item else []
        if item is None or item.address != user.telegram_id or index >= len(buttons) \
                or not str(buttons[index][0]).startswith(CLAIM):
            return self.messages.render("channel.button_expired")
        return await self.claim(user, int(str(buttons[index][0])[len(CLAIM):]))

    async def claim(self, user: User, ticket_id: int) -> str:
        """Take a request for a person (first claim wins): the answer for the caseworker."""
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            scope = EscalationScope.of(user)
            ticket = await uow.escalations.visible(ticket_id, scope)
            if ticket is None:
                return self.messages.render("channel.button_expired")
            if not await uow.escalations.claim(ticket_id, user.username, scope=scope, at=now):
                taken = await uow.escalations.get(ticket_id)
                return self.messages.render("desk.already_claimed", by=(taken and taken.claimed_by) or "-")
            await uow.residents.set_talking_to(ticket.resident_id, ticket.id)
            for username, ping in await uow.escalations.pings(ticket.id):
                copy = await uow.outbox.get(ping)
                if copy is None:
                    continue
                chosen = self.messages.render(
                    "desk.claimed_by_you" if username == user.username else "desk.claimed_by", by=user.display_name
                )
                await uow.outbox.add(resident_id=None, channel=CHANNEL, address=copy.address, kind="edit",
                                     payload={"edit_of": ping, "chosen": chosen}, at=now)
            await uow.notifications.add(resident_id=ticket.resident_id, application_number=None,
                                        kind="escalation_claimed", params={"caseworker": user.display_name},
                                        at=now, urgent=True)
            await self._to_staff(uow, user, "desk.claimed", {"id": ticket.id, "step": ticket.step}, now)
            await uow.commit()
        return self.messages.render("desk.claimed_answer", id=ticket_id)

    async def from_staff(self, user: User, text: str, *, ticket_id: int | None = None) -> bool:
        """A caseworker's message: to the resident of the ticket they hold (``ticket_id``: that one,
        as the console names it), or how to get one. Whether it went to a resident."""
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            ticket = await self._held(uow, user, ticket_id)
            if ticket is None:
                await self._to_staff(uow, user, "desk.no_ticket", {}, now)
            else:
                await uow.escalations.add_message(ticket.id, sender="staff", author=user.username, body=text, at=now)
                await uow.notifications.add(resident_id=ticket.resident_id, application_number=None,
                                            kind="escalation_reply",
                                            params={"caseworker": user.display_name, "text": text}, at=now,
                                            urgent=True)
            await uow.commit()
        return ticket is not None

    async def close(self, user: User, note: str, *, ticket_id: int | None = None) -> str | None:
        """``/close NOTE``: end the ticket the caseworker holds (``ticket_id``: that one). The
        resident's id, or None."""
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            ticket = await self._held(uow, user, ticket_id)
            if ticket is None:
                await self._to_staff(uow, user, "desk.no_ticket", {}, now)
                await uow.commit()
                return None
            await uow.escalations.close(ticket.id, note=note, at=now)
            if note:
                await uow.escalations.add_message(ticket.id, sender="staff", author=user.username, body=note, at=now)
            await uow.residents.set_talking_to(ticket.resident_id, None)
            await uow.notifications.add(resident_id=ticket.resident_id, application_number=None,
                                        kind="escalation_closed", params={"caseworker": user.display_name},
                                        at=now, urgent=True)
            await self._to_staff(uow, user, "desk.closed", {"id": ticket.id}, now)
            await uow.commit()
        return ticket.resident_id

    async def delivery_failed(self, item: OutboxItem) -> None:
        """A message a resident never got: tell the supervisors and on-duty caseworkers of the
        office of their latest application, so that someone reaches them another way."""
        if item.resident_id is None or item.kind not in ("message", "document"):
            return
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            applications = await uow.applications.list_for_resident(item.resident_id)
            office = applications[0].office if applications else None
            staff = [u for u in await uow.users.list(office) if u.active and u.telegram_id
                     and (u.role is Role.SUPERVISOR or (u.role is Role.CASEWORKER and u.on_duty))] if office else []
            for user in staff:
                await self._to_staff(uow, user, "desk.delivery_failed",
                                     {"number": applications[0].number, "what": item.payload.get("key", "")}, now)
            await uow.commit()
        if not staff:
            log.warning("a message to a resident was given up and no caseworker could be told (office %s)", office)

    # ------------------------------------------------------------------ worker

    async def escalate_unclaimed(self) -> int:
        """Move city-level tickets to the office their resident has since chosen, then ping the
        supervisors of tickets nobody claimed in time (the city's: every office's supervisors);
        how many tickets were late."""
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            for ticket in await uow.escalations.without_office():
                stored = await uow.sessions.load(ticket.resident_id, INTAKE.name)
                office = Session.from_dict(stored).answers.get("office") if stored else None
                if isinstance(office, str) and office:
                    await self._route(uow, ticket, office, now)
            late = await uow.escalations.unclaimed(
                created_before=now - self.claim_within, urgent_created_before=now - self.urgent_claim_within
            )
            for ticket in late:
                supervisors = await self._supervisors(uow, ticket.office)
                for user in supervisors:
                    await self._ping(uow, ticket, user, now, late=True)
                await uow.escalations.mark_supervisor_pinged(ticket.id, at=now)
                if not supervisors:
                    log.warning("request for a person %s is unclaimed and no supervisor of its queue is on Telegram",
                                ticket.id)
            await uow.commit()
        return len(late)

    # ------------------------------------------------------------------ internals

    @staticmethod
    async def _held(uow: UnitOfWork, user: User, ticket_id: int | None) -> Escalation | None:
        """The ticket this caseworker holds: the one named, or their latest."""
        if ticket_id is None:
            return await uow.escalations.claimed_by(user.username)
        ticket = await uow.escalations.get(ticket_id)
        if ticket is None or ticket.status != "claimed" or ticket.claimed_by != user.username:
            return None
        return ticket

    async def _route(self, uow: UnitOfWork, ticket: Escalation, office: str, now: datetime) -> None:
        """A city-level ticket still open goes to the office the resident chose; its caseworkers are pinged."""
        if ticket.office is not None or not await uow.escalations.route(ticket.id, office):
            return
        moved = await uow.escalations.get(ticket.id)
        assert moved is not None
        for user in await self._responders(uow, office):
            await self._ping(uow, moved, user, now)

    async def _responders(self, uow: UnitOfWork, office: str | None) -> list[User]:
        """Who is pinged: the office's on-duty caseworkers on Telegram, else all its caseworkers on
        Telegram; with no office known yet, the supervisors on Telegram (the city-level queue is theirs)."""
        if office is None:
            return await self._supervisors(uow, None)
        users = [u for u in await uow.users.list(office) if u.role is Role.CASEWORKER and u.active and u.telegram_id]
        return [u for u in users if u.on_duty] or users

    @staticmethod
    async def _supervisors(uow: UnitOfWork, office: str | None) -> list[User]:
        """The supervisors on Telegram who answer a queue: an office's, or (None) every office's,
        for the city-level queue."""
        return [u for u in await uow.users.list(office) if u.role is Role.SUPERVISOR and u.active and u.telegram_id]

    async def _ping(self, uow: UnitOfWork, ticket: Escalation, user: User, now: datetime, *,
                    late: bool = False) -> None:
        text = self.messages.render(
            "desk.ping",
            id=ticket.id,
            reason=ticket.reason,
            step=ticket.step,
            office=ticket.office or self.messages.render("citydesk.city_queue"),
            urgent=ticket.urgent,
            late=late,
        )
        claim = Button(f"{CLAIM}{ticket.id}", self.messages.render("desk.claim"))
        outbox_id = await uow.outbox.add(
            resident_id=None, channel=CHANNEL, address=str(user.telegram_id), kind="message",
            payload=Outbound(key="desk.ping", text=text, buttons=(claim,), html=True).to_payload(), at=now,
        )
        await uow.escalations.add_ping(ticket.id, username=user.username, outbox_id=outbox_id)

    async def tell(self, user: User, key: str, params: dict[str, object]) -> None:
        """A message to a member of staff in their chat (the answer to one of their commands)."""
        now = self.clock()
        async with self.database.unit_of_work() as uow:
            await self._to_staff(uow, user, key, params, now)
            await uow.commit()

    async def _to_staff(self, uow: UnitOfWork, user: User, key: str, params: dict[str, object], now: datetime) -> None:
        if user.telegram_id is None:
            return  # a caseworker at the terminal reads the ticket there (bot/terminal_desk.py)
        text = self.messages.render(key, **params)
        await uow.outbox.add(
            resident_id=None, channel=CHANNEL, address=str(user.telegram_id), kind="message",
            payload=Outbound(key=key, text=text, html=True).to_payload(), at=now,
        )


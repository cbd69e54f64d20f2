"""The notification dispatcher: status updates into the outbox of the resident's channel.

Each pass claims pending notifications (on PostgreSQL with ``SKIP LOCKED``, so several
dispatchers never take the same one), renders each in the resident's language and queues it in
the outbox of a channel that can push (Telegram), in one transaction: a crash before the commit
leaves them pending, a crash after it leaves them queued, never both. The channel's sender then
delivers with its own retries and flood limits.

- Quiet hours: outside them everything goes; inside them only urgent notifications (an
  emergency case, or a volunteer's task ping: the volunteering service holds that one until the
  volunteer's own stated hours, which stand in for the residents' rule); the rest stay pending
  until the morning.
- A notification held until a time (the offers' digest, a while after the receipt) is not
  claimed before then.
- Unsolicited messages (offers, outreach, broadcasts: ``backend/delivery/pacing.py``) are counted
  per resident and day where they live; one over the pack's daily cap is held until the next
  day, never dropped. Status updates of the resident's own case are never counted nor held, and
  carry a button that lists the resident's open offers while there are any.
- An offers' digest whose offers were all answered (or expired) before it went is superseded.
- Several updates of one application in the same pass: the resident is told where the case
  stands now, so only the newest is sent and the others are marked superseded.
- A resident with no channel that can push (the terminal) gets the notification when they next
  write: it waits for them.
- An honour certificate is drawn here, in the resident's language, and its bytes put in the
  document storage; the outbox item (kind "document") names them, and the channel's sender
  uploads them with the congratulation as the caption. Without a storage the congratulation
  goes as a plain message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from backend.cases.ports import DueNotification, Notification
from backend.delivery.pacing import DIGEST_KIND, UNSOLICITED_KINDS, Pacing, day_start, next_day
from backend.documents import FileDocumentStorage
from backend.points import certificates
from backend.policy.pack import Pack
from backend.ports import Store, UnitOfWork
from backend.quiet_hours import QuietHours
from backend.store.notifications import NoticeMark
from backend.store.outbox import NewItem
from bot.channels import PUSH_CHANNELS
from bot.outbound import Outbound, notice_outbound, with_offers_button
from locales import DEFAULT_LOCALE, Translations

log = logging.getLogger(__name__)

# Outbox priorities: replies to residents who are chatting (0) go before status updates, which go
# before broadcasts.
UPDATE_PRIORITY, BROADCAST_PRIORITY = 1, 2
BROADCAST = "broadcast"
# Channels that show HTML.
HTML_CHANNELS = frozenset({"telegram"})


@dataclass(frozen=True, slots=True)
class Pass:
    queued: int
    superseded: int
    waiting: int
    held: int = 0  # unsolicited, over the day's cap: pending again from the next day

    @property
    def claimed(self) -> int:
        return self.queued + self.superseded + self.waiting + self.held


class NotificationDispatcher:
    def __init__(
        self,
        database: Store[UnitOfWork],
        *,
        translations: Translations,
        html_translations: Translations,
        quiet: QuietHours,
        clock: Callable[[], datetime],
        batch: int = 200,
        default_locale: str = DEFAULT_LOCALE,
        storage: FileDocumentStorage | None = None,
        pack: Pack | None = None,
    ) -> None:
        self._database = database
        self._plain, self._html = translations, html_translations
        self._quiet = quiet
        self._clock = clock
        self._batch = batch
        self._default_locale = default_locale
        # Where drawn certificates go for the sender to upload; None sends their notice as text.
        self._storage = storage
        # The daily cap of unsolicited messages, a dated parameter of the pack.
        self._pack = pack

    async def run_once(self) -> Pass:
        """One batch, one transaction."""
        now = self._clock()
        zone = self._quiet.zone
        cap = Pacing.of(self._pack, now.astimezone(zone).date()).daily_cap
        queued = superseded = waiting = held = 0
        stored: list[str] = []  # certificates drawn in this pass: removed again if it does not commit
        committed = False
        try:
            async with self._database.unit_of_work() as uow:
                due = await uow.notifications.claim(
                    channels=PUSH_CHANNELS, urgent_only=self._quiet.contains(now), limit=self._batch, now=now
                )
                newest = _newest_per_application(due)
                unsolicited = {i.notification.resident_id for i in due if i.notification.kind in UNSOLICITED_KINDS}
                sent_today = await uow.notifications.dispatched_since(unsolicited, UNSOLICITED_KINDS,
                                                                      since=day_start(now, zone))
                # "Your offers" goes under news of the case, not under a caseworker's words: whose
                # offers are open is asked once for the pass.
                with_offers = await uow.offers.with_open_offers(
                    {i.notification.resident_id for i in due if _news_of_a_case(i.notification)}, now=now)
                # Queued and marked together at the end of the pass.
                marks: list[NoticeMark] = []
                outbound: list[NewItem] = []
                queued_notes: list[int] = []
                for item in due:
                    note = item.notification
                    # The resident's own case's news, or an emergency: never counted nor held.
                    solicited = note.kind not in UNSOLICITED_KINDS or note.urgent
                    stale = note.kind not in NOT_A_STATUS and newest.get(note.application_number) not in (
                        None, note.id)
                    if stale or (note.kind == DIGEST_KIND and not await self._any_open(uow, item, now)):
                        marks.append((note.id, "superseded", None))
                        superseded += 1
                    elif not solicited and sent_today.get(note.resident_id, 0) >= cap:
                        await uow.notifications.hold(note.id, until=next_day(now, zone))
                        held += 1
                    elif item.channel is None or item.address is None:
                        marks.append((note.id, "waiting", None))
                        waiting += 1
                        sent_today[note.resident_id] = sent_today.get(note.resident_id, 0) + (not solicited)
                    else:
                        sent_today[note.resident_id] = sent_today.get(note.resident_id, 0) + (not solicited)
                        offers = _news_of_a_case(note) and note.resident_id in with_offers
                        kind, payload = self._outbound(item, stored, offers=offers)
                        outbound.append(NewItem(
                            resident_id=note.resident_id,
                            channel=item.channel,
                            address=item.address,
                            kind=kind,
                            payload=payload,
                            priority=BROADCAST_PRIORITY if note.kind == BROADCAST else UPDATE_PRIORITY,
                        ))
                        queued_notes.append(note.id)
                # Queued in the order claimed, which is the order they are sent in.
                outbox_ids = await uow.outbox.add_many(outbound, at=now)
                marks += [(note, "queued", outbox_id) for note, outbox_id in zip(queued_notes, outbox_ids, strict=True)]
                queued = len(outbox_ids)
                await uow.notifications.mark_many(marks, at=now)
                await uow.commit()
                committed = True
        finally:
            if not committed:
                for key in stored:
                    self._forget(key)
        result = Pass(queued, superseded, waiting, held)
        if result.claimed:
            log.info("dispatched notifications: %d queued, %d superseded, %d waiting, %d held for tomorrow",
                     queued, superseded, waiting, held)
        return result

    async def drain(self) -> Pass:
        """Passes until nothing is claimed; the totals."""
        total = Pass(0, 0, 0)
        while True:
            one = await self.run_once()
            if not one.claimed:
                return total
            total = Pass(total.queued + one.queued, total.superseded + one.superseded, total.waiting + one.waiting,
                         total.held + one.held)

    @staticmethod
    async def _any_open(uow: UnitOfWork, item: DueNotification, now: datetime) -> bool:
        """Whether any offer the digest lists is still open (else there is nothing to send)."""
        listed = set(item.notification.params.get("offer_ids") or ())
        return any(o.id in listed for o in await uow.offers.open_for(item.notification.resident_id, now=now))

    def _outbound(self, item: DueNotification, stored: list[str], *, offers: bool = False
                  ) -> tuple[str, dict[str, object]]:
        """The outbox item's kind and payload; with ``offers``, a button that lists the open offers."""
        if item.notification.kind == certificates.KIND and self._storage is not None:
            return "document", self._certificate(item, stored)
        rendered = self._render(item)
        if offers:
            rendered = with_offers_button(rendered, self._plain(item.locale or self._default_locale))
        return "message", rendered.to_payload()

    def _certificate(self, item: DueNotification, stored: list[str]) -> dict[str, object]:
        """Draw the certificate in the resident's language and keep its bytes for the sender."""
        assert self._storage is not None
        note = item.notification
        params = note.params
        issued_on = date.fromisoformat(params["issued_on"])
        serial = certificates.certificate_serial(params["certificate_id"], issued_on)
        locale = item.locale or self._default_locale
        svg = certificates.render_certificate(
            self._plain(locale),  # the template escapes on its own: plain text, not HTML
            name=params["name"],
            hours=Decimal(params["hours"]),
            milestone=params["milestone"],
            issued_on=issued_on,
            serial=serial,
            city=params.get("city"),
        )
        key, _ = self._storage.keep(svg)  # drawn here: not a resident's upload to check
        stored.append(key)
        caption = self._render(item)
        return {
            "key": caption.key,
            "storage_key": key,
            "filename": certificates.certificate_filename(params["milestone"], serial),
            "mime": certificates.MIME,
            "caption": caption.text,
            "html": caption.html,
        }

    def _forget(self, key: str) -> None:
        assert self._storage is not None
        try:
            self._storage.delete(key)
        except OSError:
            log.warning("could not remove a certificate of a pass that failed (%s)", key)

    def _render(self, item: DueNotification) -> Outbound:
        html = item.channel in HTML_CHANNELS
        messages = (self._html if html else self._plain)(item.locale or self._default_locale)
        # An offer's Accept/Not now, a task's Accept/Decline, a rating's stars, a request for
        # information's "Reply now": the notification names the actions, the chat encodes them.
        return notice_outbound(item.notification, messages, messages, html=html)

# A caseworker's message says something of its own, not where the case stands: it is always
# delivered, and never makes a status update of the same pass superseded.
NOT_A_STATUS = frozenset({"message"})


def _news_of_a_case(note: Notification) -> bool:
    return note.application_number is not None and note.kind not in NOT_A_STATUS


def _newest_per_application(due: list[DueNotification]) -> dict[str | None, int]:
    newest: dict[str | None, int] = {}
    for item in due:
        note = item.notification
        if note.application_number is not None and note.kind not in NOT_A_STATUS:
            newest[note.application_number] = max(newest.get(note.application_number, 0), note.id)
    return newest

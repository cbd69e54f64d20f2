"""The notification dispatcher: status updates into the outbox of the resident's channel.

Each pass claims pending notifications (on PostgreSQL with ``SKIP LOCKED``, so several
dispatchers never take the same one), renders each in the resident's language and queues it in
the outbox of a channel that can push (Telegram), in one transaction: a crash before the commit
leaves them pending, a crash after it leaves them queued, never both. The channel's sender then
delivers with its own retries and flood limits.

- Quiet hours: outside them everything goes; inside them only urgent notifications (an
  emergency case); the rest stay pending until the morning.
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
from typing import Any

from backend.cases.ports import DueNotification
from backend.delivery.quiet import QuietHours
from backend.documents import FileDocumentStorage
from backend.points import certificates
from backend.ports import Store, UnitOfWork
from bot.channels import PUSH_CHANNELS
from bot.outbound import Outbound, notice_outbound
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

    @property
    def claimed(self) -> int:
        return self.queued + self.superseded + self.waiting


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
    ) -> None:
        self._database = database
        self._plain, self._html = translations, html_translations
        self._quiet = quiet
        self._clock = clock
        self._batch = batch
        self._default_locale = default_locale
        # Where drawn certificates go for the sender to upload; None sends their notice as text.
        self._storage = storage

    async def run_once(self) -> Pass:
        """One batch, one transaction."""
        now = self._clock()
        queued = superseded = waiting = 0
        stored: list[str] = []  # certificates drawn in this pass: removed again if it does not commit
        committed = False
        try:
            async with self._database.unit_of_work() as uow:
                due = await uow.notifications.claim(
                    channels=PUSH_CHANNELS, urgent_only=self._quiet.contains(now), limit=self._batch
                )
                newest = _newest_per_application(due)
                for item in due:
                    note = item.notification
                    if note.kind not in NOT_A_STATUS and newest.get(note.application_number) not in (None, note.id):
                        await uow.notifications.mark(note.id, status="superseded", at=now)
                        superseded += 1
                    elif item.channel is None or item.address is None:
                        await uow.notifications.mark(note.id, status="waiting", at=now)
                        waiting += 1
                    else:
                        kind, payload = self._outbound(item, stored)
                        outbox_id = await uow.outbox.add(
                            resident_id=note.resident_id,
                            channel=item.channel,
                            address=item.address,
                            kind=kind,
                            payload=payload,
                            at=now,
                            priority=BROADCAST_PRIORITY if note.kind == BROADCAST else UPDATE_PRIORITY,
                        )
                        await uow.notifications.mark(note.id, status="queued", at=now, outbox_id=outbox_id)
                        queued += 1
                await uow.commit()
                committed = True
        finally:
            if not committed:
                for key in stored:
                    self._forget(key)
        result = Pass(queued, superseded, waiting)
        if result.claimed:
            log.info("dispatched notifications: %d queued, %d superseded, %d waiting", queued, superseded, waiting)
        return result

    async def drain(self) -> Pass:
        """Passes until nothing is claimed; the totals."""
        total = Pass(0, 0, 0)
        while True:
            one = await self.run_once()
            if not one.claimed:
                return total
            total = Pass(total.queued + one.queued, total.superseded + one.superseded, total.waiting + one.waiting)

    def _outbound(self, item: DueNotification, stored: list[str]) -> tuple[str, dict[str, Any]]:
        """The outbox item's kind and payload."""
        if item.notification.kind == certificates.KIND and self._storage is not None:
            return "document", self._certificate(item, stored)
        return "message", self._render(item).to_payload()

    def _certificate(self, item: DueNotification, stored: list[str]) -> dict[str, Any]:
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


def _newest_per_application(due: list[DueNotification]) -> dict[str | None, int]:
    newest: dict[str | None, int] = {}
    for item in due:
        note = item.notification
        if note.application_number is not None and note.kind not in NOT_A_STATUS:
            newest[note.application_number] = max(newest.get(note.application_number, 0), note.id)
    return newest

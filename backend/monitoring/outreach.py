"""Outreach (主动发现): a household whose situation worsened is told it may be eligible.

For every alert not followed up yet, the household's person bound to the chat (the head first)
gets a message in their language, outside quiet hours (the dispatcher's rules), with a button
that opens an application already filled in from the registry: each answer is shown for them to
confirm or correct. A household with nobody in the chat is listed for a home visit instead; the
caseworker who visits can hand the head of the household a deep link (``/start apply-…``, from
``yimen monitor link ALERT``) that binds their new chat to the household and opens the same
application. The link carries a signature, so it cannot be made up for another household.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from backend.buttons import ApplyPrefilled, button
from backend.crypto import keyed_hash, prefixed_key, signature_ok
from backend.monitoring.outreach_ports import OutreachUnitOfWork
from backend.policy.pack import Pack

LINK_PREFIX = "apply-"
SENT, VISIT = "sent", "visit"


@dataclass(frozen=True, slots=True)
class Prefill:
    """What the office knows of a household, for the chat to turn into intake answers."""

    # Personal data stays out of the printed form, which a log line or a traceback may show.
    household: dict[str, object] = field(repr=False)
    name: str = field(repr=False)
    id_number: str = field(repr=False)
    office: str
    district: str | None
    member_ids: tuple[str | None, ...] = field(repr=False)


class Outreach:
    """Args:
        pack: the policy pack (the region tree).
        decrypt: turns a stored ID number cipher back into the number (the registry's vault).
        secret: the installation's secret key, which signs deep links.
    """

    def __init__(self, pack: Pack, decrypt: Callable[[str], str], secret: bytes) -> None:
        self._pack = pack
        self._decrypt = decrypt
        self._link_key = prefixed_key(secret, b"yimen outreach link\0")

    def link(self, alert_id: int) -> str:
        """The deep-link payload of an alert's application (Telegram allows 64 characters)."""
        return f"{LINK_PREFIX}{alert_id}-{self._sign(alert_id)}"

    def parse_link(self, payload: str) -> int | None:
        """The alert a deep-link payload names, when its signature is ours."""
        head, _, signature = payload.removeprefix(LINK_PREFIX).partition("-")
        if not payload.startswith(LINK_PREFIX) or not head.isdigit():
            return None
        return int(head) if signature_ok(self._sign(int(head)), signature) else None

    def _sign(self, alert_id: int) -> str:
        # 96 bits of signature: enough against guessing, short enough for Telegram's 64 characters.
        return keyed_hash(self._link_key, str(alert_id))[:24]

    async def bind_by_link(self, uow: OutreachUnitOfWork, resident_id: str, alert_id: int) -> bool:
        """The head of the alert's household opened its link: their chat is theirs from now on.
        False when the head is already someone else's chat (the link was passed on)."""
        alert = await uow.outreach.alert(alert_id)
        people = await uow.outreach.contacts(alert.household_id) if alert else []
        head = next((p for p in people if p.member == 0), None)
        if alert is None or head is None or head.resident_id not in (None, resident_id):
            return False
        await uow.outreach.bind(alert.household_id, 0, resident_id)
        return True

    async def reach_out(self, uow: OutreachUnitOfWork, *, now: datetime) -> tuple[int, int]:
        """Follow up the alerts not followed up yet: (messages queued, households listed for a visit)."""
        sent = visits = 0
        for alert in await uow.outreach.pending():
            bound = [c for c in await uow.outreach.contacts(alert.household_id) if c.resident_id]
            if bound:
                await uow.notifications.add(
                    resident_id=str(bound[0].resident_id), application_number=None, kind="outreach",
                    params={"alert_id": alert.alert_id,
                            "buttons": [button(ApplyPrefilled(alert.alert_id), "outreach.apply")]},
                    at=now,
                )
                await uow.outreach.mark(alert.alert_id, SENT)
                sent += 1
            else:
                await uow.outreach.mark(alert.alert_id, VISIT)
                visits += 1
        return sent, visits

    async def prefill(self, uow: OutreachUnitOfWork, resident_id: str, alert_id: int) -> Prefill | None:
        """The application to pre-fill for a resident who pressed the button of an alert of their
        household; None when it is no household of theirs (a forged or foreign button)."""
        alert = await uow.outreach.alert(alert_id)
        if alert is None:
            return None
        people = await uow.outreach.contacts(alert.household_id)
        if not any(p.resident_id == resident_id for p in people) or not people or people[0].member != 0:
            return None
        head = people[0]
        district = self._pack.regions.district_of(alert.office)
        ids = {p.member: self._decrypt(p.id_cipher) for p in people}
        members = alert.household.get("members") or ()
        return Prefill(
            household=alert.household, name=head.name, id_number=ids[0], office=alert.office,
            district=district.code if district else None,
            member_ids=tuple(ids.get(i) for i in range(len(members))),
        )

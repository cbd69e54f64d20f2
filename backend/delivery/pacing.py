"""How unsolicited messages are paced: offers wait a while after the receipt and go as one
digest, and a resident gets only a few unsolicited messages a day.

The figures are dated parameters of the policy pack (``offer_digest_delay_minutes``,
``unsolicited_daily_cap``, ``offer_open_days``); a pack without them gets the defaults here.
Status updates of the resident's own case are not unsolicited: they are never counted nor held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.policy.pack import Pack
from backend.policy.parameters import ParameterNotInForce

# Notification kinds the resident did not ask for: the offers' digest (and single offers stored
# before there was one), a monitoring alert's invitation to apply, an office's broadcast.
UNSOLICITED_KINDS = frozenset({"offers", "offer", "offer_service", "offer_scheme", "outreach", "broadcast"})
DIGEST_KIND = "offers"


@dataclass(frozen=True, slots=True)
class Pacing:
    digest_delay: timedelta = timedelta(hours=1)
    daily_cap: int = 2
    offer_days: int = 30

    @classmethod
    def of(cls, pack: Pack | None, on: date) -> Pacing:
        """The pack's figures in force on ``on``; a figure the pack lacks keeps its default."""
        default = cls()
        if pack is None:
            return default
        delay = _figure(pack, "offer_digest_delay_minutes", on, default.digest_delay // timedelta(minutes=1))
        return cls(
            timedelta(minutes=delay),
            _figure(pack, "unsolicited_daily_cap", on, default.daily_cap),
            _figure(pack, "offer_open_days", on, default.offer_days),
        )


def day_start(moment: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of ``moment``'s day where the resident lives, in ``moment``'s time zone."""
    local = moment.astimezone(zone)
    return datetime.combine(local.date(), time(), tzinfo=zone).astimezone(moment.tzinfo)


def next_day(moment: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of the day after ``moment``'s, where the resident lives."""
    local = moment.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=zone).astimezone(moment.tzinfo)


def _figure(pack: Pack, name: str, on: date, default: int) -> int:
    try:
        return int(pack.parameter(name, on).value)
    except (KeyError, ParameterNotInForce):
        return default

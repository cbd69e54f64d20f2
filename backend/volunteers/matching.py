"""Who is asked first to take a service task.

Office and a qualified skill are conditions (the repository only returns such volunteers); among
them, those whose weekly availability covers the task's time come first, then the least loaded,
then the most reliable, then the longest registered (a stable order keeps rounds predictable).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.volunteers.ports import Candidate


def slot_of(moment: datetime, zone: ZoneInfo) -> str:
    """The weekly slot a moment falls in, in the region's time zone."""
    local = moment.astimezone(zone)
    day = "weekend" if local.weekday() >= 5 else "weekday"
    part = "morning" if local.hour < 12 else "afternoon" if local.hour < 18 else "evening"
    return f"{day}_{part}"


def rank(candidates: list[Candidate], starts_at: datetime, zone: ZoneInfo) -> list[Candidate]:
    slot = slot_of(starts_at, zone)
    return sorted(
        candidates,
        key=lambda c: (
            slot not in c.volunteer.availability,
            c.record.load,
            -c.record.reliability,
            c.volunteer.id,
        ),
    )


# The hours of each part of the day a volunteer who gave it may be asked to take a task, local time:
# a "morning" volunteer is not woken at six, nor an "evening" one pinged at eleven at night.
PING_HOURS: tuple[tuple[str, time, time], ...] = (
    ("morning", time(8), time(12)),
    ("afternoon", time(12), time(18)),
    ("evening", time(18), time(21)),
)


def next_ping_at(now: datetime, availability: Iterable[str], zone: ZoneInfo) -> datetime:
    """The first moment from ``now`` within the volunteer's stated weekly hours (any day's hours
    when they stated none): their own quiet hours, rather than the residents' nightly rule."""
    slots = set(availability) or {f"{day}_{part}" for day in ("weekday", "weekend") for part, _, _ in PING_HOURS}
    local = now.astimezone(zone)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        kind = "weekend" if day.weekday() >= 5 else "weekday"
        for part, start, end in PING_HOURS:
            if f"{kind}_{part}" not in slots:
                continue
            if local < datetime.combine(day, end, zone):
                return max(now, datetime.combine(day, start, zone).astimezone(now.tzinfo))
    return now  # no slot known here: at once, as before availability was asked

"""Who is asked first to take a service task.

Office and a qualified skill are conditions (the repository only returns such volunteers); among
them, those whose weekly availability covers the task's time come first, then the least loaded,
then the most reliable, then the longest registered (a stable order keeps rounds predictable).
"""

from __future__ import annotations

from datetime import datetime
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

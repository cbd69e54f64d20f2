"""Where a submitted application goes: its street office, programme queues, the social-work
station when urgent services are recommended, and a deadline for emergencies (急难先行救助)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.policy.outcome import Assessment
from backend.policy.pack import Pack


@dataclass(frozen=True, slots=True)
class Route:
    office: str
    queues: tuple[str, ...]
    station: str | None
    emergency: bool
    deadline_at: datetime | None


def route(office: str, assessment: Assessment, pack: Pack, now: datetime) -> Route:
    """Route by the pack's routing rules; an emergency gets the pack's deadline (hours) from now."""
    rules = pack.routing
    assistance = set(assessment.assistance)
    queues = tuple(
        q.code for q in rules.queues if assessment.layer in q.layers or assistance.intersection(q.assistance)
    )
    urgent_services = any(s.level in rules.station_service_levels for s in assessment.services)
    station = rules.station_for(office) if urgent_services else None
    deadline = None
    if assessment.emergency:
        hours = pack.parameter("emergency_deadline_hours", assessment.on).value
        deadline = now + timedelta(hours=float(hours))
    return Route(office, queues, station.code if station else None, assessment.emergency, deadline)

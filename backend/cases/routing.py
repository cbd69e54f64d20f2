"""Where a submitted application goes: its street office, programme queues, the social-work
station when urgent services are recommended, and its deadline: the pack's stages counted in
working days, or, for an emergency (急难先行救助), the pack's hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from backend.policy.deadlines import end_of_day, local_date, schedule
from backend.policy.outcome import Assessment
from backend.policy.pack import Pack


@dataclass(frozen=True, slots=True)
class Route:
    office: str
    queues: tuple[str, ...]
    station: str | None
    emergency: bool
    deadline_at: datetime
    # The deadline counted Monday–Friday somewhere past the holiday data.
    deadline_estimated: bool = False


def route(office: str, assessment: Assessment, pack: Pack, now: datetime) -> Route:
    """Route by the pack's routing rules. Every case gets a deadline: an emergency the pack's hours
    from now, any other the end of the decision day of the pack's stages (in the pack's time zone)."""
    rules = pack.routing
    assistance = set(assessment.assistance)
    queues = tuple(
        q.code for q in rules.queues if assessment.layer in q.layers or assistance.intersection(q.assistance)
    )
    urgent_services = any(s.level in rules.station_service_levels for s in assessment.services)
    station = rules.station_for(office) if urgent_services else None
    estimated = False
    if assessment.emergency:
        hours = pack.parameter("emergency_deadline_hours", assessment.on).value
        deadline = now + timedelta(hours=float(hours))
    else:
        zone = ZoneInfo(pack.regions.timezone)
        stages = schedule(local_date(now, zone), pack)
        deadline, estimated = end_of_day(stages.decision_by, zone), stages.estimated
    return Route(office, queues, station.code if station else None, assessment.emergency, deadline, estimated)

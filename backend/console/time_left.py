"""The dashboard's open cases by time left to their deadline: overdue, due within 2 working days,
within 5, later; and how many deadlines lie past the installed holiday calendar (estimated)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from backend.policy.deadlines import end_of_day, local_date
from backend.policy.pack import Pack
from backend.policy.workdays import add_workdays, last_known_year
from backend.store.console import Reports, Scope

# Working days from today that bound the middle buckets.
SOON, NEAR = 2, 5


@dataclass(frozen=True, slots=True)
class TimeLeft:
    overdue: int
    within_soon: int  # due by the end of the SOON-th working day from today
    within_near: int
    later: int
    without: int  # open cases from before every case had a deadline
    estimated: int  # deadlines counted Monday–Friday past the holiday data
    calendar_year: int  # the last year the holiday data covers
    soon_days: int = SOON
    near_days: int = NEAR

    @property
    def open(self) -> int:
        return self.overdue + self.within_soon + self.within_near + self.later + self.without


def bounds(now: datetime, pack: Pack) -> tuple[datetime, datetime, datetime]:
    """Now, and the ends of the SOON-th and NEAR-th working days from today where the office is."""
    zone = ZoneInfo(pack.regions.timezone)
    today = local_date(now, zone)
    return now, end_of_day(add_workdays(today, SOON).on, zone), end_of_day(add_workdays(today, NEAR).on, zone)


async def time_left(reports: Reports, scope: Scope, now: datetime, pack: Pack) -> TimeLeft:
    """Count the scope's open cases by time left."""
    overdue, soon, near, later, without = await reports.time_left(scope, bounds=bounds(now, pack))
    year = last_known_year()
    calendar_end = end_of_day(date(year, 12, 31), ZoneInfo(pack.regions.timezone))
    _, estimated, _ = await reports.time_left(scope, bounds=[calendar_end])
    return TimeLeft(overdue, soon, near, later, without, estimated, year)

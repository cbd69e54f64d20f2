"""Working days (工作日) as China's State Council announces them each year: public holidays off,
make-up working days (调休, often a Saturday or Sunday) on.

The calendar comes from the ``chinesecalendar`` library, which carries each year's announcement
once it is published (its 1.11.0 release covers 2004–2026). A date past its data is counted
Monday to Friday, and the count says so (``Count.estimated``): such a deadline is a promise made
before the year's holidays were known, and shifts once a release with that year is installed.
The first such count of a year is logged, once per process.

Pure functions: a date in, a date out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import chinese_calendar

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Count:
    """A date reached by counting, and whether any day counted lay past the holiday data."""

    on: date
    estimated: bool = False


def workday(day: date) -> tuple[bool, bool]:
    """(whether ``day`` is a working day, whether that is estimated as Monday–Friday)."""
    known = _known(day)
    if known is None:
        return day.weekday() < 5, True
    return known, False


def add_workdays(start: date, count: int) -> Count:
    """The date ``count`` working days after ``start`` (``start`` itself not counted).

    ``count`` 0 gives ``start`` itself. As in 《最低生活保障审核确认办法》's "自受理之日起N个工作日",
    the day the clock starts is not one of the N.

    Args:
        start: the day the period starts (a submission, the end of the previous stage).
        count: working days, not negative.
    """
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    day, left, estimated = start, count, False
    while left:
        day += timedelta(days=1)
        working, guessed = workday(day)
        estimated = estimated or guessed
        if working:
            left -= 1
    return Count(day, estimated)


def workdays_between(start: date, end: date) -> tuple[int, bool]:
    """How many working days lie after ``start`` up to and including ``end`` (0 when ``end`` is not
    after ``start``), and whether any of them was estimated as Monday–Friday."""
    day, counted, estimated = start, 0, False
    while day < end:
        day += timedelta(days=1)
        working, guessed = workday(day)
        estimated = estimated or guessed
        counted += working
    return counted, estimated


def last_known_year() -> int:
    """The last year the installed holiday data covers."""
    last: date = max(chinese_calendar.holidays)
    return last.year


def _known(day: date) -> bool | None:
    """The library's answer, or None past its data (logged once per year)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _warn_once(day.year)
        return None


@cache
def _warn_once(year: int) -> None:
    # Information, not a warning: an expected state each December until the next release, shown on
    # the dashboard too; ``yimen serve`` logs it, a resident's terminal chat does not print it.
    log.info("no holiday calendar for %d installed (chinesecalendar covers up to %d): working days of %d are "
                "counted Monday to Friday until a release with %d is installed", year, last_known_year(), year, year)

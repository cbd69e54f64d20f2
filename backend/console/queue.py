"""The queue's filters and their counts: each option counts the cases it would show, with the
other filters as they are (a facet's own choice left out of its counts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from urllib.parse import urlencode

from backend.bounds import integer
from backend.cases.lifecycle import CaseStatus
from backend.policy.codes import Layer
from backend.store.console import FACETS, QueueCell, QueueFilters

YES_NO = ("yes", "no")
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label_key: str
    count: int
    selected: bool
    href: str


@dataclass(frozen=True, slots=True)
class Facet:
    name: str
    label_key: str
    any_count: int
    any_selected: bool
    any_href: str
    options: tuple[Option, ...]


def parse_filters(query: Mapping[str, str], *, levels: Iterable[int], me: int | None) -> QueueFilters:
    """The filters of a query string; unknown values are ignored rather than refused."""
    layer = query.get("layer")
    status = query.get("status")
    level = integer(query.get("level"))
    return QueueFilters(
        layer=layer if layer in {x.value for x in Layer} else None,
        level=level if level in set(levels) else None,
        status=status if status in {s.value for s in CaseStatus} else None,
        emergency=_yes_no(query.get("emergency")),
        overdue=_yes_no(query.get("overdue")),
        assigned_to=me if query.get("mine") == "1" else None,
    )


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _value(filters: QueueFilters, name: str) -> str | None:
    value = getattr(filters, name)
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _matches(cell: QueueCell, filters: QueueFilters) -> bool:
    return all(
        want is None or got == want
        for want, got in (
            (filters.layer, cell.layer), (filters.level, cell.level), (filters.status, cell.status),
            (filters.emergency, cell.emergency), (filters.overdue, cell.overdue),
        )
    )


def _cell_value(cell: QueueCell, name: str) -> str | None:
    value = {"layer": cell.layer, "level": cell.level, "status": cell.status, "emergency": cell.emergency,
             "overdue": cell.overdue}[name]
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def facets(cells: list[QueueCell], filters: QueueFilters, base: Mapping[str, str],
           *, levels: Iterable[int]) -> list[Facet]:
    """Every facet with its options and their counts, and the link each option leads to."""
    values = {
        "layer": [x.value for x in Layer],
        "level": [str(n) for n in levels],
        "status": [s.value for s in CaseStatus],
        "emergency": list(YES_NO),
        "overdue": list(YES_NO),
    }
    labels = {
        "layer": "policy.layer.{}", "level": "console.level.{}", "status": "status.name.{}",
        "emergency": "console.{}", "overdue": "console.{}",
    }
    found = []
    for name in FACETS:
        others = filters.without(name)
        counts: dict[str, int] = {}
        for cell in cells:
            if _matches(cell, others):
                key = _cell_value(cell, name)
                if key is not None:
                    counts[key] = counts.get(key, 0) + 1 * cell.count
        chosen = _value(filters, name)
        options = tuple(
            Option(v, labels[name].format(v), counts.get(v, 0), chosen == v, _href(base, name, v))
            for v in values[name] if counts.get(v) or chosen == v or name in ("emergency", "overdue")
        )
        total = sum(c.count for c in cells if _matches(c, others))
        found.append(Facet(name, f"console.filter.{name}", total, chosen is None, _href(base, name, None), options))
    return found


def _href(base: Mapping[str, str], name: str, value: str | None) -> str:
    query = {k: v for k, v in base.items() if v and k not in (name, "page")}
    if value is not None:
        query[name] = value
    return "/console/queue" + (f"?{urlencode(query)}" if query else "")


def page_href(base: Mapping[str, str], page: int) -> str:
    query = {k: v for k, v in base.items() if v and k != "page"}
    if page > 1:
        query["page"] = str(page)
    return "/console/queue" + (f"?{urlencode(query)}" if query else "")


@dataclass(frozen=True, slots=True)
class TimeLeft:
    """What is left of a case's deadline: ``due_in_days``, ``due_in_hours``, ``overdue_hours`` or
    ``overdue_days`` (``console.time_left.<key>``) and how many."""

    key: str
    count: int

    @property
    def late(self) -> bool:
        return self.key.startswith("overdue")


def time_left(deadline_at: datetime | None, now: datetime, *, zone: tzinfo) -> TimeLeft | None:
    """The time left to a deadline, in calendar days of the office's zone (a deadline tomorrow
    morning is "in 1 day" however few hours that is), or in hours on the deadline's own day.
    None: the case has no deadline."""
    if deadline_at is None:
        return None
    days = (_local_date(deadline_at, zone) - _local_date(now, zone)).days
    if deadline_at >= now:
        if days > 0:
            return TimeLeft("due_in_days", days)
        return TimeLeft("due_in_hours", max(1, -(-(deadline_at - now) // HOUR)))
    if days < 0:
        return TimeLeft("overdue_days", -days)
    return TimeLeft("overdue_hours", max(1, (now - deadline_at) // HOUR))


def _local_date(value: datetime, zone: tzinfo) -> date:
    try:
        return value.astimezone(zone).date()
    except OverflowError:  # a time at the calendar's edge (year 1 or 9999): its own date will do
        return value.date()

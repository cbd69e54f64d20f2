"""The dashboard's figures, worked out from what the reports return (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from backend.store.console import Decision


@dataclass(frozen=True, slots=True)
class FunnelStep:
    step: str  # "started", a question's state, "summary" or "submitted"
    reached: int
    dropped: int  # residents whose furthest step this was (0 for "submitted": they finished)


def funnel(furthest: dict[int, int], reached: dict[str, int], steps: tuple[str, ...]) -> list[FunnelStep]:
    """Started → each step residents were asked → submitted.

    The flow branches (the rent is asked only of those who rent, a proxy's name only of a proxy),
    so a step's count is the residents who were asked it, not those who got past its place in the
    question order; steps nobody was asked are left out. The drop-off at a step is the residents
    whose furthest step it was: they were asked it, so it is never more than the step's count.
    """
    rows = [FunnelStep("started", sum(furthest.values()), furthest.get(-1, 0))]
    last = len(steps) - 1
    for index, step in enumerate(steps):
        count = reached.get(step, 0)
        if count or index == last:
            rows.append(FunnelStep(step, count, 0 if index == last else min(count, furthest.get(index, 0))))
    return rows


@dataclass(frozen=True, slots=True)
class DecisionTimes:
    buckets: list[tuple[str, int, bool]]  # (days, cases, late?) of ordinary cases
    limit_days: int
    decided: int
    on_time: int
    median_days: float | None
    emergencies: int
    emergencies_on_time: int
    emergency_median_hours: float | None


def decision_times(decisions: list[Decision], *, review_days: int) -> DecisionTimes:
    """How long decisions took against their deadlines: each case's own (``deadline_at``, the date
    the resident was promised), else, for a case from before every case had one, the review days
    the resident was told. The chart marks the days past the typical deadline of the period."""
    ordinary = [d for d in decisions if not d.emergency]
    urgent = [d for d in decisions if d.emergency]
    days = [max(0.0, (d.decided_at - d.submitted_at) / timedelta(days=1)) for d in ordinary]
    allowed = [(d.deadline_at - d.submitted_at).days for d in ordinary if d.deadline_at is not None]
    limit = round(median(allowed)) if allowed else review_days
    top = limit + 5
    counts = [0] * (top + 2)
    for value in days:
        counts[min(int(value), top + 1)] += 1
    buckets = [(str(i) if i <= top else f"{top + 1}+", n, i > limit) for i, n in enumerate(counts)]
    on_time = sum(1 for d, value in zip(ordinary, days, strict=True)
                  if (d.decided_at <= d.deadline_at if d.deadline_at is not None else value <= review_days))
    hours = [max(0.0, (d.decided_at - d.submitted_at) / timedelta(hours=1)) for d in urgent]
    urgent_on_time = sum(1 for d in urgent if d.deadline_at is None or d.decided_at <= d.deadline_at)
    return DecisionTimes(
        buckets=buckets, limit_days=limit, decided=len(decisions), on_time=on_time + urgent_on_time,
        median_days=round(median(days), 1) if days else None, emergencies=len(urgent),
        emergencies_on_time=urgent_on_time, emergency_median_hours=round(median(hours), 1) if hours else None,
    )

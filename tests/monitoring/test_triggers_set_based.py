"""Evaluation is set-based: its statements do not grow with the number of pending events."""

from __future__ import annotations

from datetime import timedelta

from backend.monitoring.triggers import evaluate
from tests.databases import counted
from tests.monitoring.seed import (
    NOW,
    PACK,
    TODAY,
    add_events,
    add_household,
    alerts,
    event,
    household,
    member,
)

KINDS = ("out_of_pocket", "disability_assessed", "death", "unemployed", "left_school", "disaster_loss",
         "income_change", "employed", "enrolled", "registration_change")


async def _run(database, events_per_household: int, *, batch: int = 500) -> tuple[int, object]:
    """Five households, two that worsen; each gets ``events_per_household`` events of every kind
    that change nothing much on top of what makes two of them fire."""
    fired = [await add_household(database, household(member("self", 45, income="3500"),
                                                     member("child", 12, work="student"))) for _ in range(2)]
    quiet = [await add_household(database, household(member("self", 45, income="8000"), savings="200000"))
             for _ in range(3)]
    rows = [event(h.person(), h.id, "disaster_loss", amount="5000") for h in fired]
    for h in fired + quiet:
        for i in range(events_per_household):
            # Small bills on days far apart: below every threshold, however many.
            rows.append(event(h.person(), h.id, "out_of_pocket", amount="1", on=TODAY - timedelta(days=i)))
            rows.append(event(h.person(), h.id, "registration_change", on=TODAY - timedelta(days=i)))
    await add_events(database, rows)
    with counted(database) as statements:
        summary = await evaluate(database, PACK, now=NOW, batch=batch)
    return len(statements), summary


async def test_the_statements_do_not_grow_with_the_events(database) -> None:
    few, few_summary = await _run(database, 2)
    assert (few_summary.households, few_summary.alerts) == (2, 2)
    many, many_summary = await _run(database, 200)
    assert many_summary.events == 5 * 200 * 2 + 2
    assert (many_summary.households, many_summary.alerts) == (2, 2)
    assert many == few <= 15


async def test_households_are_assessed_in_batches_with_bulk_writes(database) -> None:
    one_batch, _ = await _run(database, 3, batch=500)
    two_batches, summary = await _run(database, 3, batch=1)
    assert summary.households == 2
    # A batch of households costs a fixed handful of statements, whatever its size.
    assert 0 < two_batches - one_batch <= 8
    assert len(await alerts(database)) == 4

"""A rule's window ends on the day of the evaluation (the injected clock): events dated before it
never fire, however late a department sends them; the same events fire when evaluated inside it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from backend.monitoring.triggers import evaluate
from tests.monitoring.seed import FAMILY, NOW, PACK, TODAY, add_events, add_household, alerts, event, history

SIX_MONTHS_AGO = date(2026, 5, 29)


def _spending(person: int, household_id: int, *days_before: int) -> list[dict[str, Any]]:
    """¥6,000 then ¥4,000: ¥10,000 within 30 days of each other, six months and more before today."""
    first, second = days_before
    return [event(person, household_id, "out_of_pocket", amount="6000", on=SIX_MONTHS_AGO - timedelta(days=first)),
            event(person, household_id, "out_of_pocket", amount="4000", on=SIX_MONTHS_AGO - timedelta(days=second))]


async def test_spending_whose_window_ended_six_months_ago_fires_nothing(database) -> None:
    seeded = await add_household(database, FAMILY)
    await add_events(database, _spending(seeded.person(), seeded.id, 10, 0))
    summary = await evaluate(database, PACK, now=NOW)
    assert summary.events == 2 and summary.fired == 0 and summary.alerts == 0
    assert [cause for _, _, cause in await history(database, seeded.id)] == ["import"]
    assert await alerts(database, seeded.id) == []


async def test_the_same_spending_fires_when_evaluated_inside_its_window(database) -> None:
    seeded = await add_household(database, FAMILY, assessed_at=NOW - timedelta(days=200))
    await add_events(database, _spending(seeded.person(), seeded.id, 10, 0))
    # The clock is the evaluation's: on the day of the second bill the window holds both.
    on_the_day = NOW - (TODAY - SIX_MONTHS_AGO)
    summary = await evaluate(database, PACK, now=on_the_day)
    assert summary.fired == 1
    assert [cause for _, _, cause in await history(database, seeded.id)] == ["import", "trigger:medical_spending"]


async def test_old_spending_does_not_count_towards_todays_window(database) -> None:
    seeded = await add_household(database, FAMILY)
    old = event(seeded.person(), seeded.id, "out_of_pocket", amount="6000", on=TODAY - timedelta(days=31))
    today = event(seeded.person(), seeded.id, "out_of_pocket", amount="4000")
    await add_events(database, [old, today])
    assert (await evaluate(database, PACK, now=NOW)).fired == 0


@pytest.mark.parametrize(("fell_on", "fires"), [(date(2026, 1, 15), True), (date(2025, 11, 15), False)])
async def test_an_income_fall_older_than_the_rules_months_fires_nothing(database, fell_on: date,
                                                                          fires: bool) -> None:
    seeded = await add_household(database, FAMILY)
    exit_on = fell_on - timedelta(days=60)
    await add_events(database, [event(seeded.person(), seeded.id, "assistance_exit", on=exit_on),
                                event(seeded.person(), seeded.id, "income_change", amount="2500", on=fell_on)])
    summary = await evaluate(database, PACK, now=NOW)
    assert summary.fired == (1 if fires else 0)


@pytest.mark.parametrize(("kind", "fields"), [
    ("disaster_loss", {"amount": "80000"}), ("disability_assessed", {"grade": 1}), ("death", {}),
])
@pytest.mark.parametrize(("days_ago", "fires"), [(10, True), (200, False)])
async def test_an_event_of_a_rule_without_a_window_fires_only_while_recent(database, kind: str, fields: dict[str, Any],
                                                                           days_ago: int, fires: bool) -> None:
    """A department's backlog (a loss, an assessment, a death from months ago) updates nothing on its
    own: only events within the pack's trigger_event_days of the evaluation fire."""
    seeded = await add_household(database, FAMILY)
    await add_events(database, [event(seeded.person(), seeded.id, kind, on=TODAY - timedelta(days=days_ago), **fields)])
    summary = await evaluate(database, PACK, now=NOW)
    assert summary.fired == (1 if fires else 0)
    assert (await alerts(database, seeded.id) != []) is fires

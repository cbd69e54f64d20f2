"""Each trigger rule at its thresholds: just below nothing fires, at the threshold it does.

A rule that fires makes the household assessed again: a history entry ``trigger:<rule>`` is
written whether or not the household worsened (alerts are tested in test_triggers_alerts.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from backend.monitoring.triggers import evaluate
from tests.monitoring.seed import (
    FAMILY,
    NOW,
    PACK,
    TODAY,
    Seeded,
    add_events,
    add_household,
    event,
    history,
    household,
    member,
    pending,
)

Events = Callable[[Seeded], list[dict[str, Any]]]


@dataclass(frozen=True)
class Case:
    name: str
    events: Events
    fires: str | None  # the rule expected to fire, or None
    data: dict[str, Any] = None  # type: ignore[assignment]
    earners: tuple[int, ...] | None = None


def days_ago(n: int) -> Any:
    return TODAY - timedelta(days=n)


def family(**kw: Any) -> dict[str, Any]:
    members = kw.pop("members", None) or (member("self", 45, income="4500"), member("spouse", 43, work="unable"),
                                          member("child", 10, work="student"))
    return household(*members, **kw)


CASES = [
    # ---- medical_spending: ¥10,000 within 30 days, or 40% of a year's income
    Case("medical just below the amount", lambda h: [event(h.person(), h.id, "out_of_pocket", amount="9999.99")], None),
    Case("medical at the amount", lambda h: [event(h.person(), h.id, "out_of_pocket", amount="10000.00")],
         "medical_spending"),
    Case("medical added up within the window",
         lambda h: [event(h.person(), h.id, "out_of_pocket", amount="6000", on=days_ago(29)),
                    event(h.person(1), h.id, "out_of_pocket", amount="4000")], "medical_spending"),
    Case("medical a day outside the window",
         lambda h: [event(h.person(), h.id, "out_of_pocket", amount="6000", on=days_ago(30)),
                    event(h.person(1), h.id, "out_of_pocket", amount="4000")], None),
    Case("medical counting spending evaluated before",
         lambda h: [event(h.person(), h.id, "out_of_pocket", amount="6000", on=days_ago(5), evaluated=True,
                          imported_at=NOW - timedelta(days=5)),
                    event(h.person(), h.id, "out_of_pocket", amount="4000")], "medical_spending"),
    Case("medical just below a share of a small income",
         lambda h: [event(h.person(), h.id, "out_of_pocket", amount="4799.99")], None,
         data=family(members=(member("self", 45, income="1000"),))),
    Case("medical at a share of a small income",
         lambda h: [event(h.person(), h.id, "out_of_pocket", amount="4800")], "medical_spending",
         data=family(members=(member("self", 45, income="1000"),))),
    Case("medical with no income is judged by the amount",
         lambda h: [event(h.person(), h.id, "out_of_pocket", amount="9000")], None,
         data=family(members=(member("self", 45, work="unemployed"),))),
    # ---- disability: newly assessed or raised to grade 2 or more severe
    Case("disability grade 3 newly", lambda h: [event(h.person(1), h.id, "disability_assessed", grade=3)], None),
    Case("disability grade 2 newly", lambda h: [event(h.person(1), h.id, "disability_assessed", grade=2)],
         "severe_disability"),
    Case("disability raised from 3 to 2", lambda h: [event(h.person(1), h.id, "disability_assessed", grade=2)],
         "severe_disability", data=family(members=(member("self", 45, income="4500"),
                                                   member("spouse", 43, work="unable", grade=3)))),
    Case("disability grade 2 again", lambda h: [event(h.person(1), h.id, "disability_assessed", grade=2)], None,
         data=family(members=(member("self", 45, income="4500"), member("spouse", 43, work="unable", grade=2)))),
    Case("disability eased from 1 to 2", lambda h: [event(h.person(1), h.id, "disability_assessed", grade=2)], None,
         data=family(members=(member("self", 45, income="4500"), member("spouse", 43, work="unable", grade=1)))),
    # ---- earner_lost: death or serious illness of an earner aged 16–59
    Case("death of the earner", lambda h: [event(h.person(), h.id, "death")], "earner_lost"),
    Case("death of an earner of 59", lambda h: [event(h.person(), h.id, "death")], "earner_lost",
         data=family(members=(member("self", 59, income="4500"), member("spouse", 57, work="unable")))),
    Case("death of an earner of 60", lambda h: [event(h.person(), h.id, "death")], None,
         data=family(members=(member("self", 60, income="4500"), member("spouse", 57, work="unable")))),
    Case("death of a member who earns nothing", lambda h: [event(h.person(1), h.id, "death")], None),
    Case("serious illness of the earner",
         lambda h: [event(h.person(), h.id, "out_of_pocket", amount="300", detail={"serious": "1"})], "earner_lost"),
    Case("medical bill of the earner, not serious",
         lambda h: [event(h.person(), h.id, "out_of_pocket", amount="300", detail={"serious": "0"})], None),
    # ---- only_earner_unemployed
    Case("the only earner unemployed", lambda h: [event(h.person(), h.id, "unemployed")], "only_earner_unemployed"),
    Case("one of two earners unemployed", lambda h: [event(h.person(), h.id, "unemployed")], None,
         data=family(members=(member("self", 45, income="4500"), member("spouse", 43, income="3000")))),
    Case("someone not earning unemployed", lambda h: [event(h.person(1), h.id, "unemployed")], None),
    # ---- disaster_loss: ¥2,000
    Case("disaster loss just below", lambda h: [event(h.person(), h.id, "disaster_loss", amount="1999.99")], None),
    Case("disaster loss at the amount", lambda h: [event(h.person(), h.id, "disaster_loss", amount="2000")],
         "disaster_loss"),
    Case("disaster losses added up",
         lambda h: [event(h.person(), h.id, "disaster_loss", amount="1500"),
                    event(h.person(1), h.id, "disaster_loss", amount="500")], "disaster_loss"),
    # ---- left_school: aged 18 or younger
    Case("a child of 18 left school", lambda h: [event(h.person(1), h.id, "left_school")], "left_school",
         data=family(members=(member("self", 45, income="4500"), member("child", 18, work="student")))),
    Case("a student of 19 left school", lambda h: [event(h.person(1), h.id, "left_school")], None,
         data=family(members=(member("self", 45, income="4500"), member("child", 19, work="student")))),
    # ---- income_fall_after_exit: within 12 months of leaving assistance
    Case("income fell 11 months after leaving assistance",
         lambda h: [event(h.person(), h.id, "assistance_exit", on=TODAY.replace(year=2025, month=12, day=29)),
                    event(h.person(), h.id, "income_change", amount="2500")], "income_fall_after_exit"),
    Case("income fell 12 months after leaving assistance",
         lambda h: [event(h.person(), h.id, "assistance_exit", on=TODAY.replace(year=2025)),
                    event(h.person(), h.id, "income_change", amount="2500")], None),
    Case("income rose after leaving assistance",
         lambda h: [event(h.person(), h.id, "assistance_exit", on=days_ago(60)),
                    event(h.person(), h.id, "income_change", amount="5000")], None),
    Case("income fell with no exit from assistance",
         lambda h: [event(h.person(), h.id, "income_change", amount="2500")], None),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_a_rule_fires_at_its_threshold_and_not_below(database, case: Case) -> None:
    seeded = await add_household(database, case.data or FAMILY, earners=case.earners)
    rows = case.events(seeded)
    await add_events(database, rows)
    summary = await evaluate(database, PACK, now=NOW)
    causes = [cause for _, _, cause in await history(database, seeded.id)]
    if case.fires is None:
        assert summary.fired == 0 and causes == ["import"], causes
    else:
        assert summary.fired == 1 and causes == ["import", f"trigger:{case.fires}"], causes
    assert summary.events == sum(1 for r in rows if not r["evaluated"])
    assert await pending(database) == 0


def test_every_rule_of_the_demo_pack_is_tested() -> None:
    assert {rule.id for rule in PACK.triggers.rules} == {c.fires for c in CASES if c.fires}

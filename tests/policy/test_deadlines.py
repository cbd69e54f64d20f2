"""A case's stages from the demo pack, across 国庆节 2025 and into 2027 (no holiday data yet)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from backend.policy.deadlines import Stage, end_of_day, local_date, schedule
from backend.policy.pack import load_pack

PACK = load_pack("demo")


def test_stages_across_national_day_2025() -> None:
    # Friday Sep 26. Acceptance, 3 working days: Sun Sep 28 (调休), Sep 29, Sep 30.
    plan = schedule(date(2025, 9, 26), PACK)
    assert plan.due(Stage.ACCEPTANCE) == date(2025, 9, 30)
    # Review, 10: Oct 9, 10, Sat Oct 11 (调休), 13–17, 20, 21 (the holiday Oct 1–8 skipped).
    assert plan.due(Stage.STREET_REVIEW) == date(2025, 10, 21)
    # Public notice, 7 calendar days.
    assert plan.due(Stage.PUBLIC_NOTICE) == date(2025, 10, 28)
    # Approval, 10 working days.
    assert plan.due(Stage.APPROVAL) == plan.decision_by == date(2025, 11, 11)
    assert plan.estimated is False


def test_a_schedule_reaching_into_2027_is_estimated() -> None:
    plan = schedule(date(2026, 12, 6), PACK)
    assert plan.decision_by == date(2027, 1, 13)
    assert plan.estimated is True
    assert schedule(date(2026, 6, 1), PACK).estimated is False


def test_a_deadline_holds_through_its_local_day() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    deadline = end_of_day(date(2025, 11, 11), zone)
    assert deadline.astimezone(UTC) == datetime(2025, 11, 11, 15, 59, 59, tzinfo=UTC)
    assert local_date(deadline, zone) == date(2025, 11, 11)
    assert local_date(datetime(2025, 11, 11, 16, 0, tzinfo=UTC), zone) == date(2025, 11, 12)

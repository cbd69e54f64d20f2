"""The worker's monitoring pass: events that came in are evaluated, overdue alerts escalated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backend.cases.ports import Role
from backend.db.models import OutboxRow
from bot.serve import _monitor
from locales import Translations
from tests.cases.helpers import add_staff
from tests.monitoring.seed import PACK, add_alert, add_events, add_household, alerts, event, household, member, pending


async def test_a_worker_pass_evaluates_and_escalates(database) -> None:
    # The worker runs on the system clock.
    now = datetime.now(UTC)
    await add_staff(database, "boss", Role.SUPERVISOR, "hubin", telegram_id="9001")
    seeded = await add_household(database, household(member("self", 45, income="3500"),
                                                     member("spouse", 43, work="unable")),
                                 assessed_at=now - timedelta(days=30))
    late = await add_alert(database, seeded.id, created_at=now - timedelta(days=3))
    await add_events(database, [event(seeded.person(), seeded.id, "death", on=now.date(), imported_at=now)])

    await _monitor(database, PACK, None, lambda: datetime.now(UTC), Translations(html=True)("zh_CN"))

    assert await pending(database) == 0
    assert [a.trigger for a in await alerts(database, seeded.id)] == ["disaster_loss", "earner_lost"]
    async with database.engine.connect() as connection:
        [sent] = (await connection.execute(select(OutboxRow))).all()
    assert sent.address == "9001" and f"#{late}" in sent.payload["text"]

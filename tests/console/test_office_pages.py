"""The office's lists read what other parts wrote: alerts (tolerating none), volunteers and tasks,
points and merchants, charity projects; the dashboard's figures and charts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert

from backend.db.models import AlertRow, ConversationTurnRow, RegistryHouseholdRow
from backend.points.ledger import Donation, Ledger
from backend.points.ports import Holder
from tests.cases.helpers import NOW, PACK, payload, submit, volunteer
from tests.console.conftest import FUNNEL, sign_in


async def test_alerts_are_listed_for_the_office_and_an_empty_table_is_fine(client, staff, database):
    await sign_in(client, "wang")
    assert "No alerts." in await (await client.get("/console/alerts")).text()
    async with database.engine.begin() as connection:
        household = (await connection.execute(insert(RegistryHouseholdRow).values(
            code="HH-0042", office="hubin", household={}, monthly_income=Decimal("0"), types=[], created_at=NOW,
            updated_at=NOW).returning(RegistryHouseholdRow.id))).scalar_one()
        other = (await connection.execute(insert(RegistryHouseholdRow).values(
            code="HH-0099", office="wenchang", household={}, monthly_income=Decimal("0"), types=[], created_at=NOW,
            updated_at=NOW).returning(RegistryHouseholdRow.id))).scalar_one()
        for hh, office in ((household, "hubin"), (other, "wenchang")):
            await connection.execute(insert(AlertRow).values(
                household_id=hh, office=office, trigger="death_of_earner", reason={}, trace={}, status="new",
                deadline_at=NOW + timedelta(days=3), created_at=NOW))
    page = await (await client.get("/console/alerts")).text()
    assert "HH-0042" in page and "death_of_earner" in page and "HH-0099" not in page


async def test_volunteers_tasks_points_and_projects(client, staff, database):
    volunteer_id, _ = await volunteer(database, name="李华")
    async with database.unit_of_work() as uow:
        await Ledger(PACK).record_donation(uow, Holder("enterprise"), "acme", "Acme 公司", kind=Donation("money"),
                                           amount=Decimal("100"), by="wang", now=NOW, note="")
        await uow.commit()
    await sign_in(client, "boss")
    people = await (await client.get("/console/volunteers")).text()
    assert "李华" in people
    points = await (await client.get("/console/points")).text()
    assert "Acme 公司" in points and "shop" in points
    projects = await (await client.get("/console/projects")).text()
    assert "of" in projects and "taken" in projects


async def test_the_dashboard_counts_households_the_funnel_and_decision_times(client, staff, database):
    await submit(database, payload(1), "r1")
    await submit(database, payload(2, urgent=True), "r2")
    async with database.engine.begin() as connection:
        # Three residents: one stopped at consent, one at the office, one submitted.
        for resident, last in (("r1", "consent"), ("r2", "office"), ("r3", "submitted")):
            from backend.db.models import ResidentRow

            exists = await connection.scalar(ResidentRow.__table__.select().where(ResidentRow.id == resident))
            if not exists:
                await connection.execute(insert(ResidentRow).values(id=resident, created_at=NOW))
            steps = FUNNEL[: FUNNEL.index(last) + 1]
            for turn, (before, after) in enumerate(zip(("new", *steps), steps, strict=False)):
                await connection.execute(insert(ConversationTurnRow).values(
                    resident_id=resident, flow="intake", turn=turn, state_before=before, state_after=after,
                    event_kind="text", at=NOW))
    await sign_in(client, "wang")
    page = await (await client.get("/console/dashboard")).text()
    assert page.count('<svg class="chart') == 6
    assert "Started" in page and "Submitted" in page and "stopped here" in page


def test_the_funnel_lists_only_the_steps_asked_and_its_drop_offs_add_up():
    from backend.console.dashboard import funnel

    steps = ("consent", "proxy_name", "name", "rent", "summary", "submitted")
    # Ten started; nobody was asked for a proxy's name; the rent was asked of two, after the name.
    furthest = {-1: 2, 0: 3, 2: 1, 3: 1, 5: 3}
    reached = {"consent": 8, "name": 5, "rent": 2, "summary": 3, "submitted": 3}
    rows = funnel(furthest, reached, steps)
    assert [(r.step, r.reached, r.dropped) for r in rows] == [
        ("started", 10, 2), ("consent", 8, 3), ("name", 5, 1), ("rent", 2, 1), ("summary", 3, 0), ("submitted", 3, 0)
    ]
    assert sum(r.dropped for r in rows) + rows[-1].reached == rows[0].reached
    assert all(0 <= r.dropped <= r.reached for r in rows)


async def test_the_dashboard_funnel_follows_the_branches_residents_took(client, staff, database):
    """Residents skip the questions their answers make moot: a skipped step is not a step they
    passed, and one nobody was asked is not listed; no count is shown as negative."""
    from backend.db.models import ResidentRow

    # r1 applies for themself (never asked about a proxy) and stops at the office; r2 applies
    # for someone else, is asked the relationship and the proxy's name, and submits.
    walks = {
        "r1": ("language", "consent", "for_whom", "name", "id_number", "mobile", "district", "office"),
        "r2": ("language", "consent", "for_whom", "relationship", "proxy_name", "name", "summary", "submitted"),
    }
    async with database.engine.begin() as connection:
        for resident, steps in walks.items():
            await connection.execute(insert(ResidentRow).values(id=resident, created_at=NOW))
            for turn, (before, after) in enumerate(zip(("new", *steps), steps, strict=False)):
                await connection.execute(insert(ConversationTurnRow).values(
                    resident_id=resident, flow="intake", turn=turn, state_before=before, state_after=after,
                    event_kind="text", at=NOW))
    async with database.unit_of_work() as uow:
        reached = await uow.reports.reached_steps("intake", FUNNEL, since=NOW - timedelta(days=1))
    assert reached["consent"] == 2 and reached["proxy_name"] == 1 and "rent" not in reached
    await sign_in(client, "wang")
    page = await (await client.get("/console/dashboard")).text()
    funnel = page[page.index('id="funnel"'):page.index('id="decisions"')]
    assert ">Your own name<" in funnel and ">Monthly rent<" not in funnel and ">Household size<" not in funnel
    assert "(1 stopped here)" in funnel and "−" not in funnel
    await client.get("/console/language?to=zh_CN&next=/console/dashboard")
    page = await (await client.get("/console/dashboard")).text()
    assert "（其中 1 人在此停止）" in page and "−" not in page


def test_decision_times_against_the_deadline():
    from backend.console.dashboard import decision_times
    from backend.store.console import Decision

    decisions = [Decision(False, NOW, NOW + timedelta(days=d), None) for d in (1, 3, 12)]
    decisions.append(Decision(True, NOW, NOW + timedelta(hours=30), NOW + timedelta(hours=24)))
    times = decision_times(decisions, review_days=10)
    assert (times.decided, times.on_time, times.median_days) == (4, 2, 3.0)
    assert (times.emergencies, times.emergencies_on_time, times.emergency_median_hours) == (1, 0, 30.0)
    late = [label for label, count, is_late in times.buckets if count and is_late]
    assert late == ["12"]



def test_decision_times_against_each_cases_own_deadline():
    from backend.console.dashboard import decision_times
    from backend.store.console import Decision

    # Deadlines of 40 and 42 days: a decision after 41 days is on time for one, late for the other.
    decisions = [Decision(False, NOW, NOW + timedelta(days=41), NOW + timedelta(days=42)),
                 Decision(False, NOW, NOW + timedelta(days=41), NOW + timedelta(days=40)),
                 Decision(False, NOW, NOW + timedelta(days=5), NOW + timedelta(days=42))]
    times = decision_times(decisions, review_days=10)
    assert (times.decided, times.on_time, times.limit_days) == (3, 2, 42)
    assert not any(is_late for _, count, is_late in times.buckets if count)  # 41 days is within the typical 42

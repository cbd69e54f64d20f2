"""The intake service: one open application per household, even when two arrive at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backend.crypto import IdHasher
from backend.db.models import ApplicationRow
from backend.intake import Duplicate, IntakeService, Submitted
from backend.policy.pack import load_pack
from tests.backend.factories import application

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def payload() -> dict:
    data = application().model_dump(mode="json")
    data.pop("document_ids", None)
    return data


async def submit(database, service, resident: str):
    async with database.unit_of_work() as uow:
        who = await uow.residents.identify("test", resident, now=NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        outcome = await service.submit(uow, payload(), resident_id=who.id, document_ids=[], now=NOW)
        await uow.commit()
        return outcome


async def test_a_second_application_of_the_same_household_is_a_duplicate(database):
    service = IntakeService(IdHasher(b"k"))
    first = await submit(database, service, "a")
    second = await submit(database, service, "b")
    assert isinstance(first, Submitted)
    assert isinstance(second, Duplicate) and second.existing.number == first.application.number


async def test_two_submissions_at_once_make_one_application(database):
    service = IntakeService(IdHasher(b"k"))
    results = await asyncio.gather(
        *(submit(database, service, f"r{i}") for i in range(4)), return_exceptions=True
    )
    submitted = [r for r in results if isinstance(r, Submitted)]
    assert len(submitted) == 1, results
    # The others were told, or failed and will be retried by the resident: never a second application.
    assert all(isinstance(r, (Duplicate, Exception)) for r in results if r is not submitted[0])
    async with database.unit_of_work() as uow:
        assert len(await uow.applications.list_for_resident(submitted[0].application.number)) == 0
        found = await service.find_open(uow, [application().applicant.id_number])
    assert found is not None and found.number == submitted[0].application.number


async def _submitted_in_hubin(database, *, urgent: bool, at: datetime = NOW):
    """An application of hubin submitted under the demo pack: the outcome and its stored row."""
    service = IntakeService(IdHasher(b"k"), pack=load_pack("demo"))
    data = payload()
    if urgent:
        data["urgent_needs"] = ["no_food"]
    data["region"] = {"district": "minghu", "office": "hubin"}
    async with database.unit_of_work() as uow:
        who = await uow.residents.identify("test", "z", now=at)
        outcome = await service.submit(uow, data, resident_id=who.id, document_ids=[], now=at)
        await uow.commit()
    async with database.engine.connect() as connection:
        row = (await connection.execute(select(ApplicationRow))).one()
    return outcome, row


async def test_a_submitted_application_is_assessed_and_routed_in_the_same_transaction(database):
    outcome, row = await _submitted_in_hubin(database, urgent=True)
    async with database.unit_of_work() as uow:
        history = await uow.applications.history(outcome.application.number)
    assert [h.status.value for h in history] == ["submitted", "assessed"]
    assert row.status == "assessed" and row.emergency is True
    assert row.deadline_at == NOW + timedelta(hours=24)
    assert "temporary" in row.queues
    assert row.assessment["layer"] == row.layer and row.assessment["trace"]


async def test_the_date_promised_to_the_resident_is_the_cases_deadline(database):
    # Saturday evening in UTC is Sunday Dec 6 in Demo City. Acceptance: 3 working days (Dec 9);
    # review: 10 (Dec 23); notice: 7 days (Dec 30); approval: 10 working days, counted Monday to
    # Friday from Jan 1 2027 on (no holiday data for 2027 yet): Dec 31, Jan 1, 4–8, 11–13.
    outcome, row = await _submitted_in_hubin(database, urgent=False, at=datetime(2026, 12, 5, 21, 20, tzinfo=UTC))
    assert isinstance(outcome, Submitted) and row.emergency is False
    assert outcome.review_by == date(2027, 1, 13)
    assert row.deadline_at.astimezone(ZoneInfo("Asia/Shanghai")).date() == outcome.review_by
    assert row.deadline_at == datetime(2027, 1, 13, 23, 59, 59, tzinfo=ZoneInfo("Asia/Shanghai"))


async def test_an_emergency_is_promised_the_day_of_its_hours_deadline(database):
    outcome, row = await _submitted_in_hubin(database, urgent=True)
    assert row.deadline_at == NOW + timedelta(hours=24)
    # 02:00 UTC on Nov 30 is 10:00 in Demo City.
    assert isinstance(outcome, Submitted) and outcome.review_by == date(2026, 11, 30)

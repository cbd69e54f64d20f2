"""Contract of the storage ports, run against whichever database the fixture provides."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.application import ApplicationV1
from backend.cases.ports import Transition
from backend.db.database import Database
from backend.db.models import ApplicationIdHashRow, ConversationTurnRow, HouseholdMemberRow, ResidentRow
from backend.ports import (
    ApplicationSummary,
    DocumentMeta,
    DueSession,
    StatusChange,
    UnitOfWork,
)
from backend.status import ApplicationStatus
from tests.backend import factories
from tests.backend.contract_helpers import NOW, SHANGHAI, hashes_of, id_hash, new_resident


def test_unit_of_work_satisfies_the_port(database: Database) -> None:
    """The SQL unit of work is a ports.UnitOfWork (checked statically by mypy, at runtime by shape)."""
    uow: UnitOfWork = database.unit_of_work()
    for name in ("residents", "sessions", "applications", "documents", "commit"):
        assert hasattr(uow, name)


class TestResidents:
    async def test_identify_creates_once(self, database: Database) -> None:
        async with database.unit_of_work() as uow:
            first = await uow.residents.identify("telegram", "42", now=NOW)
            await uow.commit()
        async with database.unit_of_work() as uow:
            again = await uow.residents.identify("telegram", "42", now=NOW + timedelta(days=1))
        assert again == first
        assert first.locale is None and first.created_at == NOW

    async def test_identify_twice_in_one_unit(self, database: Database) -> None:
        async with database.unit_of_work() as uow:
            first = await uow.residents.identify("telegram", "42", now=NOW)
            assert await uow.residents.identify("telegram", "42", now=NOW) == first

    async def test_channels_are_separate_identities(self, database: Database) -> None:
        async with database.unit_of_work() as uow:
            telegram = await uow.residents.identify("telegram", "42", now=NOW)
            wechat = await uow.residents.identify("wechat", "42", now=NOW)
            other = await uow.residents.identify("telegram", "43", now=NOW)
        assert len({telegram.id, wechat.id, other.id}) == 3

    async def test_concurrent_first_contact_makes_one_resident(self, database: Database) -> None:
        async def first_contact() -> str:
            async with database.unit_of_work() as uow:
                resident = await uow.residents.identify("telegram", "42", now=NOW)
                await uow.commit()
            return resident.id

        ids = await asyncio.gather(*(first_contact() for _ in range(4)))
        assert len(set(ids)) == 1
        async with database.engine.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(ResidentRow)) == 1

    async def test_new_id_is_injectable(self, database_url: str) -> None:
        db = Database(database_url, new_id=lambda: "resident-fixed")
        await db.connect()
        try:
            async with db.unit_of_work() as uow:
                assert (await uow.residents.identify("telegram", "x", now=NOW)).id == "resident-fixed"
        finally:
            await db.dispose()

    async def test_set_locale_and_get(self, database: Database) -> None:
        resident_id = await new_resident(database)
        async with database.unit_of_work() as uow:
            await uow.residents.set_locale(resident_id, "ug")
            await uow.commit()
        async with database.unit_of_work() as uow:
            resident = await uow.residents.get(resident_id)
            assert await uow.residents.get("nobody") is None
        assert resident is not None and resident.locale == "ug"

    async def test_set_locale_is_seen_in_the_same_unit(self, database: Database) -> None:
        async with database.unit_of_work() as uow:
            resident = await uow.residents.identify("telegram", "1", now=NOW)
            await uow.residents.set_locale(resident.id, "zh-CN")
            found = await uow.residents.get(resident.id)
        assert found is not None and found.locale == "zh-CN"


class TestSessions:
    SNAPSHOT = {
        "state": "household.members",
        "answers": {"name": "阿依古丽", "members": [{"age": 7, "tags": ["学生", None, True]}, {}]},
        "counts": [1, 2.5, -3],
        "note": "emoji 👍 and \"quotes\"",
    }

    async def save(
        self, db: Database, resident_id: str, snapshot: dict[str, Any], **times: datetime | None
    ) -> None:
        """Save and commit a session of flow 'intake'."""
        async with db.unit_of_work() as uow:
            await uow.sessions.save(
                resident_id,
                "intake",
                snapshot,
                state=str(snapshot.get("state", "start")),
                updated_at=NOW,
                remind_at=times.get("remind_at"),
                expire_at=times.get("expire_at"),
            )
            await uow.commit()

    async def test_json_round_trip(self, database: Database) -> None:
        resident_id = await new_resident(database)
        await self.save(database, resident_id, self.SNAPSHOT)
        async with database.unit_of_work() as uow:
            assert await uow.sessions.load(resident_id, "intake") == self.SNAPSHOT
            assert await uow.sessions.load(resident_id, "other-flow") is None

    async def test_save_is_an_upsert(self, database: Database) -> None:
        resident_id = await new_resident(database)
        await self.save(database, resident_id, self.SNAPSHOT, remind_at=NOW)
        await self.save(database, resident_id, {"state": "done"})
        async with database.unit_of_work() as uow:
            assert await uow.sessions.load(resident_id, "intake") == {"state": "done"}
            # The replacement cleared the reminder too.
            assert await uow.sessions.due(NOW + timedelta(days=1)) == []

    async def test_save_twice_in_one_unit(self, database: Database) -> None:
        resident_id = await new_resident(database)
        async with database.unit_of_work() as uow:
            for n in range(2):
                await uow.sessions.save(
                    resident_id, "intake", {"n": n}, state="s", updated_at=NOW, remind_at=None, expire_at=None
                )
            assert await uow.sessions.load(resident_id, "intake") == {"n": 1}

    async def test_delete(self, database: Database) -> None:
        resident_id = await new_resident(database)
        await self.save(database, resident_id, self.SNAPSHOT)
        async with database.unit_of_work() as uow:
            await uow.sessions.delete(resident_id, "intake")
            await uow.sessions.delete(resident_id, "never-saved")
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert await uow.sessions.load(resident_id, "intake") is None

    async def test_due_by_remind_at_and_expire_at(self, database: Database) -> None:
        reminded = await new_resident(database, "a")
        expiring = await new_resident(database, "b")
        later = await new_resident(database, "c")
        idle = await new_resident(database, "d")
        await self.save(database, reminded, {}, remind_at=NOW - timedelta(minutes=1))
        await self.save(database, expiring, {}, expire_at=NOW)
        await self.save(database, later, {}, remind_at=NOW + timedelta(seconds=1), expire_at=NOW + timedelta(days=1))
        await self.save(database, idle, {})
        async with database.unit_of_work() as uow:
            due = await uow.sessions.due(NOW)
            # An aware time in another zone names the same instant.
            assert await uow.sessions.due(NOW.astimezone(SHANGHAI)) == due
            assert len(await uow.sessions.due(NOW + timedelta(days=2))) == 3
        assert sorted(due, key=lambda d: d.resident_id) == sorted(
            [DueSession(reminded, "intake"), DueSession(expiring, "intake")], key=lambda d: d.resident_id
        )

    async def test_record_turn(self, database: Database) -> None:
        resident_id = await new_resident(database)
        async with database.unit_of_work() as uow:
            for turn in (1, 2):
                await uow.sessions.record_turn(
                    resident_id, "intake", turn=turn, state_before="a", state_after="b", event_kind="text", at=NOW
                )
            await uow.commit()
        async with database.engine.connect() as connection:
            rows = (await connection.execute(select(ConversationTurnRow.__table__))).mappings().all()
        assert [(r["turn"], r["state_before"], r["state_after"], r["event_kind"]) for r in rows] == [
            (1, "a", "b", "text"),
            (2, "a", "b", "text"),
        ]


class TestApplications:
    async def add(
        self, db: Database, resident_id: str, application: ApplicationV1, *, at: datetime = NOW
    ) -> ApplicationSummary:
        """Add and commit; return the summary."""
        async with db.unit_of_work() as uow:
            summary = await uow.applications.add(
                application,
                resident_id=resident_id,
                id_hashes=hashes_of(application),
                status=ApplicationStatus.SUBMITTED,
                at=at,
            )
            await uow.commit()
        return summary

    async def test_add_numbers_and_stores(self, database: Database) -> None:
        resident_id = await new_resident(database)
        application = factories.application()
        summary = await self.add(database, resident_id, application)
        assert re.fullmatch(r"YM20261129\d{6}", summary.number)
        assert summary.status is ApplicationStatus.SUBMITTED
        assert summary.submitted_at == application.submitted_at
        assert summary.office == application.region.office
        async with database.unit_of_work() as uow:
            assert await uow.applications.get(summary.number) == application
            assert await uow.applications.get("YM00000000000000") is None
            assert await uow.applications.history(summary.number) == [
                StatusChange(ApplicationStatus.SUBMITTED, NOW, "")
            ]
            assert await uow.applications.list_for_resident(resident_id) == [summary]

    async def test_number_uses_the_date_of_at(self, database: Database) -> None:
        resident_id = await new_resident(database)
        at = datetime(2027, 1, 1, 0, 30, tzinfo=SHANGHAI)
        summary = await self.add(database, resident_id, factories.application(), at=at)
        assert summary.number.startswith("YM20270101")
        async with database.unit_of_work() as uow:
            (change,) = await uow.applications.history(summary.number)
        assert change.at == at and change.at.tzinfo is not None

    async def test_members_and_hashes_are_queryable(self, database: Database) -> None:
        resident_id = await new_resident(database)
        application = factories.application()
        await self.add(database, resident_id, application)
        async with database.engine.connect() as connection:
            incomes = (
                await connection.scalars(
                    select(HouseholdMemberRow.monthly_income).order_by(HouseholdMemberRow.position)
                )
            ).all()
            hashes = set((await connection.scalars(select(ApplicationIdHashRow.id_hash))).all())
        assert incomes == [Decimal("0.00"), Decimal("1850.50"), Decimal("0.00")]
        assert all(isinstance(i, Decimal) for i in incomes)
        assert hashes == set(hashes_of(application))

    async def test_find_open_by_any_member(self, database: Database) -> None:
        resident_id = await new_resident(database)
        application = factories.application()
        summary = await self.add(database, resident_id, application)
        async with database.unit_of_work() as uow:
            for number in application.id_numbers():
                assert await uow.applications.find_open([id_hash("other"), id_hash(number)]) == summary
            assert await uow.applications.find_open([id_hash(factories.id_number(99))]) is None
            assert await uow.applications.find_open([]) is None

    async def test_find_open_returns_the_newest(self, database: Database) -> None:
        resident_id = await new_resident(database)
        older = factories.application(submitted_at=NOW - timedelta(days=3))
        newer = factories.application(submitted_at=NOW - timedelta(days=1))
        await self.add(database, resident_id, older)
        newest = await self.add(database, resident_id, newer)
        async with database.unit_of_work() as uow:
            assert await uow.applications.find_open(hashes_of(older)) == newest
            assert [s.number for s in await uow.applications.list_for_resident(resident_id)][0] == newest.number

    async def test_closed_application_is_not_open(self, database: Database) -> None:
        resident_id = await new_resident(database)
        application = factories.application()
        summary = await self.add(database, resident_id, application)
        closed_at = NOW + timedelta(days=5)
        async with database.unit_of_work() as uow:
            closing = Transition(status=ApplicationStatus.CLOSED, action="close", actor="system", note="结案",
                                 at=closed_at)
            await uow.cases.transition(summary.number, closing)
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert await uow.applications.find_open(hashes_of(application)) is None
            assert await uow.applications.history(summary.number) == [
                StatusChange(ApplicationStatus.SUBMITTED, NOW, ""),
                StatusChange(ApplicationStatus.CLOSED, closed_at, "结案"),
            ]
            (listed,) = await uow.applications.list_for_resident(resident_id)
        assert listed.status is ApplicationStatus.CLOSED

    async def test_transition_of_unknown_number(self, database: Database) -> None:
        async with database.unit_of_work() as uow:
            with pytest.raises(LookupError):
                await uow.cases.transition(
                    "YM0", Transition(status=ApplicationStatus.CLOSED, action="close", actor="system", note="", at=NOW)
                )

    async def test_list_for_resident_is_per_resident(self, database: Database) -> None:
        mine = await new_resident(database, "me")
        theirs = await new_resident(database, "them")
        summary = await self.add(database, mine, factories.application())
        await self.add(database, theirs, factories.application(applicant_id=factories.id_number(50)))
        async with database.unit_of_work() as uow:
            assert await uow.applications.list_for_resident(mine) == [summary]
            assert await uow.applications.list_for_resident("nobody") == []


class TestDocuments:
    def meta(self, resident_id: str, document_id: str, *, minutes: int = 0) -> DocumentMeta:
        """Metadata of a small PDF uploaded ``minutes`` after NOW."""
        return DocumentMeta(
            id=document_id,
            resident_id=resident_id,
            filename="诊断证明.pdf",
            mime="application/pdf",
            size=1234,
            sha256="ab" * 32,
            storage_key=f"ab/{document_id}",
            created_at=NOW + timedelta(minutes=minutes),
        )

    async def test_add_get(self, database: Database) -> None:
        resident_id = await new_resident(database)
        document = self.meta(resident_id, "d1")
        async with database.unit_of_work() as uow:
            await uow.documents.add(document)
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert await uow.documents.get("d1") == document
            assert await uow.documents.get("missing") is None

    async def test_attach_and_unattached(self, database: Database) -> None:
        resident_id = await new_resident(database)
        stranger = await new_resident(database, "stranger")
        async with database.unit_of_work() as uow:
            for n, owner in enumerate((resident_id, resident_id, resident_id, stranger)):
                await uow.documents.add(self.meta(owner, f"d{n}", minutes=n))
            summary = await uow.applications.add(
                factories.application(),
                resident_id=resident_id,
                id_hashes=[],
                status=ApplicationStatus.SUBMITTED,
                at=NOW,
            )
            assert [d.id for d in await uow.documents.unattached(resident_id)] == ["d0", "d1", "d2"]
            # d3 belongs to someone else and must not be pulled in.
            await uow.documents.attach(["d0", "d2", "d3"], summary.number)
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert [d.id for d in await uow.documents.unattached(resident_id)] == ["d1"]
            assert [d.id for d in await uow.documents.unattached(stranger)] == ["d3"]
            with pytest.raises(LookupError):
                await uow.documents.attach(["d1"], "YM-missing")

    async def test_delete_returns_the_rows(self, database: Database) -> None:
        resident_id = await new_resident(database)
        documents = [self.meta(resident_id, f"d{n}") for n in range(3)]
        async with database.unit_of_work() as uow:
            for document in documents:
                await uow.documents.add(document)
            await uow.commit()
        async with database.unit_of_work() as uow:
            deleted = await uow.documents.delete(["d0", "d2", "missing"])
            assert await uow.documents.delete([]) == []
            await uow.commit()
        assert sorted(deleted, key=lambda d: d.id) == [documents[0], documents[2]]
        async with database.unit_of_work() as uow:
            assert [d.id for d in await uow.documents.unattached(resident_id)] == ["d1"]

"""Contract of the storage ports, continued: escalations, the unit of work and stored times, run
against whichever database the fixture provides."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timedelta

import pytest

from backend.db.database import Database
from backend.ports import (
    DocumentMeta,
    EscalationScope,
)
from tests.backend.contract_helpers import NOW, SHANGHAI, new_resident


class TestEscalations:
    """Requests for a person as staff see them: every listing and claim keeps to the scope."""

    HUBIN = EscalationScope(frozenset({"hubin"}), False, "wang")  # a caseworker of hubin
    SUPERVISOR = EscalationScope(frozenset({"hubin"}), True, "boss")
    ADMIN = EscalationScope(None, True, "admin")

    async def tickets(self, database: Database) -> tuple[int, int, int]:
        """Open requests of the city-level queue, of hubin and of wenchang (their ids)."""
        ids = []
        async with database.unit_of_work() as uow:
            for n, office in enumerate((None, "hubin", "wenchang")):
                resident = await uow.residents.identify("telegram", f"r{n}", now=NOW)
                ids.append((await uow.escalations.add(resident.id, reason="asked", step="name", at=NOW,
                                                      office=office)).id)
            await uow.commit()
        return ids[0], ids[1], ids[2]

    async def test_listings_keep_to_the_scope(self, database: Database) -> None:
        city, hubin, wenchang = await self.tickets(database)
        async with database.unit_of_work() as uow:
            assert [t.id for t in await uow.escalations.waiting(self.HUBIN)] == [hubin]
            assert [t.id for t in await uow.escalations.waiting(self.SUPERVISOR)] == [city, hubin]
            assert [t.id for t in await uow.escalations.waiting(self.ADMIN)] == [city, hubin, wenchang]
            assert [t.id for t in await uow.escalations.listed(self.HUBIN, limit=10)] == [hubin]
            assert [t.id for t in await uow.escalations.listed(self.ADMIN.only("wenchang"), limit=10)] == [wenchang]
            assert await uow.escalations.visible(city, self.HUBIN) is None
            assert (await uow.escalations.visible(city, self.SUPERVISOR)).id == city
            assert await uow.escalations.visible(wenchang, self.SUPERVISOR) is None
            assert [t.id for t in await uow.escalations.without_office()] == [city]

    async def test_claims_keep_to_the_scope(self, database: Database) -> None:
        city, hubin, wenchang = await self.tickets(database)
        async with database.unit_of_work() as uow:
            assert not await uow.escalations.claim(city, "wang", scope=self.HUBIN, at=NOW)
            assert not await uow.escalations.claim(wenchang, "wang", scope=self.HUBIN, at=NOW)
            assert await uow.escalations.claim(hubin, "wang", scope=self.HUBIN, at=NOW)
            assert await uow.escalations.claim(city, "boss", scope=self.SUPERVISOR, at=NOW)
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert (await uow.escalations.get(city)).claimed_by == "boss"
            assert (await uow.escalations.get(wenchang)).status == "open"
            # What a user holds stays listed and readable for them.
            assert [t.id for t in await uow.escalations.listed(self.SUPERVISOR, limit=10)] == [city]
            assert (await uow.escalations.visible(hubin, self.HUBIN)).claimed_by == "wang"

    async def test_route_moves_an_open_request_of_the_city_once(self, database: Database) -> None:
        city, hubin, _ = await self.tickets(database)
        async with database.unit_of_work() as uow:
            assert await uow.escalations.route(city, "hubin")
            assert not await uow.escalations.route(city, "wenchang")  # it has an office now
            assert not await uow.escalations.route(hubin, "wenchang")
            await uow.commit()
        async with database.unit_of_work() as uow:
            assert (await uow.escalations.get(city)).office == "hubin"
            assert [t.id for t in await uow.escalations.waiting(self.HUBIN)] == [city, hubin]
            assert await uow.escalations.without_office() == []

    def test_scope_of_each_role(self) -> None:
        from backend.cases.ports import Role, User

        def user(role: Role, office: str | None) -> User:
            return User(1, "u", "U", role, office, None, True, True, NOW)

        assert EscalationScope.of(user(Role.CASEWORKER, "hubin")) == EscalationScope(frozenset({"hubin"}), False, "u")
        assert EscalationScope.of(user(Role.SUPERVISOR, "hubin")) == EscalationScope(frozenset({"hubin"}), True, "u")
        assert EscalationScope.of(user(Role.ADMIN, None)) == EscalationScope(None, True, "u")
        assert EscalationScope.of(user(Role.MERCHANT, None)) == EscalationScope(frozenset(), False, "u")


class TestUnitOfWork:
    async def test_exit_without_commit_rolls_back(self, database: Database) -> None:
        async with database.unit_of_work() as uow:
            resident = await uow.residents.identify("telegram", "1", now=NOW)
            await uow.sessions.save(resident.id, "intake", {}, state="s", updated_at=NOW, remind_at=None,
                                    expire_at=None)
        async with database.unit_of_work() as uow:
            assert await uow.residents.get(resident.id) is None
            assert await uow.sessions.load(resident.id, "intake") is None

    async def test_exception_rolls_back(self, database: Database) -> None:
        resident_id = await new_resident(database)
        with pytest.raises(RuntimeError):
            async with database.unit_of_work() as uow:
                await uow.residents.set_locale(resident_id, "ug")
                raise RuntimeError("turn failed")
        async with database.unit_of_work() as uow:
            resident = await uow.residents.get(resident_id)
        assert resident is not None and resident.locale is None

    async def test_work_after_commit_is_rolled_back(self, database: Database) -> None:
        resident_id = await new_resident(database)
        async with database.unit_of_work() as uow:
            await uow.residents.set_locale(resident_id, "zh-CN")
            await uow.commit()
            await uow.residents.set_locale(resident_id, "ug")
        async with database.unit_of_work() as uow:
            resident = await uow.residents.get(resident_id)
        assert resident is not None and resident.locale == "zh-CN"

    async def test_foreign_keys_are_enforced(self, database: Database) -> None:
        with pytest.raises(Exception, match="(?i)foreign key"):
            async with database.unit_of_work() as uow:
                await uow.sessions.save("nobody", "intake", {}, state="s", updated_at=NOW, remind_at=None,
                                        expire_at=None)

    async def test_a_unit_of_work_whose_references_are_kept_leaves_them_checked_for_the_next(
            self, database: Database) -> None:
        # SQLite skips the check (the row is rolled back); PostgreSQL checks whatever the unit of work says.
        skipped = database.engine.dialect.name == "sqlite"
        with nullcontext() if skipped else pytest.raises(Exception, match="(?i)foreign key"):
            async with database.unit_of_work(references_kept=True) as uow:
                # Written only to show which check ran: such a unit of work never writes this.
                await uow.sessions.save("nobody", "intake", {}, state="s", updated_at=NOW, remind_at=None,
                                        expire_at=None)
        for _ in range(3):  # whichever pooled connection comes next
            with pytest.raises(Exception, match="(?i)foreign key"):
                async with database.unit_of_work() as uow:
                    await uow.sessions.save("nobody", "intake", {}, state="s", updated_at=NOW, remind_at=None,
                                            expire_at=None)


class TestDatetimes:
    async def test_come_back_aware_and_equal(self, database: Database) -> None:
        local = datetime(2026, 11, 29, 18, 0, 0, 654321, tzinfo=SHANGHAI)
        async with database.unit_of_work() as uow:
            resident = await uow.residents.identify("telegram", "1", now=local)
            await uow.documents.add(
                DocumentMeta(
                    id="d", resident_id=resident.id, filename="a", mime="image/jpeg", size=1,
                    sha256="0" * 64, storage_key="k", created_at=local,
                )
            )
            await uow.commit()
        async with database.unit_of_work() as uow:
            stored = await uow.residents.get(resident.id)
            document = await uow.documents.get("d")
        assert stored is not None and document is not None
        for value in (stored.created_at, document.created_at):
            assert value.utcoffset() == timedelta(0)
            assert value == local

    async def test_naive_datetimes_are_refused(self, database: Database) -> None:
        async with database.unit_of_work() as uow:
            with pytest.raises(Exception, match="naive"):
                await uow.residents.identify("telegram", "1", now=datetime(2026, 1, 1))

"""Applications enter the registry as they are assessed; ID numbers are shown only to the household's office."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backend.cases.ports import Role, User
from backend.cases.service import CaseService
from backend.db.database import Database
from backend.db.models import RegistryAssessmentRow, RegistryHouseholdRow, RegistryPersonRow
from backend.intake import IntakeService, Submitted
from backend.monitoring.registry import REVEAL_ACTION, reveal
from backend.ports import NotFound
from locales import mask_id_number
from tests.backend import factories
from tests.monitoring.registry_files import (
    HASHER,
    NOW,
    PACK,
    VAULT,
    import_registry_text,
    person,
    registry_csv,
)

APPLICANT = factories.id_number(1)
SPOUSE = factories.id_number(2, born=date(1982, 5, 17))
CHILD = factories.id_number(3, born=date(2014, 9, 1))


async def rows_of(database: Database, table: Any, order: Any) -> list[Any]:
    async with database.engine.connect() as connection:
        return list((await connection.execute(select(table).order_by(order))).all())


async def submit(database: Database, service: IntakeService, resident: str = "r1") -> str:
    data = factories.application(office="hubin", district="minghu").model_dump(mode="json")
    data.pop("document_ids", None)
    async with database.unit_of_work() as uow:
        who = await uow.residents.identify("terminal", resident, now=NOW)
        outcome = await service.submit(uow, data, resident_id=who.id, document_ids=[], now=NOW)
        await uow.commit()
    assert isinstance(outcome, Submitted), outcome
    return outcome.application.number


def service(*, vault: bool = True) -> IntakeService:
    return IntakeService(HASHER, pack=PACK, cases=CaseService(PACK), vault=VAULT if vault else None)


async def test_an_assessed_application_enters_the_registry(database: Database) -> None:
    number = await submit(database, service())

    [household] = await rows_of(database, RegistryHouseholdRow.__table__, RegistryHouseholdRow.id)
    assert (household.code, household.application_number, household.office) == (number, number, "hubin")
    async with database.unit_of_work() as uow:
        case = await uow.cases.get(number)
    assert case is not None
    assert household.layer == case.layer and household.resilience_level == case.resilience_level
    dumped = json.dumps(household.household)
    assert APPLICANT not in dumped and SPOUSE not in dumped and CHILD not in dumped
    assert len(household.household["members"]) == 3
    people = await rows_of(database, RegistryPersonRow.__table__, RegistryPersonRow.member)
    assert [(p.id_hash, p.member, p.relation) for p in people] == [
        (HASHER(APPLICANT), 0, "self"), (HASHER(SPOUSE), 1, "spouse"), (HASHER(CHILD), 2, "child")
    ]
    assert [p.name for p in people] == ["王小明", "", ""]  # only the applicant's name is known
    assert people[2].birth_date == date(2014, 9, 1)
    [entry] = await rows_of(database, RegistryAssessmentRow.__table__, RegistryAssessmentRow.id)
    assert entry.cause == "application" and entry.household_id == household.id


async def test_a_registered_household_is_the_one_the_application_updates(database: Database, tmp_path: Path) -> None:
    await import_registry_text(database, tmp_path, registry_csv(
        person("CA-1", SPOUSE), person("CA-1", factories.id_number(9), relation="parent", earner="0",
                                      work="retired", monthly_income="0"),
    ))
    number = await submit(database, service())

    [household] = await rows_of(database, RegistryHouseholdRow.__table__, RegistryHouseholdRow.id)
    assert household.code == "CA-1" and household.application_number == number
    people = await rows_of(database, RegistryPersonRow.__table__, RegistryPersonRow.member)
    # As the application declares it: the parent is no longer listed, the spouse keeps their row.
    assert [(p.id_hash, p.member) for p in people] == [(HASHER(APPLICANT), 0), (HASHER(SPOUSE), 1), (HASHER(CHILD), 2)]
    causes = [e.cause for e in await rows_of(database, RegistryAssessmentRow.__table__, RegistryAssessmentRow.id)]
    assert causes == ["import", "application"]


async def test_without_a_vault_nothing_is_seeded(database: Database) -> None:
    await submit(database, service(vault=False))
    assert await rows_of(database, RegistryHouseholdRow.__table__, RegistryHouseholdRow.id) == []


def staff(role: Role, office: str | None, username: str = "li", active: bool = True) -> User:
    return User(id=1, username=username, display_name=username, role=role, office=office, telegram_id=None,
                on_duty=False, active=active, created_at=NOW)


async def audit_of(database: Database, person_id: int) -> list[Any]:
    async with database.unit_of_work() as uow:
        return await uow.audit.for_target(f"registry_person:{person_id}")


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.SUPERVISOR])
async def test_the_households_office_sees_the_number_and_it_is_audited(database: Database, tmp_path: Path,
                                                                        role: Role) -> None:
    await import_registry_text(database, tmp_path, registry_csv(person("H1", SPOUSE)))
    [someone] = await rows_of(database, RegistryPersonRow.__table__, RegistryPersonRow.id)
    async with database.unit_of_work() as uow:
        shown = await reveal(uow, someone.id, staff(role, "hubin"), vault=VAULT, now=NOW)
        await uow.commit()
    assert shown == SPOUSE
    [entry] = await audit_of(database, someone.id)
    assert (entry.actor, entry.action) == ("li", REVEAL_ACTION)
    assert SPOUSE not in json.dumps(entry.details)


@pytest.mark.parametrize(
    "user",
    [staff(Role.CASEWORKER, "wenchang"), staff(Role.ADMIN, None), staff(Role.BOT_SERVICE, None),
     staff(Role.CASEWORKER, "hubin", active=False)],
)
async def test_everyone_else_sees_it_masked(database: Database, tmp_path: Path, user: User) -> None:
    await import_registry_text(database, tmp_path, registry_csv(person("H1", SPOUSE)))
    [someone] = await rows_of(database, RegistryPersonRow.__table__, RegistryPersonRow.id)
    async with database.unit_of_work() as uow:
        shown = await reveal(uow, someone.id, user, vault=VAULT, now=NOW)
        await uow.commit()
    assert shown == mask_id_number(SPOUSE) and SPOUSE[6:14] not in shown
    assert await audit_of(database, someone.id) == []


async def test_revealing_no_one_is_not_found(database: Database) -> None:
    async with database.unit_of_work() as uow:
        with pytest.raises(NotFound):
            await reveal(uow, 12345, staff(Role.CASEWORKER, "hubin"), vault=VAULT, now=NOW)

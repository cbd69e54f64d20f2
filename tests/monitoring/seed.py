"""Registry households, persons and feed events written straight into the tables, for trigger tests.

The importer of registry and feed files is tested on its own; these tests need exact rows.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update

from backend.db.database import Database
from backend.db.models import (
    AlertRow,
    FeedEventRow,
    RegistryAssessmentRow,
    RegistryHouseholdRow,
    RegistryPersonRow,
)
from backend.db.triggers import count_pending
from backend.policy.assess import assess
from backend.policy.household import Household
from backend.policy.pack import Pack, load_pack

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # 10:00 on 29 November 2026 in Demo City
TODAY = date(2026, 11, 29)
IMPORTED = NOW - timedelta(days=10)  # when the registry was imported and first assessed
PACK: Pack = load_pack("demo")
DISTRICT = {"hubin": "minghu", "wenchang": "minghu", "liuan": "minghu", "qingfeng": "qingshan"}
SOURCE_OF = {
    "death": "public_security", "registration_change": "public_security", "out_of_pocket": "medical",
    "disability_assessed": "disability", "unemployed": "hr", "employed": "hr", "enrolled": "education",
    "left_school": "education", "disaster_loss": "emergency", "assistance_exit": "civil_affairs",
    "income_change": "civil_affairs",
}
_records = itertools.count(1)


def member(relation: str = "self", age: int = 40, *, work: str = "employed", income: str = "0",
           health: str = "healthy", grade: int | None = None) -> dict[str, Any]:
    return {"relation": relation, "age": age, "health": health, "disability_grade": grade, "work": work,
            "monthly_income": income}


def household(*members: dict[str, Any], office: str = "hubin", savings: str = "0", medical: str = "0",
              pension: str = "0", types: tuple[str, ...] = (), housing: str = "own") -> dict[str, Any]:
    """A Household as JSON, checked by the model (as the registry stores it)."""
    data = {
        "members": list(members),
        "other_income": {"relatives_support": "0", "pension": pension, "agricultural": "0", "other": "0"},
        "assets": {"savings": savings, "vehicles": 0, "homes": 1 if housing == "own" else 0},
        "rigid_spending": {"medical": medical, "education": "0"},
        "housing": {"status": housing, "monthly_rent": None},
        "hardship": {"types": list(types), "account": ""},
        "region": {"district": DISTRICT[office], "office": office},
    }
    return Household.model_validate(data).model_dump(mode="json")



# An earner of 45 with ¥4,500 a month, a spouse unable to work and a schoolchild: a watched
# household (per capita ¥1,500), ¥54,000 of income a year.
FAMILY = household(member("self", 45, income="4500"), member("spouse", 43, work="unable"),
                   member("child", 10, work="student"))


@dataclass(frozen=True, slots=True)
class Seeded:
    id: int
    persons: tuple[int, ...]  # person ids, in member order

    def person(self, member: int = 0) -> int:
        return self.persons[member]


async def add_household(database: Database, data: dict[str, Any], *, code: str | None = None,
                        earners: tuple[int, ...] | None = None, assessed_at: datetime = IMPORTED) -> Seeded:
    """A registry household assessed as the import would, with one person per member.

    ``earners``: the members marked as earners (default: the employed ones).
    """
    model = Household.model_validate(data)
    result = assess(model, TODAY, PACK)
    income = sum((m.monthly_income for m in model.members), Decimal(0)) + sum(
        model.other_income.model_dump().values(), Decimal(0))
    office = model.region.office if model.region else "hubin"
    async with database.engine.begin() as connection:
        serial = await connection.scalar(select(func.count()).select_from(RegistryHouseholdRow))
        code = code or f"H{serial + 1:05d}-{next(_records)}"
        household_id = (await connection.execute(insert(RegistryHouseholdRow).values(
            code=code, office=office, household=data, monthly_income=income, layer=result.layer.value,
            resilience_level=result.resilience.level, types=[t.value for t in result.types],
            assessed_at=assessed_at, created_at=assessed_at, updated_at=assessed_at,
        ).returning(RegistryHouseholdRow.id))).scalar_one()
        await connection.execute(insert(RegistryAssessmentRow).values(
            household_id=household_id, layer=result.layer.value, resilience_level=result.resilience.level,
            types=[t.value for t in result.types], cause="import", at=assessed_at))
        persons = []
        for index, m in enumerate(model.members):
            earner = (index in earners) if earners is not None else m.work.value == "employed"
            person_id = (await connection.execute(insert(RegistryPersonRow).values(
                household_id=household_id, id_hash=f"{code}-{index}", id_cipher="sealed", name=f"成员{index}",
                birth_date=date(TODAY.year - m.age, 1, 1), relation=m.relation.value, member=index,
                category="dibao", earner=earner, created_at=assessed_at,
            ).returning(RegistryPersonRow.id))).scalar_one()
            persons.append(person_id)
    return Seeded(household_id, tuple(persons))


def event(person: int, household_id: int, kind: str, *, on: date = TODAY, amount: str | Decimal | None = None,
          grade: int | None = None, detail: dict[str, Any] | None = None, imported_at: datetime = NOW,
          evaluated: bool = False) -> dict[str, Any]:
    return {
        "source": SOURCE_OF[kind], "record_id": f"R{next(_records)}", "person_id": person,
        "household_id": household_id, "kind": kind, "occurred_on": on,
        "amount": None if amount is None else Decimal(amount), "grade": grade, "detail": detail or {},
        "imported_at": imported_at, "evaluated": evaluated,
    }


async def add_events(database: Database, rows: list[dict[str, Any]]) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(insert(FeedEventRow), rows)


async def pending(database: Database) -> int:
    async with database.engine.connect() as connection:
        return await count_pending(connection)


async def registry(database: Database, household_id: int) -> RegistryHouseholdRow:
    async with database.engine.connect() as connection:
        return (await connection.execute(
            select(RegistryHouseholdRow).where(RegistryHouseholdRow.id == household_id))).one()


async def history(database: Database, household_id: int) -> list[tuple[str | None, int | None, str]]:
    async with database.engine.connect() as connection:
        rows = await connection.execute(
            select(RegistryAssessmentRow.layer, RegistryAssessmentRow.resilience_level, RegistryAssessmentRow.cause)
            .where(RegistryAssessmentRow.household_id == household_id).order_by(RegistryAssessmentRow.id))
        return [tuple(r) for r in rows]


async def alerts(database: Database, household_id: int | None = None) -> list[Any]:
    async with database.engine.connect() as connection:
        statement = select(AlertRow).order_by(AlertRow.id)
        if household_id is not None:
            statement = statement.where(AlertRow.household_id == household_id)
        return list((await connection.execute(statement)).all())


async def add_alert(database: Database, household_id: int, *, office: str = "hubin", trigger: str = "disaster_loss",
                    status: str = "new", created_at: datetime = NOW, deadline_at: datetime | None = None,
                    reason: dict[str, Any] | None = None) -> int:
    """An alert as evaluation raises it (the reason of a disaster loss unless given)."""
    async with database.engine.begin() as connection:
        return (await connection.execute(insert(AlertRow).values(
            household_id=household_id, office=office, trigger=trigger,
            reason=reason or {"rule": trigger, "test": "disaster_loss", "params": {"loss": "5000.00"}},
            trace={"before": {"layer": "watch"}, "after": {"layer": "dibao"}}, status=status,
            deadline_at=deadline_at or created_at + timedelta(hours=48), created_at=created_at,
        ).returning(AlertRow.id))).scalar_one()


async def reimport(database: Database, household_id: int, data: dict[str, Any], *, at: datetime) -> None:
    """The household's facts as a new import of the registry sets them, assessed with them (its events
    so far count as applied)."""
    result = assess(Household.model_validate(data), TODAY, PACK)
    async with database.engine.begin() as connection:
        await connection.execute(update(RegistryHouseholdRow).where(RegistryHouseholdRow.id == household_id)
                                 .values(household=data, layer=result.layer.value,
                                         resilience_level=result.resilience.level,
                                         types=[t.value for t in result.types], assessed_at=at, updated_at=at))

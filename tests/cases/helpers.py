"""Staff, residents and submitted applications for the office-side tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from backend.cases.lifecycle import CaseAction
from backend.cases.ports import Case, Role
from backend.cases.service import ActionRequest, CaseService
from backend.crypto import IdHasher
from backend.db.database import Database
from backend.db.models import VolunteerRow
from backend.intake import IntakeService, Submitted
from backend.policy.pack import Pack, load_pack
from backend.staff.accounts import NewAccount, add_user
from tests.backend import factories

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
PACK: Pack = load_pack("demo")
# One account per role: two caseworkers and a supervisor of hubin, a caseworker of wenchang,
# an administrator and a charity merchant.
STAFF: dict[str, tuple[Role, str | None]] = {
    "wang": (Role.CASEWORKER, "hubin"),
    "li": (Role.CASEWORKER, "hubin"),
    "boss": (Role.SUPERVISOR, "hubin"),
    "zhao": (Role.CASEWORKER, "wenchang"),
    "root": (Role.ADMIN, None),
    "shop": (Role.MERCHANT, None),
}


async def add_staff(
    database: Database, username: str, role: Role = Role.CASEWORKER, office: str | None = "hubin", **kw: Any
) -> NewAccount:
    if role not in (Role.CASEWORKER, Role.SUPERVISOR):
        office = None
    async with database.unit_of_work() as uow:
        account = await add_user(uow, PACK.regions, username=username, role=role, office=office, now=NOW, **kw)
        await uow.commit()
    return account


def payload(serial: int = 1, office: str = "hubin", *, urgent: bool = False, income: str = "0") -> dict[str, Any]:
    """A household of one adult in ``office``; ``serial`` tells households apart."""
    application = factories.application(
        applicant_id=factories.id_number(serial),
        members=(factories.member(id_number=factories.id_number(serial), monthly_income=Decimal(income)),),
        office=office,
        district="minghu" if office in ("hubin", "wenchang", "liuan") else "qingshan",
        # Submitted before the fixed clock: the API refuses a submission time in its future.
        submitted_at=NOW,
    )
    data = application.model_dump(mode="json")
    data.pop("document_ids", None)
    if urgent:
        data["urgent_needs"] = ["no_food"]
    return data


def intake(cases: CaseService | None = None) -> IntakeService:
    return IntakeService(IdHasher(b"k"), pack=PACK, cases=cases or CaseService(PACK))


async def submit(database: Database, data: dict[str, Any], resident: str = "r1", *, now: datetime = NOW) -> str:
    """Submit through the intake service as a resident of the terminal channel; the application number."""
    async with database.unit_of_work() as uow:
        who = await uow.residents.identify("terminal", resident, now=now)
        outcome = await intake().submit(uow, data, resident_id=who.id, document_ids=[], now=now)
        await uow.commit()
    assert isinstance(outcome, Submitted), outcome
    return outcome.application.number


async def act(database: Database, username: str, number: str, action: str, *, now: datetime = NOW,
              **fields: Any) -> Case:
    """``username`` applies ``action`` to the case through the case service, in a unit of work of its own."""
    async with database.unit_of_work() as uow:
        user = await uow.users.get(username)
        assert user is not None, username
        case = await CaseService(PACK).act(uow, user, number, ActionRequest(CaseAction(action), **fields), now=now)
        await uow.commit()
    return case


async def volunteer(database: Database, resident: str = "tg-7", name: str = "李华", *,
                    channel: str = "telegram") -> tuple[int, str]:
    """A resident registered as a volunteer: (volunteer id, resident id)."""
    async with database.unit_of_work() as uow:
        who = await uow.residents.identify(channel, resident, now=NOW)
        await uow.commit()
    async with database.engine.begin() as connection:
        created = await connection.execute(
            insert(VolunteerRow).values(resident_id=who.id, name=name, mobile="13912345678", offices=["hubin"],
                                        availability=["weekend_morning"], created_at=NOW).returning(VolunteerRow.id)
        )
        return created.scalar_one(), who.id

"""The registry of the monitored population ("5+N"): households and persons, assessed.

Households come from civil affairs' registers (``yimen registry import FILE``, CSV, see
``docs/feeds.md``) and from applications submitted through Yimen. Each household is kept as
the policy engine reads it, without ID numbers, and assessed; every assessment is appended to
its history. Persons are matched by the keyed hash of their ID number (the hash applications
carry too); the number itself is stored encrypted and shown only to the household's office.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from backend.application import (
    Assets,
    Hardship,
    HardshipType,
    Health,
    Housing,
    HousingStatus,
    Member,
    MemberRelation,
    OtherIncome,
    Region,
    RigidSpending,
    Work,
)
from backend.monitoring.feeds import Progress
from backend.monitoring.registry_ports import HouseholdRecord, PersonRecord, RegistryUnitOfWork
from backend.monitoring.rows import RowError, Unreadable, open_rows, parse_amount
from backend.monitoring.vault import IdVault
from backend.policy.assess import assess
from backend.policy.household import Household
from backend.policy.outcome import Assessment
from backend.policy.pack import Pack
from backend.store.base import Store
from backend.store.errors import NotFound
from backend.store.users import OFFICE_ROLES, User
from id_numbers import BadIdNumber, age_on, check_id_number
from locales import mask_id_number

if TYPE_CHECKING:
    from backend.crypto import IdHasher

# The five registered groups, then the N other vulnerable people not yet receiving assistance.
REGISTERED_GROUPS = ("dibao", "tekun", "relapse_watch", "near_dibao", "rigid_expense")
OTHER_GROUPS = ("elderly", "child", "sick", "disabled")
CATEGORIES = REGISTERED_GROUPS + OTHER_GROUPS

PERSON_COLUMNS = (
    "household_code", "office", "id_number", "name", "relation", "category", "earner", "health",
    "disability_grade", "work", "monthly_income",
)
# Read from the head's row (relation "self"); ignored on the other rows of the household.
HOUSEHOLD_COLUMNS = (
    "savings", "vehicles", "homes", "housing", "monthly_rent", "pension", "relatives_support",
    "agricultural_income", "other_income", "medical_spending", "education_spending", "hardship", "able_supporter",
)
COLUMNS = PERSON_COLUMNS + HOUSEHOLD_COLUMNS

REVEAL_ACTION = "registry.reveal_id"

_RELATIONS = {r.value: r for r in MemberRelation}
_HEALTH = {h.value: h for h in Health}
_WORK = {w.value: w for w in Work}
_HOUSING = {h.value: h for h in HousingStatus}
_HARDSHIP = {h.value: h for h in HardshipType}
_FLAGS = {"0": False, "1": True}
_GRADES = {"": None, "1": 1, "2": 2, "3": 3, "4": 4}
# Rows (or households) handled between two chances for the chunk being written to go on.
_YIELD_EVERY = 100


@dataclass(slots=True)
class RegistrySummary:
    """What a registry import did."""

    read: int = 0
    households: int = 0
    persons: int = 0
    removed: int = 0  # persons no longer listed in a household that was imported again
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Person:
    line: int
    id_number: str
    born: date
    name: str
    relation: MemberRelation
    category: str
    earner: bool
    member: Member


@dataclass(slots=True)
class _Draft:
    """The rows of one household read so far."""

    code: str
    office: str
    district: str
    head: _Person | None = None
    details: dict[str, object] | None = None  # the household columns, from the head's row
    others: list[_Person] = field(default_factory=list)


# ---------------------------------------------------------------------------------------- import


def read_registry(path: Path) -> Iterator[tuple[int, Mapping[str, str]]]:
    """The rows of a registry CSV file, for :func:`import_registry`.

    Raises (while iterating):
        OSError: the file cannot be opened.
        FileFormatError: the header is not the registry's columns; not UTF-8.
    """
    return open_rows(path, "csv", COLUMNS)


def local_day(now: datetime, pack: Pack) -> date:
    """Today in the region of ``pack``: ages and parameters go by the region's calendar."""
    return now.astimezone(ZoneInfo(pack.regions.timezone)).date()


async def import_registry(
    database: Store[RegistryUnitOfWork],
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    pack: Pack,
    hasher: IdHasher,
    vault: IdVault,
    now: datetime,
    chunk: int = 1000,
    progress: Progress | None = None,
) -> RegistrySummary:
    """Import registry rows (see ``docs/feeds.md``), ``chunk`` households per transaction.

    Each household is built from its rows (ages from the birth dates in the ID numbers, on the
    region's today), assessed under ``pack``, written with its assessment appended to the
    history (cause ``import``), and its persons made the ones listed. Rows that cannot be read
    are refused with their line; the others go in. Importing the same file again changes
    nothing but the assessment time; a household imported again is replaced by its new rows.
    """
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    day = local_day(now, pack)
    offices = {o.code: d.code for d in pack.regions.districts for o in d.offices}
    summary = RegistrySummary()
    seen_ids: set[int] = set()
    done: set[str] = set()  # households whose rows are over: a code seen again is out of place
    ready: list[_Draft] = []
    draft: _Draft | None = None
    reported = 0
    writing: asyncio.Task[None] | None = None

    async def write(households: list[HouseholdRecord], persons: list[PersonRecord], read: int) -> None:
        nonlocal reported
        if households:
            async with database.unit_of_work(bulk=True) as uow:
                ids = await uow.registry.save_households(households, cause="import", at=now)
                summary.removed += await uow.registry.replace_persons(ids, persons, at=now)
                await uow.commit()
            summary.households += len(households)
            summary.persons += len(persons)
        if progress is not None and read > reported:
            progress(read - reported)
            reported = read

    async def hand_over() -> None:
        """Build and assess the ready households while the previous chunk is being written."""
        nonlocal writing
        households: list[HouseholdRecord] = []
        persons: list[PersonRecord] = []
        for start in range(0, len(ready), _YIELD_EVERY):
            built = _records(ready[start:start + _YIELD_EVERY], day, pack, hasher, vault)
            households += built[0]
            persons += built[1]
            await asyncio.sleep(0)  # the chunk being written goes on to its next statement
        ready.clear()
        if writing is not None:
            await writing
        writing = asyncio.create_task(write(households, persons, summary.read))

    def finish(finished: _Draft) -> None:
        done.add(finished.code)
        if finished.head is None or finished.details is None:
            reason = f"household {finished.code} has no head (relation self) whose row could be read"
            summary.errors.extend(RowError(p.line, reason, "household_code") for p in finished.others)
        else:
            ready.append(finished)

    try:
        for line, fields in rows:
            summary.read += 1
            if summary.read % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
            parsed = _person(fields, line, offices, day)
            if isinstance(parsed, RowError):
                summary.errors.append(parsed)
                continue
            person, code, office = parsed
            if draft is None or draft.code != code:
                if code in done:
                    summary.errors.append(
                        RowError(line, f"the rows of household {code} must be consecutive", "household_code")
                    )
                    continue
                if draft is not None:
                    finish(draft)
                    if len(ready) >= chunk:
                        await hand_over()
                draft = _Draft(code, office, offices[office])
            error = _add(draft, person, fields, office, line, seen_ids)
            if error is not None:
                summary.errors.append(error)
        if draft is not None:
            finish(draft)
        await hand_over()
    finally:
        if writing is not None:
            await writing
    summary.errors.sort(key=lambda e: e.line)
    return summary


def _add(
    draft: _Draft, person: _Person, fields: Mapping[str, str], office: str, line: int, seen: set[int]
) -> RowError | None:
    if office != draft.office:
        return RowError(line, f"household {draft.code} is in office {draft.office}", "office")
    key = int(person.id_number[:17]) * 11 + (10 if person.id_number[17] == "X" else int(person.id_number[17]))
    if key in seen:
        return RowError(line, "this ID number is already listed in the file", "id_number")
    if person.relation is MemberRelation.SELF:
        if draft.head is not None:
            return RowError(line, f"household {draft.code} has a head (relation self) already", "relation")
        details = _household_columns(fields, line)
        if isinstance(details, RowError):
            return details
        draft.head, draft.details = person, details
    else:
        draft.others.append(person)
    seen.add(key)
    return None


_T = TypeVar("_T")


class _Refused(Exception):
    """A column of a person's row refused: the row's error."""

    def __init__(self, error: RowError) -> None:
        super().__init__(error.reason)
        self.error = error


def _choice(fields: Mapping[str, str], line: int, column: str, choices: Mapping[str, _T], reason: str = "") -> _T:
    """The value the column's text names among ``choices``; refused with ``reason`` (by default the
    choices) when it names none."""
    found = choices.get(fields.get(column, "").strip())
    if found is None:
        raise _Refused(RowError(line, reason or f"must be one of {', '.join(choices)}", column))
    return found


def _person(
    fields: Mapping[str, str], line: int, offices: Mapping[str, str], day: date
) -> tuple[_Person, str, str] | RowError:
    """One person's columns checked, with the household code and office of the row."""
    try:
        return _checked_person(fields, line, offices, day)
    except _Refused as refused:
        return refused.error


def _checked_person(
    fields: Mapping[str, str], line: int, offices: Mapping[str, str], day: date
) -> tuple[_Person, str, str] | RowError:
    if isinstance(fields, Unreadable):
        return RowError(line, fields.reason)
    get = fields.get
    code = get("household_code", "").strip()
    if not code or len(code) > 64:
        return RowError(line, "missing or longer than 64 characters", "household_code")
    office = get("office", "").strip()
    if office not in offices:
        return RowError(line, "unknown office", "office")
    try:
        # Judged as the intake judges it: the same number is refused or taken everywhere.
        id_number, born = check_id_number(get("id_number", ""), today=day)
    except BadIdNumber as error:
        return RowError(line, str(error), "id_number")
    age = age_on(born, day)
    name = get("name", "").strip()
    if not name or len(name) > 60:
        return RowError(line, "missing or longer than 60 characters", "name")
    relation = _choice(fields, line, "relation", _RELATIONS)
    category = get("category", "").strip()
    if category not in CATEGORIES:
        return RowError(line, f"unknown category: one of {', '.join(CATEGORIES)}", "category")
    earner = _choice(fields, line, "earner", _FLAGS, "must be 0 or 1")
    health = _choice(fields, line, "health", _HEALTH)
    grade_text = get("disability_grade", "").strip()
    if grade_text not in _GRADES:
        return RowError(line, "must be empty or a disability grade 1 to 4", "disability_grade")
    work = _choice(fields, line, "work", _WORK)
    income = _amount(get("monthly_income", ""))
    if income is None:
        return RowError(line, "not an amount of CNY (digits, at most two decimals)", "monthly_income")
    member = Member(
        relation=relation, age=age, health=health, disability_grade=_GRADES[grade_text], work=work,
        monthly_income=income,
    )
    return _Person(line, id_number, born, name, relation, category, earner, member), code, office


def _amount(text: str) -> Decimal | None:
    """An amount, empty meaning zero; None when it is not one."""
    text = text.strip()
    if not text:
        return Decimal(0)
    try:
        return parse_amount(text)
    except ValueError:
        return None


def _count(text: str) -> int | None:
    text = text.strip()
    if not text:
        return 0
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else None


def _household_columns(fields: Mapping[str, str], line: int) -> dict[str, object] | RowError:
    """The household columns of a head's row, checked, as the parts of a :class:`Household`."""
    amounts: dict[str, Decimal] = {}
    for name in ("savings", "monthly_rent", "pension", "relatives_support", "agricultural_income", "other_income",
                 "medical_spending", "education_spending"):
        value = _amount(fields.get(name, ""))
        if value is None:
            return RowError(line, "not an amount of CNY (digits, at most two decimals)", name)
        amounts[name] = value
    counts: dict[str, int] = {}
    for name in ("vehicles", "homes"):
        count = _count(fields.get(name, ""))
        if count is None:
            return RowError(line, "not a whole number", name)
        counts[name] = count
    housing = _HOUSING.get(fields.get("housing", "").strip())
    if housing is None:
        return RowError(line, f"must be one of {', '.join(_HOUSING)}", "housing")
    types: list[HardshipType] = []
    for part in fields.get("hardship", "").split(";"):
        if part.strip():
            kind = _HARDSHIP.get(part.strip())
            if kind is None:
                return RowError(line, f"unknown hardship: any of {', '.join(_HARDSHIP)}, separated by ;", "hardship")
            if kind not in types:
                types.append(kind)
    supporter = _FLAGS.get(fields.get("able_supporter", "").strip() or "0")
    if supporter is None:
        return RowError(line, "must be 0 or 1", "able_supporter")
    return {
        "other_income": OtherIncome(
            relatives_support=amounts["relatives_support"], pension=amounts["pension"],
            agricultural=amounts["agricultural_income"], other=amounts["other_income"],
        ),
        "assets": Assets(savings=amounts["savings"], vehicles=counts["vehicles"], homes=counts["homes"]),
        "rigid_spending": RigidSpending(medical=amounts["medical_spending"], education=amounts["education_spending"]),
        "housing": Housing(
            status=housing, monthly_rent=amounts["monthly_rent"] if housing is HousingStatus.RENTING else None
        ),
        "hardship": Hardship(types=tuple(types)),
        "able_supporter": supporter,
    }


def _records(
    drafts: list[_Draft], day: date, pack: Pack, hasher: IdHasher, vault: IdVault
) -> tuple[list[HouseholdRecord], list[PersonRecord]]:
    """Build, assess and encrypt: the households and persons of a chunk, ready to write."""
    households: list[HouseholdRecord] = []
    persons: list[PersonRecord] = []
    for draft in drafts:
        assert draft.head is not None and draft.details is not None
        people = [draft.head, *draft.others]  # the head is member 0, the others in the file's order
        household = Household(
            members=tuple(p.member for p in people),
            region=Region(district=draft.district, office=draft.office),
            **draft.details,
        )
        households.append(household_record(draft.code, household, assess(household, day, pack)))
        persons.extend(
            PersonRecord(
                draft.code, hasher(p.id_number), vault.encrypt(p.id_number), p.name, p.born, p.relation.value,
                index, p.category, p.earner,
            )
            for index, p in enumerate(people)
        )
    return households, persons


def household_record(
    code: str, household: Household, result: Assessment, application_number: str | None = None
) -> HouseholdRecord:
    other = household.other_income
    income = sum((m.monthly_income for m in household.members), Decimal(0))
    income += other.relatives_support + other.pension + other.agricultural + other.other
    return HouseholdRecord(
        code=code,
        office=household.region.office if household.region else "",
        # The engine's JSON of the household, never with ID numbers in it.
        household=household.model_dump(mode="json", exclude={"members": {"__all__": {"id_number"}}}),
        monthly_income=income,
        layer=result.layer.value,
        resilience_level=result.resilience.level,
        types=[t.value for t in result.types],
        application_number=application_number,
    )


# ------------------------------------------------------------------------------------ reveal


async def reveal(uow: RegistryUnitOfWork, person_id: int, user: User, *, vault: IdVault, now: datetime) -> str:
    """A registry person's ID number as ``user`` may see it, in the caller's unit of work.

    In full only to the caseworkers and supervisors of the household's office, and every such
    showing is written to the audit log (the caller commits); masked for everyone else.

    Raises:
        NotFound: no such person.
    """
    secret = await uow.registry.person_secret(person_id)
    if secret is None:
        raise NotFound(f"no registry person {person_id}")
    id_number = vault.decrypt(secret.id_cipher)
    if user.active and user.role in OFFICE_ROLES and user.office == secret.office:
        await uow.audit.record(
            actor=user.username,
            action=REVEAL_ACTION,
            target=f"registry_person:{person_id}",
            details={"household_id": secret.household_id},
            at=now,
        )
        return id_number
    return mask_id_number(id_number)

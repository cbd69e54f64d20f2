"""Registry rows checked and grouped into households, then built, assessed and encrypted.

The checks of one row need nothing but the row; the checks that span rows (a household's rows
are consecutive, an ID number is listed once in the file) are :class:`Grouper`'s, which reads
rows in the file's order. Both run in the importing process or in a worker process (see
``backend.monitoring.registry_blocks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

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
from backend.monitoring.registry_ports import HouseholdRecord, PersonRecord
from backend.monitoring.rows import RowError, Unreadable, parse_amount
from backend.monitoring.vault import IdVault
from backend.policy.assess import assess
from backend.policy.household import Household
from backend.policy.outcome import Assessment
from backend.policy.pack import Pack
from id_numbers import BadIdNumber, age_on, check_id_number

if TYPE_CHECKING:
    from backend.crypto import IdHasher

# The five registered groups, then the N other vulnerable people not yet receiving assistance.
REGISTERED_GROUPS = ("dibao", "tekun", "relapse_watch", "near_dibao", "rigid_expense")
OTHER_GROUPS = ("elderly", "child", "sick", "disabled")
CATEGORIES = REGISTERED_GROUPS + OTHER_GROUPS

_RELATIONS = {r.value: r for r in MemberRelation}
_HEALTH = {h.value: h for h in Health}
_WORK = {w.value: w for w in Work}
_HOUSING = {h.value: h for h in HousingStatus}
_HARDSHIP = {h.value: h for h in HardshipType}
_FLAGS = {"0": False, "1": True}
_GRADES = {"": None, "1": 1, "2": 2, "3": 3, "4": 4}

# A household ready to be written: its record and its persons (the head first).
Built = tuple[HouseholdRecord, list[PersonRecord]]


@dataclass(frozen=True, slots=True)
class Person:
    line: int
    id_number: str
    born: date
    name: str
    relation: MemberRelation
    category: str
    earner: bool
    member: Member


# A row checked on its own: the person, the household code and the office; or why it is refused.
Parsed = tuple[Person, str, str] | RowError


@dataclass(slots=True)
class Draft:
    """The rows of one household read so far."""

    code: str
    office: str
    district: str
    first_line: int  # the line of the row that opened the household
    head: Person | None = None
    details: dict[str, object] | None = None  # the household columns, from the head's row
    others: list[Person] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)  # the ID numbers taken, as :func:`id_key` gives them

    @property
    def complete(self) -> bool:
        return self.head is not None and self.details is not None


def id_key(id_number: str) -> int:
    """A checked ID number as an int: a set of a million of them takes a third of the strings' memory."""
    return int(id_number[:17]) * 11 + (10 if id_number[17] == "X" else int(id_number[17]))


class Grouper:
    """Checked rows into households, in the file's order.

    ``finished`` collects every household whose rows are over, complete or not (a household
    without a head is refused whole, but its ID numbers count as listed); ``errors`` the rows
    refused.
    """

    def __init__(self, offices: Mapping[str, str], day: date) -> None:
        self.offices, self.day = offices, day
        self.seen: set[int] = set()
        self.done: set[str] = set()  # households whose rows are over: a code seen again is out of place
        self.draft: Draft | None = None
        self.finished: list[Draft] = []
        self.errors: list[RowError] = []

    def add(self, line: int, fields: Mapping[str, str]) -> None:
        self.add_parsed(line, fields, parse_person(fields, line, self.offices, self.day))

    def add_parsed(self, line: int, fields: Mapping[str, str], parsed: Parsed) -> None:
        if isinstance(parsed, RowError):
            self.errors.append(parsed)
            return
        person, code, office = parsed
        draft = self.draft
        if draft is None or draft.code != code:
            if code in self.done:
                reason = f"the rows of household {code} must be consecutive"
                self.errors.append(RowError(line, reason, "household_code"))
                return
            self.close()
            draft = self.draft = Draft(code, office, self.offices[office], line)
        error = _add(draft, person, fields, office, line, self.seen)
        if error is not None:
            self.errors.append(error)

    def close(self) -> None:
        """The open household's rows are over."""
        finished, self.draft = self.draft, None
        if finished is None:
            return
        self.done.add(finished.code)
        if not finished.complete:
            reason = f"household {finished.code} has no head (relation self) whose row could be read"
            self.errors.extend(RowError(p.line, reason, "household_code") for p in finished.others)
        self.finished.append(finished)

    def take(self) -> list[Draft]:
        """The households finished since the last call."""
        finished, self.finished = self.finished, []
        return finished


def _add(draft: Draft, person: Person, fields: Mapping[str, str], office: str, line: int, seen: set[int]
         ) -> RowError | None:
    if office != draft.office:
        return RowError(line, f"household {draft.code} is in office {draft.office}", "office")
    key = id_key(person.id_number)
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
    draft.keys.append(key)
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


def parse_person(fields: Mapping[str, str], line: int, offices: Mapping[str, str], day: date) -> Parsed:
    """One person's columns checked, with the household code and office of the row."""
    try:
        return _checked_person(fields, line, offices, day)
    except _Refused as refused:
        return refused.error


def _checked_person(fields: Mapping[str, str], line: int, offices: Mapping[str, str], day: date) -> Parsed:
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
    return Person(line, id_number, born, name, relation, category, earner, member), code, office


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


def build(draft: Draft, day: date, pack: Pack, hasher: IdHasher, vault: IdVault) -> Built:
    """Build, assess and encrypt a complete household: its record and its persons, ready to write."""
    assert draft.head is not None and draft.details is not None
    people = [draft.head, *draft.others]  # the head is member 0, the others in the file's order
    household = Household(
        members=tuple(p.member for p in people),
        region=Region(district=draft.district, office=draft.office),
        **draft.details,
    )
    record = household_record(draft.code, household, assess(household, day, pack))
    persons = [
        PersonRecord(
            draft.code, hasher(p.id_number), vault.encrypt(p.id_number), p.name, p.born, p.relation.value,
            index, p.category, p.earner,
        )
        for index, p in enumerate(people)
    ]
    return record, persons


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

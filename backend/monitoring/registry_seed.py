"""A submitted application's household entered in the registry, so that monitoring follows it."""

from __future__ import annotations

from datetime import datetime

from backend.application import ApplicationV1, Health, Member, MemberRelation
from backend.crypto import IdHasher
from backend.monitoring.registry import household_record, local_day
from backend.monitoring.registry_ports import PersonRecord, RegistryUnitOfWork
from backend.monitoring.vault import IdVault
from backend.policy.codes import Layer
from backend.policy.household import Household
from backend.policy.outcome import Assessment
from backend.policy.pack import Pack
from id_numbers import check_id_number

# The group an application's household is monitored in, by the layer it was assessed in.
_GROUP_OF_LAYER = {
    Layer.TEKUN: "tekun",
    Layer.DIBAO: "dibao",
    Layer.DIBAO_MARGINAL: "near_dibao",
    Layer.RIGID_EXPENSE: "rigid_expense",
    Layer.WATCH: "relapse_watch",
}


async def seed_from_application(
    uow: RegistryUnitOfWork,
    number: str,
    application: ApplicationV1,
    assessment: Assessment,
    *,
    hasher: IdHasher,
    vault: IdVault,
    pack: Pack,
    resident_id: str | None = None,
    now: datetime,
) -> int:
    """Enter a submitted application's household in the registry (cause ``application``), in the
    caller's unit of work; returns the household's row id.

    A household one of whose members is in the registry already is that household, declared
    anew: its members become the application's. Otherwise the household is new, with the
    application number as its code. Members without an ID number are in the household's JSON
    but are not persons of the registry (nothing can be matched to them).
    """
    people = _application_people(application)
    hashes = {index: hasher(id_number) for index, (id_number, _) in people.items()}
    known = {ref.id_hash: ref for ref in await uow.registry.find_persons(hashes.values())}
    code = number
    if known:
        first = next(known[h] for h in hashes.values() if h in known)  # the applicant's first
        code = await uow.registry.household_code(first.household_id) or number
    household = Household.from_application(application)
    record = household_record(code, household, assessment, application_number=number)
    ids = await uow.registry.save_households([record], cause="application", at=now, unchanged_too=True)
    params = pack.at(local_day(now, pack))
    ages = (int(params.value("elderly_age")), int(params.value("child_age")))
    members = application.members
    persons = [
        PersonRecord(
            code, hashes[index], vault.encrypt(id_number), name, check_id_number(id_number, today=None)[1],
            members[index].relation.value, index, _category(assessment.layer, members[index], ages),
            members[index].monthly_income > 0,
        )
        for index, (id_number, name) in people.items()
    ]
    await uow.registry.replace_persons(ids, persons, at=now)
    if resident_id is not None:
        # Whoever applied is the household's contact in the chat: outreach reaches them there.
        await uow.outreach.bind(ids[code], 0, resident_id)
    return ids[code]


def _application_people(application: ApplicationV1) -> dict[int, tuple[str, str]]:
    """The members with an ID number, by index: their number and the name known for them.

    The applicant's number and name belong to the person in hardship, who is the member
    ``self`` when that member gave no number of their own.
    """
    applicant = application.applicant
    people: dict[int, tuple[str, str]] = {}
    seen: set[str] = set()
    for index, member in enumerate(application.members):
        id_number = member.id_number
        if id_number is None and member.relation is MemberRelation.SELF and applicant.id_number not in seen:
            id_number = applicant.id_number
        if id_number is None or id_number in seen:
            continue
        seen.add(id_number)
        # Another member is known by the given name the resident gave, if any.
        people[index] = (id_number, applicant.name if id_number == applicant.id_number else member.name or "")
    return people


def _category(layer: Layer, member: Member, ages: tuple[int, int]) -> str:
    """An applicant household's group: its layer's, else what the person is, else watched."""
    group = _GROUP_OF_LAYER.get(layer)
    if group is not None:
        return group
    elderly_age, child_age = ages
    if member.age >= elderly_age:
        return "elderly"
    if member.age < child_age:
        return "child"
    if member.disability_grade is not None:
        return "disabled"
    if member.health is not Health.HEALTHY:
        return "sick"
    return "relapse_watch"

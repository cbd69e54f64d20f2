"""Figures and yes/no facts about a household on a date, computed once and shared by every rule."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from backend.application import HardshipType, Health, HousingStatus, UrgentNeed, Work
from backend.policy.household import Household
from backend.policy.parameters import ParameterSet

ZERO = Decimal(0)
# Enum members looked up once: attribute access on an enum class costs a metaclass call each time.
_SERIOUS, _CHRONIC = Health.SERIOUS, Health.CHRONIC
_UNABLE, _STUDENT, _EMPLOYED, _UNEMPLOYED = Work.UNABLE, Work.STUDENT, Work.EMPLOYED, Work.UNEMPLOYED
_FLEXIBLE = Work.FLEXIBLE
_UNSAFE, _NO_HOUSING = HousingStatus.UNSAFE, HousingStatus.NONE
_SAFETY = UrgentNeed.SAFETY


@dataclass(frozen=True, slots=True)
class Figures:
    """The numbers and facts the rules read; ages and grades are judged by the pack's parameters."""

    members: int
    member_income: Decimal
    other_income: Decimal
    household_income: Decimal
    per_capita_income: Decimal
    savings: Decimal
    vehicles: int
    homes: int
    medical: Decimal
    education: Decimal
    rigid_total: Decimal
    housing: HousingStatus
    able_supporter: bool | None  # None: not known (the resident was not asked)
    declared_types: tuple[HardshipType, ...]
    # Members (1-based, as residents count) who are not 60+, under 16, severely disabled or unable to work.
    able_members: tuple[int, ...]
    dependants: int
    working_age: int
    employed: int
    unemployed: int
    elderly: int
    adults: int
    minors: int
    serious: int
    chronic: int
    severe_disabled: int
    other_disabled: int
    facts: dict[str, bool]


def measure(household: Household, params: ParameterSet) -> Figures:
    """Compute every figure and household fact; pure, no I/O."""
    elderly_age = int(params.value("elderly_age"))
    child_age = int(params.value("child_age"))
    work_min, work_max = int(params.value("working_age_min")), int(params.value("working_age_max"))
    school_min, school_max = int(params.value("school_age_min")), int(params.value("school_age_max"))
    severe_grade = int(params.value("severe_disability_grade"))
    adult_age = int(params.value("adult_age"))

    members = household.members
    count = len(members)
    member_income = sum((m.monthly_income for m in members), ZERO)
    other = household.other_income
    other_income = other.relatives_support + other.pension + other.agricultural + other.other
    income = member_income + other_income
    able: list[int] = []
    dependants = working_age = employed = unemployed = elderly = adults = minors = 0
    serious = chronic = severe = disabled = 0
    schooling = False
    for number, m in enumerate(members, start=1):
        age, work, health, grade = m.age, m.work, m.health, m.disability_grade
        is_severe = grade is not None and grade <= severe_grade
        old = age >= elderly_age
        if old or age < child_age or is_severe or work is _UNABLE:
            dependants += 1
        else:
            able.append(number)
        # Students are not expected to hold a job, so they neither help nor hurt employment.
        if work_min <= age <= work_max and work is not _STUDENT:
            working_age += 1
            if work is _EMPLOYED or work is _FLEXIBLE:
                employed += 1
            elif work is _UNEMPLOYED:
                unemployed += 1
        if old:
            elderly += 1
        if age >= adult_age:
            adults += 1
        else:
            minors += 1
        if health is _SERIOUS:
            serious += 1
        elif health is _CHRONIC:
            chronic += 1
        if is_severe:
            severe += 1
        elif grade is not None:
            disabled += 1
        if work is _STUDENT or school_min <= age <= school_max:
            schooling = True
    alone = count == 1
    single = members[0]
    single_severe = alone and single.disability_grade is not None and single.disability_grade <= severe_grade
    medical, education = household.rigid_spending.medical, household.rigid_spending.education
    status = household.housing.status
    facts = {
        "ill_member": serious + chronic > 0,
        "serious_illness": serious > 0,
        "disabled_member": severe + disabled > 0,
        "severe_disability": severe > 0,
        "schooling_member": schooling,
        "housing_unsafe_or_none": status is _UNSAFE or status is _NO_HOUSING,
        "unemployed_working_age": unemployed > 0,
        "elderly_living_alone": alone and single.age >= elderly_age,
        "vulnerable_living_alone": alone and (single.health is _SERIOUS or single_severe),
        "medical_spending": medical > 0,
        "urgent_need": bool(household.urgent_needs),
        "safety_risk": any(need is _SAFETY for need in household.urgent_needs),
    }
    return Figures(
        members=count,
        member_income=member_income,
        other_income=other_income,
        household_income=income,
        per_capita_income=income / count,
        savings=household.assets.savings,
        vehicles=household.assets.vehicles,
        homes=household.assets.homes,
        medical=medical,
        education=education,
        rigid_total=medical + education,
        housing=status,
        able_supporter=household.able_supporter,
        declared_types=tuple(household.hardship.types),
        able_members=tuple(able),
        dependants=dependants,
        working_age=working_age,
        employed=employed,
        unemployed=unemployed,
        elderly=elderly,
        adults=adults,
        minors=minors,
        serious=serious,
        chronic=chronic,
        severe_disabled=severe,
        other_disabled=disabled,
        facts=facts,
    )

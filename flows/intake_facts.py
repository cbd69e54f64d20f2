"""What the intake's answers say about a household: ages, work implied by age, hardship the answers show.

Shared by the questions (``flows.intake``) and the application they build (``flows.intake_application``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from stdnum.cn import ric

from flows.flow import Answers, Ask, Member
from flows.parsing import age_on

RELATIONS = ("spouse", "child", "parent", "grandparent", "grandchild", "sibling", "other")
CONDITIONS = ("healthy", "chronic", "serious", "disability")
# 灵活就业/打零工 is work too: someone doing odd jobs should not have to call themselves unemployed.
ADULT_WORK = ("employed", "flexible", "unemployed", "unable", "student", "retired")
# What a child's age implies (not asked under sixteen): at school from six, a child before.
MINOR_WORK = ("student", "child")
INCOME_SOURCES = ("relatives_support", "pension", "agricultural", "other")
HARDSHIP_TYPES = (
    "illness",
    "disability",
    "unemployment",
    "disaster",
    "accident",
    "schooling",
    "housing",
    "elderly_care",
    "other",
)
URGENT_NEEDS = ("no_food", "no_shelter", "safety")
# Children, parents or a spouse outside the household (赡养、抚养、扶养义务人): none, there but
# unable to help, or able to help.
SUPPORTERS = ("none", "unable", "able")
NONE = "none"

# Under this age nobody works (compulsory schooling, and no job is legal): work is not asked.
WORKING_AGE_MIN = 16
WORKING_AGE_MAX = 59
SCHOOL_AGE_MIN = 6


@lru_cache(maxsize=1024)
def _birth_date(id_number: str) -> date:
    return ric.get_birth_date(id_number)


def member_age(answers: Answers, member: Member, index: int, today: date) -> int | None:
    """A member's age: the applicant's from their ID number, the others' as given."""
    if index == 0:
        number = answers.get("id_number")
        return age_on(_birth_date(number), today) if number else None
    identity = member.get("identity")
    return identity["age"] if identity else None


def member_work(member: Member, age: int | None) -> str:
    """The work status asked, or the one a child's age implies (at school from six, a child before)."""
    work = member.get("work")
    if work:
        return str(work)
    if age is not None and age < WORKING_AGE_MIN:
        return MINOR_WORK[0] if age >= SCHOOL_AGE_MIN else MINOR_WORK[1]
    return "unable"


def ages(answers: Answers, members: Sequence[Member], today: date) -> list[int | None]:
    return [member_age(answers, m, i, today) for i, m in enumerate(members)]


def has_pupil(answers: Answers, members: Sequence[Member], today: date) -> bool:
    return any(
        m.get("work") == "student" or (age is not None and 3 <= age < 18)
        for m, age in zip(members, ages(answers, members, today), strict=True)
    )


def hardship_guess(answers: Answers, members: Sequence[Member], today: date) -> tuple[str, ...]:
    """Types the answers already show, ticked in advance for the resident to confirm."""
    guess: list[str] = []
    found = ages(answers, members, today)
    if any(m.get("condition") in ("chronic", "serious") for m in members):
        guess.append("illness")
    if any(m.get("disability") not in (None, NONE) for m in members):
        guess.append("disability")
    if any(m.get("work") == "unemployed" for m in members):
        guess.append("unemployment")
    if has_pupil(answers, members, today) and answers.get("education_spending") not in (None, "0", "0.00"):
        guess.append("schooling")
    if answers.get("housing") in ("unsafe", NONE):
        guess.append("housing")
    if any(age is not None and age >= 60 for age in found) and all(a is None or a >= 60 for a in found):
        guess.append("elderly_care")
    return tuple(guess)


def rederive(answers: dict[str, Any], members: Sequence[Member], ask: Ask) -> None:
    """Bring the hardship types in line with the answers after one of them changed.

    The types the answers showed were ticked in advance; when an answer they came from changes
    (a work status corrected from the summary), the guessed part follows: a type no longer shown
    goes, a newly shown one is ticked. What the resident ticked or unticked themselves stays.
    """
    guess = hardship_guess(answers, members, ask.today)
    chosen = answers.get("hardship_types")
    if chosen is None:
        return
    # What was ticked in advance when the resident answered (an empty guess is a guess too).
    before = tuple(answers["hardship_guess"]) if "hardship_guess" in answers else guess
    kept = {t for t in chosen if t not in before}  # ticked by the resident
    kept |= {t for t in guess if not (t in before and t not in chosen)}  # shown, and not unticked
    if not kept and answers.get("account"):
        kept = {"other"}  # a story with nothing ticked is still a hardship (as when it was typed)
    answers["hardship_types"] = [t for t in HARDSHIP_TYPES if t in kept]
    answers["hardship_guess"] = list(guess)

"""The intake flow (只进一门): reporting hardship and applying for assistance.

The order follows the application form, with two deliberate changes: the urgent-need
question comes right after the street office (someone with no food today should not
wait twenty questions to say so, and the office is what routes the escalation), and a
member's health and disability start with a one-tap "healthy, no disability".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from stdnum.cn import ric

from flows.common import CONSENT, LANGUAGE, consent_record
from flows.common import mobile as _mobile
from flows.common import name as _name
from flows.flow import AnswerContext, Answers, Ask, Flow, Kind, Loop, Member, Question
from flows.intake_answers import (
    account,
    amount,
    count,
    household_size,
    identity,
    identity_shown,
    lookup_ids,
    masked_id,
    monthly_amount,
    subject_id,
    yearly_amount,
)
from flows.parsing import age_on

# 2: asks whether someone outside the household is obliged and able to support it.
VERSION = 2
CONSENT_VERSION = 1

RELATIONS = ("spouse", "child", "parent", "grandparent", "grandchild", "sibling", "other")
CONDITIONS = ("healthy", "chronic", "serious", "disability")
ADULT_WORK = ("employed", "unemployed", "unable", "student", "retired")
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
NONE = "none"


# ---------------------------------------------------------------- facts from answers


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


def _age(ask: Ask) -> int | None:
    return member_age(ask.answers, ask.member or {}, ask.index, ask.today)


def _ages(ask: Ask) -> list[int | None]:
    return [member_age(ask.answers, m, i, ask.today) for i, m in enumerate(ask.members)]


def _answer_is(key: str, *values: str) -> Callable[[Ask], bool]:
    def when(ask: Ask) -> bool:
        return ask.answers.get(key) in values

    return when


def _selected(key: str, value: str) -> Callable[[Ask], bool]:
    def when(ask: Ask) -> bool:
        return value in (ask.answers.get(key) or ())

    return when


def _two_step_region(ask: Ask) -> bool:
    return ask.context.office_count > ask.context.single_step_offices


def _districts(ask: Ask) -> tuple[str, ...]:
    return tuple(d.code for d in ask.context.districts)


def _offices(ask: Ask) -> tuple[str, ...]:
    chosen = ask.answers.get("district") if _two_step_region(ask) else None
    return tuple(o.code for d in ask.context.districts if chosen in (None, d.code) for o in d.offices)


def _office_label(value: str, ask: Ask) -> tuple[str, dict[str, Any]]:
    found = ask.context.office(value)
    if found is None:
        return "region.unknown", {"code": value}
    district, office = found
    if _two_step_region(ask):
        return "region.office", {"office": office.name}
    return "region.district_office", {"district": district.name, "office": office.name}


def _district_label(value: str, ask: Ask) -> tuple[str, dict[str, Any]]:
    district = next(d for d in ask.context.districts if d.code == value)
    return "region.district", {"district": district.name}


def _not_applicant(ask: Ask) -> bool:
    return ask.index > 0


def _has_condition(ask: Ask) -> bool:
    return (ask.member or {}).get("condition") not in (None, "healthy")


def _disability_grades(ask: Ask) -> tuple[str, ...]:
    grades = ("1", "2", "3", "4")
    return grades if (ask.member or {}).get("condition") == "disability" else (NONE, *grades)


def _works(ask: Ask) -> tuple[str, ...]:
    age = _age(ask)
    return MINOR_WORK if age is not None and age < 16 else ADULT_WORK


def _asks_work(ask: Ask) -> bool:
    # Children under six are not asked: they can only be children.
    age = _age(ask)
    return age is None or age >= 6


def _earns(ask: Ask) -> bool:
    return (ask.member or {}).get("work") in ("employed", "retired")


def _has_pupil(ask: Ask) -> bool:
    ages = _ages(ask)
    return any(
        m.get("work") == "student" or (age is not None and 3 <= age < 18)
        for m, age in zip(ask.members, ages, strict=True)
    )


def _all_dependent(ask: Ask) -> bool:
    """Every member is old, young, severely disabled or unable to work (特困's household test)."""
    ages = _ages(ask)
    return bool(ask.members) and all(
        (age is not None and (age >= 60 or age < 16))
        or m.get("disability") in ("1", "2")
        or m.get("work") == "unable"
        for m, age in zip(ask.members, ages, strict=True)
    )


def _member_params(ask: Ask) -> dict[str, Any]:
    member = ask.member or {}
    relation = "self" if ask.index == 0 else member.get("relation", "other")
    return {"relation": relation, "age": _age(ask), "for_other": _for_other(ask)}


def _for_other(ask: Ask) -> bool:
    return ask.answers.get("for_whom") == "other"


def _for_other_params(ask: Ask) -> dict[str, Any]:
    return {"for_other": _for_other(ask)}


def _hardship_guess(ask: Ask) -> tuple[str, ...]:
    """Types the answers already show, ticked in advance for the resident to confirm."""
    guess: list[str] = []
    ages = _ages(ask)
    if any(m.get("condition") in ("chronic", "serious") for m in ask.members):
        guess.append("illness")
    if any(m.get("disability") not in (None, NONE) for m in ask.members):
        guess.append("disability")
    if any(m.get("work") == "unemployed" for m in ask.members):
        guess.append("unemployment")
    if _has_pupil(ask) and ask.answers.get("education_spending") not in (None, "0", "0.00"):
        guess.append("schooling")
    if ask.answers.get("housing") in ("unsafe", NONE):
        guess.append("housing")
    if any(age is not None and age >= 60 for age in ages) and all(a is None or a >= 60 for a in ages):
        guess.append("elderly_care")
    return tuple(guess)


# ---------------------------------------------------------------- reactions and displays


def _urgent_answered(turn: AnswerContext, needs: object) -> None:
    if needs:
        # Someone without food, shelter or safety today should not wait for the form to end.
        turn.request_human("urgent_need")
        turn.say(f"{turn.flow_name}.urgent_flagged")


def _member_description(member: Member) -> dict[str, Any]:
    return {"relation": member.get("relation", "self")}


HOUSEHOLD = Loop(
    id="members",
    size="household_size",
    describe=_member_description,
    questions=(
        Question("relation", Kind.CHOICE, options=RELATIONS, when=_not_applicant, params=_member_params),
        Question(
            "identity", Kind.TEXT, parse=identity, when=_not_applicant, params=_member_params, shown=identity_shown
        ),
        Question("condition", Kind.CHOICE, options=CONDITIONS, clears=("disability",), params=_member_params),
        Question(
            "disability",
            Kind.CHOICE,
            options=_disability_grades,
            choices=(NONE, "1", "2", "3", "4"),
            when=_has_condition,
            params=_member_params,
        ),
        Question(
            "work",
            Kind.CHOICE,
            options=_works,
            choices=(*ADULT_WORK, "child"),
            when=_asks_work,
            clears=("income",),
            params=_member_params,
        ),
        Question("income", Kind.TEXT, options=("0",), parse=monthly_amount, when=_earns, params=_member_params),
    ),
)

ITEMS: tuple[Question | Loop, ...] = (
    LANGUAGE,
    CONSENT,
    Question("for_whom", Kind.CHOICE, options=("self", "other"), clears=("relationship", "proxy_name")),
    Question("relationship", Kind.CHOICE, options=("family", "guardian", "other"),
             when=_answer_is("for_whom", "other")),
    Question("proxy_name", Kind.TEXT, parse=_name, when=_answer_is("for_whom", "other")),
    Question("name", Kind.TEXT, parse=_name, params=_for_other_params),
    Question("id_number", Kind.TEXT, parse=subject_id, params=_for_other_params, shown=masked_id),
    Question("mobile", Kind.TEXT, parse=_mobile, request_contact=True),
    Question(
        "district",
        Kind.CHOICE,
        options=_districts,
        when=_two_step_region,
        clears=("office",),
        option_labels=_district_label,
    ),
    Question("office", Kind.CHOICE, options=_offices, option_labels=_office_label),
    Question(
        "urgent",
        Kind.MULTI,
        options=(*URGENT_NEEDS, NONE),
        exclusive=NONE,
        on_answer=_urgent_answered,
        says=("urgent_flagged",),
    ),
    Question("household_size", Kind.TEXT, options=("1", "2", "3", "4", "5", "6"), parse=household_size),
    HOUSEHOLD,
    Question("other_income", Kind.MULTI, options=(*INCOME_SOURCES, NONE), exclusive=NONE),
    *(
        Question(f"income_{source}", Kind.TEXT, parse=monthly_amount, when=_selected("other_income", source))
        for source in INCOME_SOURCES
    ),
    # Only where it can matter: 特困 requires that no one is obliged and able to support them.
    Question("able_supporter", Kind.CHOICE, options=("no", "yes"), when=_all_dependent),
    Question("savings", Kind.TEXT, options=("0",), parse=amount),
    Question("property", Kind.CHOICE, options=(NONE, "one_home", "more"), clears=("vehicles", "homes")),
    Question("vehicles", Kind.TEXT, options=("0", "1"), parse=count, when=_answer_is("property", "more")),
    Question("homes", Kind.TEXT, options=("0", "1", "2"), parse=count, when=_answer_is("property", "more")),
    Question("medical_spending", Kind.TEXT, options=("0",), parse=yearly_amount),
    Question("education_spending", Kind.TEXT, options=("0",), parse=yearly_amount, when=_has_pupil),
    Question("housing", Kind.CHOICE, options=("own", "renting", "unsafe", NONE), clears=("rent",)),
    Question("rent", Kind.TEXT, parse=monthly_amount, when=_answer_is("housing", "renting")),
    Question(
        "hardship_types",
        Kind.MULTI,
        options=HARDSHIP_TYPES,
        preselect=_hardship_guess,
        text_answers="account",
        typed_default=("other",),  # a story with nothing ticked is still a hardship
    ),
    Question("account", Kind.TEXT, parse=account, optional=True),
    Question("documents", Kind.FILES, optional=True),
)


# ---------------------------------------------------------------- the application


def _money(value: Any) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def build(answers: Answers, members: Sequence[Member], ask: Ask) -> dict[str, Any]:
    """The application as JSON-ready data (the shape of ``backend.application.ApplicationV1``)."""
    office = answers.get("office")
    found = ask.context.office(office) if office else None
    district = found[0].code if found else answers.get("district")
    property_ = answers.get("property")
    out_members = []
    for i, m in enumerate(members):
        age = member_age(answers, m, i, ask.today)
        condition = m.get("condition", "healthy")
        disability = m.get("disability")
        out_members.append(
            {
                "relation": "self" if i == 0 else m.get("relation"),
                "age": age,
                "id_number": answers.get("id_number") if i == 0 else (m.get("identity") or {}).get("id_number"),
                "health": condition if condition in ("chronic", "serious") else "healthy",
                "disability_grade": int(disability) if disability not in (None, NONE) else None,
                "work": m.get("work") or "child",
                "monthly_income": _money(m.get("income")),
            }
        )
    selected = answers.get("other_income") or ()
    return {
        "schema_version": 1,
        "consent": consent_record(answers, CONSENT_VERSION),
        "applicant": {
            "for_whom": answers.get("for_whom"),
            "relationship": answers.get("relationship"),
            "proxy_name": answers.get("proxy_name"),
            "name": answers.get("name"),
            "id_number": answers.get("id_number"),
            "mobile": answers.get("mobile"),
        },
        "region": {"district": district, "office": office},
        "members": out_members,
        "other_income": {s: _money(answers.get(f"income_{s}") if s in selected else 0) for s in INCOME_SOURCES},
        "assets": {
            "savings": _money(answers.get("savings")),
            "vehicles": answers.get("vehicles", 0) if property_ == "more" else 0,
            "homes": answers.get("homes", 0) if property_ == "more" else int(property_ == "one_home"),
        },
        "rigid_spending": {
            "medical": _money(answers.get("medical_spending")),
            "education": _money(answers.get("education_spending")),
        },
        "housing": {
            "status": answers.get("housing"),
            "monthly_rent": _money(answers.get("rent")) if answers.get("housing") == "renting" else None,
        },
        "hardship": {"types": list(answers.get("hardship_types") or ()), "account": answers.get("account") or ""},
        "urgent_needs": list(answers.get("urgent") or ()),
        "able_supporter": answers.get("able_supporter") == "yes",
    }


def summary_extras(answers: Answers, ask: Ask) -> dict[str, Any]:
    """Names for the codes the summary shows."""
    found = ask.context.office(answers.get("office", ""))
    return {"district_name": found[0].name if found else "", "office_name": found[1].name if found else ""}


def prefill(
    household: Mapping[str, Any],
    *,
    name: str,
    id_number: str,
    office: str,
    district: str | None,
    member_ids: Sequence[str | None] = (),
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Answers and members of an application the office fills in from what it knows (the registry
    of the monitored population), for the resident to check one by one: the inverse of ``build``.

    ``household`` has the shape of the policy engine's household (``members``, ``other_income``,
    ``assets``, ``rigid_spending``, ``housing``, ``hardship``); member 0 is the applicant.
    Today's urgent needs, the mobile number and consent are never pre-filled: only the resident
    can say them.
    """
    rows = list(household.get("members") or ())
    answers: dict[str, Any] = {
        "for_whom": "self", "name": name, "id_number": id_number, "office": office, "household_size": len(rows),
    }
    if district:
        answers["district"] = district
    members: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        health, grade = row.get("health") or "healthy", row.get("disability_grade")
        member: dict[str, Any] = {"condition": "disability" if health == "healthy" and grade else health}
        if member["condition"] != "healthy":
            member["disability"] = str(grade) if grade else NONE
        if i > 0:
            member["relation"] = row.get("relation") if row.get("relation") in RELATIONS else "other"
            known = member_ids[i] if i < len(member_ids) else None
            member["identity"] = {"id_number": known, "age": row.get("age")} if known else {"age": row.get("age")}
        if (row.get("age") or 0) >= 6:
            member["work"] = row.get("work") or "unable"
        if member.get("work") in ("employed", "retired"):
            member["income"] = _money(row.get("monthly_income"))
        members.append(member)
    other = household.get("other_income") or {}
    answers["other_income"] = [s for s in INCOME_SOURCES if Decimal(str(other.get(s) or 0)) > 0]
    for source in answers["other_income"]:
        answers[f"income_{source}"] = _money(other[source])
    assets = household.get("assets") or {}
    homes, vehicles = int(assets.get("homes") or 0), int(assets.get("vehicles") or 0)
    answers["savings"] = _money(assets.get("savings"))
    answers["property"] = NONE if homes == vehicles == 0 else "one_home" if (homes, vehicles) == (1, 0) else "more"
    if answers["property"] == "more":
        answers["homes"], answers["vehicles"] = homes, vehicles
    spending = household.get("rigid_spending") or {}
    answers["medical_spending"] = _money(spending.get("medical"))
    answers["education_spending"] = _money(spending.get("education"))
    housing = household.get("housing") or {}
    if housing.get("status"):
        answers["housing"] = housing["status"]
        if housing["status"] == "renting":
            answers["rent"] = _money(housing.get("monthly_rent"))
    types = (household.get("hardship") or {}).get("types") or ()
    if types:
        answers["hardship_types"] = list(types)
    if "able_supporter" in household:
        answers["able_supporter"] = "yes" if household["able_supporter"] else "no"
    return answers, members


INTAKE = Flow(
    name="intake",
    version=VERSION,
    items=ITEMS,
    build=build,
    summary_extras=summary_extras,
    lookup_after=frozenset({"id_number", "members.identity"}),
    lookup_ids=lookup_ids,
)

"""The intake flow (只进一门): reporting hardship and applying for assistance.

The order follows the application form, with two deliberate changes: the urgent-need
question comes right after the street office (someone with no food today should not
wait twenty questions to say so, and the office is what routes the escalation), and a
member's health and disability start with a one-tap "healthy, no disability".
"""

from __future__ import annotations

from collections.abc import Callable

from flows.common import LANGUAGE
from flows.common import mobile as _mobile
from flows.common import name as _name
from flows.flow import DECLINE, AnswerContext, Ask, Flow, Kind, Loop, Member, Question, Role
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
from flows.intake_application import build, from_version_2, prefill, summary_extras
from flows.intake_facts import (
    ADULT_WORK,
    CONDITIONS,
    HARDSHIP_TYPES,
    INCOME_SOURCES,
    MINOR_WORK,
    NONE,
    RELATIONS,
    SUPPORTERS,
    URGENT_NEEDS,
    WORKING_AGE_MAX,
    WORKING_AGE_MIN,
    hardship_guess,
    has_pupil,
    member_age,
    rederive,
)

# 2: asks whether someone outside the household is obliged and able to support it.
# 3: odd jobs as work, earnings of every working-age member, members' given names, obliged
#    relatives asked in plain words (``supporters``), consent that says for whom, no documents question.
VERSION = 3

__all__ = ["INTAKE", "MINOR_WORK", "VERSION", "member_age", "prefill"]


# ---------------------------------------------------------------- facts from answers


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


def _office_label(value: str, ask: Ask) -> tuple[str, dict[str, object]]:
    found = ask.context.office(value)
    if found is None:
        return "region.unknown", {"code": value}
    district, office = found
    if _two_step_region(ask):
        return "region.office", {"office": office.name}
    return "region.district_office", {"district": district.name, "office": office.name}


def _district_label(value: str, ask: Ask) -> tuple[str, dict[str, object]]:
    district = next(d for d in ask.context.districts if d.code == value)
    return "region.district", {"district": district.name}


def _not_applicant(ask: Ask) -> bool:
    return ask.index > 0


def _has_condition(ask: Ask) -> bool:
    return (ask.member or {}).get("condition") not in (None, "healthy")


def _disability_grades(ask: Ask) -> tuple[str, ...]:
    grades = ("1", "2", "3", "4")
    return grades if (ask.member or {}).get("condition") == "disability" else (NONE, *grades)


def _asks_work(ask: Ask) -> bool:
    # Under sixteen the answer is implied: at school from six, a child before (see member_work).
    age = _age(ask)
    return age is None or age >= WORKING_AGE_MIN


def _earns(ask: Ask) -> bool:
    """Earnings are asked of every working-age member whatever their work, and of anyone working or retired.

    Someone out of work may still do odd jobs: "unemployed" says nothing of what comes in.
    """
    age = _age(ask)
    working_age = age is None or WORKING_AGE_MIN <= age <= WORKING_AGE_MAX
    return working_age or (ask.member or {}).get("work") in ("employed", "flexible", "retired")


def _has_pupil(ask: Ask) -> bool:
    return has_pupil(ask.answers, ask.members, ask.today)


def _all_dependent(ask: Ask) -> bool:
    """Every member is old, young, severely disabled or unable to work (特困's household test)."""
    ages = _ages(ask)
    return bool(ask.members) and all(
        (age is not None and (age >= 60 or age < 16))
        or m.get("disability") in ("1", "2")
        or m.get("work") == "unable"
        for m, age in zip(ask.members, ages, strict=True)
    )


def _supporters_help(ask: Ask) -> bool:
    # Asked only when their support was not already given as income.
    named_as_income = "relatives_support" in (ask.answers.get("other_income") or ())
    return ask.answers.get("supporters") == "able" and not named_as_income


def _consent_says_for_whom(value: object) -> dict[str, object]:
    # One tap agrees and says for whom: "agree, for myself" / "agree, for someone else".
    return {"for_whom": value} if value in ("self", "other") else {}


def _member_params(ask: Ask) -> dict[str, object]:
    member = ask.member or {}
    relation = "self" if ask.index == 0 else member.get("relation", "other")
    name = None if ask.index == 0 else member.get("given_name")
    return {"relation": relation, "age": _age(ask), "for_other": _for_other(ask), "name": name}


def _for_other(ask: Ask) -> bool:
    return ask.answers.get("for_whom") == "other"


def _for_other_params(ask: Ask) -> dict[str, object]:
    return {"for_other": _for_other(ask)}


def _hardship_guess(ask: Ask) -> tuple[str, ...]:
    return hardship_guess(ask.answers, ask.members, ask.today)


# ---------------------------------------------------------------- reactions and displays


def _urgent_answered(turn: AnswerContext, needs: object) -> None:
    if needs:
        # Someone without food, shelter or safety today should not wait for the form to end.
        turn.request_human("urgent_need")
        turn.say(f"{turn.flow_name}.urgent_flagged")


def _member_description(member: Member) -> dict[str, object]:
    return {"relation": member.get("relation", "self"), "name": member.get("given_name")}


HOUSEHOLD = Loop(
    id="members",
    size="household_size",
    describe=_member_description,
    questions=(
        Question("relation", Kind.CHOICE, options=RELATIONS, when=_not_applicant, params=_member_params),
        # A given name, to call the member by in the questions that follow and in the console.
        Question(
            "given_name", Kind.TEXT, parse=_name, when=_not_applicant, optional=True, params=_member_params
        ),
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
        Question("work", Kind.CHOICE, options=ADULT_WORK, when=_asks_work, clears=("income",),
                 params=_member_params),
        Question("income", Kind.TEXT, options=("0",), parse=monthly_amount, when=_earns, params=_member_params),
    ),
)

ITEMS: tuple[Question | Loop, ...] = (
    LANGUAGE,
    Question("consent", Kind.CHOICE, options=("self", "other", DECLINE), role=Role.CONSENT,
             fills=_consent_says_for_whom),
    # Answered with consent; asked on its own only in sessions begun before that, and from the summary.
    Question("for_whom", Kind.CHOICE, options=("self", "other"), clears=("relationship", "proxy_name"),
             counted=False),
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
    # Only where the pack's rules use it: 特困 requires that no one is obliged and able to support
    # the household. Elsewhere it is not asked, and the assessment says it is unknown.
    Question("supporters", Kind.CHOICE, options=SUPPORTERS, when=_all_dependent, params=_for_other_params),
    Question("supporter_help", Kind.TEXT, options=("0",), parse=amount, when=_supporters_help),
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
    # Documents are not a question of their own: the summary invites them, and a file sent at
    # any point after consent is kept.
)


# The summary's parts (申请人, 家庭成员, 收入, 财产, 支出, 住房, 困难情况) and the answers each covers.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("applicant", ("for_whom", "relationship", "proxy_name", "name", "id_number", "mobile", "district", "office",
                   "urgent")),
    ("members", ("household_size", HOUSEHOLD.id)),
    # A member's earnings are changed on that member.
    ("income", ("other_income", *(f"income_{s}" for s in INCOME_SOURCES), "supporters", "supporter_help",
                HOUSEHOLD.id)),
    ("assets", ("savings", "property", "vehicles", "homes")),
    ("spending", ("medical_spending", "education_spending")),
    ("housing", ("housing", "rent")),
    ("hardship", ("hardship_types", "account")),
)

INTAKE = Flow(
    name="intake",
    version=VERSION,
    items=ITEMS,
    build=build,
    summary_extras=summary_extras,
    lookup_after=frozenset({"id_number", "members.identity"}),
    lookup_ids=lookup_ids,
    migrations={2: from_version_2},
    rederive=rederive,
    show_progress=True,
    groups=GROUPS,
)

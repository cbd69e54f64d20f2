"""The volunteer flow: registering for the credit + volunteer scheme (信用+志愿).

A volunteer says who they are, how to reach them, which street offices they can cover,
what they can do and when; caseworkers then match them with service tasks. The skills
they claim are confirmed by a caseworker before tasks that need them are offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flows.common import CONSENT, LANGUAGE, consent_record, mobile, name
from flows.flow import Answers, Ask, Flow, Kind, Member, Question

VERSION = 1
CONSENT_VERSION = 1

# The skill codes the backend knows; the options come from the FlowContext, in its order.
SKILLS = ("companion", "delivery", "tutoring", "elder_care", "hospital_escort", "repairs", "counselling")
AVAILABILITY = (
    "weekday_morning",
    "weekday_afternoon",
    "weekday_evening",
    "weekend_morning",
    "weekend_afternoon",
    "weekend_evening",
)


def _offices(ask: Ask) -> tuple[str, ...]:
    return tuple(o.code for d in ask.context.districts for o in d.offices)


def _office_label(value: str, ask: Ask) -> tuple[str, dict[str, object]]:
    found = ask.context.office(value)
    if found is None:
        return "region.unknown", {"code": value}
    district, office = found
    # Offices of several districts are listed together, so each names its district.
    return "region.district_office", {"district": district.name, "office": office.name}


def _skills(ask: Ask) -> tuple[str, ...]:
    return ask.context.skills


def _has_skills(ask: Ask) -> bool:
    # Without skills to choose from, there is nothing to ask.
    return bool(ask.context.skills)


ITEMS: tuple[Question, ...] = (
    LANGUAGE,
    CONSENT,
    Question("name", Kind.TEXT, parse=name),
    Question("mobile", Kind.TEXT, parse=mobile, request_contact=True),
    Question("offices", Kind.MULTI, options=_offices, option_labels=_office_label),
    Question("skills", Kind.MULTI, options=_skills, choices=SKILLS, when=_has_skills),
    Question("availability", Kind.MULTI, options=AVAILABILITY),
)


def _in_order(chosen: Iterable[str], order: Iterable[str]) -> list[str]:
    """``chosen`` in the order the options are listed (not the order they were tapped)."""
    rank = {value: i for i, value in enumerate(order)}
    return sorted(chosen, key=lambda value: rank.get(value, len(rank)))


def build(answers: Answers, members: Sequence[Member], ask: Ask) -> dict[str, object]:
    """The registration as JSON-ready data."""
    return {
        "schema_version": 1,
        "consent": consent_record(answers, CONSENT_VERSION),
        "name": answers.get("name"),
        "mobile": answers.get("mobile"),
        "offices": _in_order(answers.get("offices") or (), _offices(ask)),
        "skills": _in_order(answers.get("skills") or (), ask.context.skills),
        "availability": _in_order(answers.get("availability") or (), AVAILABILITY),
    }


def summary_extras(answers: Answers, ask: Ask) -> dict[str, object]:
    """The chosen offices' names (the registration holds their codes)."""
    names: list[dict[str, object]] = []
    for code in _in_order(answers.get("offices") or (), _offices(ask)):
        found = ask.context.office(code)
        if found is None:
            names.append({"district": "", "office": code})
        else:
            names.append({"district": found[0].name, "office": found[1].name})
    return {"office_names": names}


VOLUNTEER = Flow(name="volunteer", version=VERSION, items=ITEMS, build=build, summary_extras=summary_extras)

"""The intake's answers as an application (``build``), the inverse for a pre-filled one (``prefill``),
and how answers stored by older versions of the flow are read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from flows.common import consent_record
from flows.flow import Answers, Ask, Member
from flows.intake_facts import INCOME_SOURCES, NONE, RELATIONS, member_age, member_work

CONSENT_VERSION = 1
# The consent answer that also says for whom the application is (one tap instead of two).
CONSENT_FOR = {"self": "self", "other": "other"}


def _money(value: Decimal | int | str | None) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


def for_whom(answers: Answers) -> str | None:
    return answers.get("for_whom") or CONSENT_FOR.get(answers.get("consent") or "")


def able_supporter(answers: Answers) -> bool | None:
    """Whether someone outside the household is obliged and able to support it; ``None`` when not asked."""
    supporters = answers.get("supporters")
    return None if supporters is None else supporters == "able"


def _other_income(answers: Answers) -> dict[str, str]:
    selected = answers.get("other_income") or ()
    out = {s: _money(answers.get(f"income_{s}") if s in selected else 0) for s in INCOME_SOURCES}
    if "relatives_support" not in selected and answers.get("supporter_help") is not None:
        # What obliged relatives give, asked with them when no support was named as income.
        out["relatives_support"] = _money(answers["supporter_help"])
    return out


def build(answers: Answers, members: Sequence[Member], ask: Ask) -> dict[str, object]:
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
                "name": answers.get("name") if i == 0 else m.get("given_name"),
                "age": age,
                "id_number": answers.get("id_number") if i == 0 else (m.get("identity") or {}).get("id_number"),
                "health": condition if condition in ("chronic", "serious") else "healthy",
                "disability_grade": int(disability) if disability not in (None, NONE) else None,
                "work": member_work(m, age),
                "monthly_income": _money(m.get("income")),
            }
        )
    return {
        "schema_version": 1,
        "consent": consent_record(answers, CONSENT_VERSION),
        "applicant": {
            "for_whom": for_whom(answers),
            "relationship": answers.get("relationship"),
            "proxy_name": answers.get("proxy_name"),
            "name": answers.get("name"),
            "id_number": answers.get("id_number"),
            "mobile": answers.get("mobile"),
        },
        "region": {"district": district, "office": office},
        "members": out_members,
        "other_income": _other_income(answers),
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
        "able_supporter": able_supporter(answers),
    }


def summary_extras(answers: Answers, ask: Ask) -> dict[str, object]:
    """Names for the codes the summary shows."""
    found = ask.context.office(answers.get("office", ""))
    return {"district_name": found[0].name if found else "", "office_name": found[1].name if found else ""}


def from_version_2(answers: dict[str, object]) -> dict[str, object]:
    """Version 2 asked "is anyone obliged and able to support you" as yes or no."""
    out = dict(answers)
    old = out.pop("able_supporter", None)
    if old is not None:
        out["supporters"] = "able" if old == "yes" else "unable"
    return out


def prefill(
    household: Mapping[str, Any],
    *,
    name: str,
    id_number: str,
    office: str,
    district: str | None,
    member_ids: Sequence[str | None] = (),
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """Answers and members of an application the office fills in from what it knows (the registry
    of the monitored population), for the resident to check one by one: the inverse of ``build``.

    ``household`` has the shape of the policy engine's household (``members``, ``other_income``,
    ``assets``, ``rigid_spending``, ``housing``, ``hardship``); member 0 is the applicant.
    Today's urgent needs, the mobile number and consent are never pre-filled: only the resident
    can say them.
    """
    rows = list(household.get("members") or ())
    answers: dict[str, object] = {
        "for_whom": "self", "name": name, "id_number": id_number, "office": office, "household_size": len(rows),
    }
    if district:
        answers["district"] = district
    members: list[dict[str, object]] = []
    for i, row in enumerate(rows):
        health, grade = row.get("health") or "healthy", row.get("disability_grade")
        member: dict[str, object] = {"condition": "disability" if health == "healthy" and grade else health}
        if member["condition"] != "healthy":
            member["disability"] = str(grade) if grade else NONE
        if i > 0:
            member["relation"] = row.get("relation") if row.get("relation") in RELATIONS else "other"
            known = member_ids[i] if i < len(member_ids) else None
            member["identity"] = {"id_number": known, "age": row.get("age")} if known else {"age": row.get("age")}
            if row.get("name"):
                member["given_name"] = row["name"]
        if (row.get("age") or 0) >= 6:
            member["work"] = row.get("work") or "unable"
        if (row.get("age") or 0) >= 16:
            member["income"] = _money(row.get("monthly_income"))
        members.append(member)
    other = household.get("other_income") or {}
    incomes = [s for s in INCOME_SOURCES if Decimal(str(other.get(s) or 0)) > 0]
    answers["other_income"] = incomes
    for source in incomes:
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
    if household.get("able_supporter") is not None:
        answers["supporters"] = "able" if household["able_supporter"] else "unable"
    return answers, members

"""Every answer of an application as rows of label and value, in the reader's language.

The labels are the intake's own (``intake.<question>.label``) and so are the options' names, so
the console says what the resident was asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from backend.policy.regions import RegionTree
from locales import Messages, mask_id_number


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    value: str


def _option(messages: Messages, question: str, value: object) -> str:
    key = f"intake.{question}.option.{value}"
    return messages.render(key) if messages.has(key) else str(value)


def _money(messages: Messages, value: object) -> str:
    return messages.money(value) if value not in (None, "") else "—"


def answers(payload: dict[str, Any], messages: Messages, regions: RegionTree, *, show_ids: bool) -> list[Row]:
    """The application's answers in the order the intake asks them (members apart: see ``members``)."""
    t = messages.render
    applicant = payload.get("applicant", {})
    id_number = str(applicant.get("id_number", ""))
    region = payload.get("region", {})
    office = regions.office(region.get("office", ""))
    district = next((d for d in regions.districts if d.code == region.get("district")), None)
    other = payload.get("other_income", {})
    assets = payload.get("assets", {})
    spending = payload.get("rigid_spending", {})
    housing = payload.get("housing", {})
    hardship = payload.get("hardship", {})
    rows = [
        Row(t("intake.for_whom.label"), _option(messages, "for_whom", applicant.get("for_whom"))),
    ]
    if applicant.get("relationship"):
        rows.append(Row(t("intake.relationship.label"), _option(messages, "relationship", applicant["relationship"])))
    if applicant.get("proxy_name"):
        rows.append(Row(t("intake.proxy_name.label"), applicant["proxy_name"]))
    rows += [
        Row(t("intake.name.label"), str(applicant.get("name", ""))),
        Row(t("intake.id_number.label"), id_number if show_ids else mask_id_number(id_number)),
        Row(t("intake.mobile.label"), str(applicant.get("mobile", ""))),
        Row(t("intake.district.label"),
            str(district.names.get(messages.locale)) if district else str(region.get("district"))),
        Row(t("intake.office.label"), str(office.names.get(messages.locale)) if office else str(region.get("office"))),
        Row(t("intake.urgent.label"), _list(messages, "urgent", payload.get("urgent_needs", []))),
        Row(t("intake.household_size.label"), messages.number(len(payload.get("members", [])))),
        Row(t("intake.income_relatives_support.label"), _money(messages, other.get("relatives_support"))),
        Row(t("intake.income_pension.label"), _money(messages, other.get("pension"))),
        Row(t("intake.income_agricultural.label"), _money(messages, other.get("agricultural"))),
        Row(t("intake.income_other.label"), _money(messages, other.get("other"))),
        Row(t("intake.supporters.label"), _supporter(messages, payload.get("able_supporter"))),
        Row(t("intake.savings.label"), _money(messages, assets.get("savings"))),
        Row(t("intake.vehicles.label"), messages.number(assets.get("vehicles", 0))),
        Row(t("intake.homes.label"), messages.number(assets.get("homes", 0))),
        Row(t("intake.medical_spending.label"), _money(messages, spending.get("medical"))),
        Row(t("intake.education_spending.label"), _money(messages, spending.get("education"))),
        Row(t("intake.housing.label"), _option(messages, "housing", housing.get("status"))),
    ]
    if housing.get("monthly_rent") is not None:
        rows.append(Row(t("intake.rent.label"), _money(messages, housing.get("monthly_rent"))))
    rows += [
        Row(t("intake.hardship_types.label"), _list(messages, "hardship_types", hardship.get("types", []))),
        Row(t("intake.account.label"), str(hardship.get("account") or "—")),
    ]
    consent = payload.get("consent") or {}
    if consent.get("given_at"):
        rows.append(Row(t("intake.consent.label"), t("console.consent_given", version=consent.get("version"),
                                                     at=messages.when(consent["given_at"]))))
    return rows


def members(payload: dict[str, Any], messages: Messages, *, show_ids: bool) -> list[dict[str, str]]:
    """One row per household member: name and relation, age, ID number, health, disability, work, income."""
    applicant_name = (payload.get("applicant") or {}).get("name")
    found = []
    for member in payload.get("members", []):
        id_number = member.get("id_number")
        grade = member.get("disability_grade")
        health = member.get("health")
        # The application keeps "healthy" for a member who is disabled only (their grade says so):
        # shown as the option the resident chose, never as "healthy, no disability".
        if grade and health in (None, "healthy"):
            health = "disability"
        relation = member.get("relation")
        # The applicant's name is the application's; older applications have no member names.
        name = member.get("name") or (applicant_name if relation == "self" else None)
        shown = (messages.render("console.relation.self") if relation == "self"
                 else _option(messages, "members.relation", relation))
        found.append({
            "name": str(name) if name else "",
            "relation": shown,
            "member": (f"{name}（{shown}）" if messages.locale == "zh_CN" else f"{name} ({shown})") if name else shown,
            "age": messages.number(member.get("age", 0)),
            "id_number": "—" if not id_number else (str(id_number) if show_ids else mask_id_number(id_number)),
            "health": _option(messages, "members.condition", health),
            "disability": _option(messages, "members.disability", grade if grade else "none"),
            "work": _option(messages, "members.work", member.get("work")),
            "income": _money(messages, member.get("monthly_income")),
        })
    return found


def _supporter(messages: Messages, able: object) -> str:
    # Not asked (null) is not "no": the resident was never asked, and it is to be verified.
    if able is None:
        return messages.render("console.supporter_unknown")
    return messages.render("console.yes") if able else messages.render("console.no")


def _list(messages: Messages, question: str, values: Iterable[object]) -> str:
    separator = "、" if messages.locale == "zh_CN" else ", "
    return separator.join(_option(messages, question, v) for v in values) or "—"

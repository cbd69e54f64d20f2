"""How department events change a household's facts: the Household JSON the policy engine reads.

Events are applied in the order they happened to the JSON, in place. A death removes
the member, so the indexes of the members after it move down; the state keeps each person's index
up to date so the registry's ``member`` column can follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from backend.monitoring.records import FeedEvent
from backend.monitoring.vocabulary import (
    DEATH,
    DISABILITY_ASSESSED,
    DISASTER_LOSS,
    EMPLOYED,
    ENROLLED,
    INCOME_CHANGE,
    LEFT_SCHOOL,
    OUT_OF_POCKET,
    UNEMPLOYED,
)

ZERO, CENT = Decimal(0), Decimal("0.01")
GONE = -1  # the member index of a person who left the household (died)
# How a department marks a medical row as a serious illness (大病): its ``serious`` field.
SERIOUS_MARKS = ("1", "true", "yes", "y", "是")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - date.resolution).day
    return date(year, month, min(day.day, last))


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


class HouseholdState:
    """A household's facts as events change them, and where each of its persons is among the members."""

    def __init__(self, household: dict[str, Any], members: Mapping[int, int], *, working_age_min: int) -> None:
        self.data = household  # changed in place: the caller hands it over (freshly parsed JSON)
        self.members: dict[int, int] = dict(members)  # person id → member index
        self.moved = False  # a death changed the indexes
        self._working_age_min = working_age_min

    def member(self, person_id: int) -> dict[str, Any] | None:
        """The person's member entry, or None when they are not (or no longer) among the members."""
        index = self.members.get(person_id, GONE)
        members = self.data["members"]
        return members[index] if 0 <= index < len(members) else None

    def employed_others(self, person_id: int) -> int:
        """How many members other than this person are employed."""
        mine = self.members.get(person_id, GONE)
        return sum(1 for i, m in enumerate(self.data["members"]) if i != mine and m.get("work") == "employed")

    def income(self) -> Decimal:
        """The household's monthly income: every member's plus the other income."""
        members = sum((Decimal(str(m.get("monthly_income") or 0)) for m in self.data["members"]), ZERO)
        other = self.data.get("other_income") or {}
        return members + sum((Decimal(str(v or 0)) for v in other.values()), ZERO)

    def apply(self, event: FeedEvent) -> None:
        """Change the facts as ``event`` says; an event about nobody of the household changes nothing."""
        kind, amount = event.kind, event.amount
        if kind == DISASTER_LOSS:
            hardship = self.data.setdefault("hardship", {"types": [], "account": ""})
            if "disaster" not in hardship.setdefault("types", []):
                hardship["types"] = [*hardship["types"], "disaster"]
            if amount:
                # What the disaster destroyed is no longer there to live on.
                assets = self.data["assets"]
                assets["savings"] = _money(max(ZERO, Decimal(str(assets.get("savings") or 0)) - amount))
            return
        member = self.member(event.person_id)
        if member is None:
            return
        if kind == OUT_OF_POCKET:
            if amount:
                spending = self.data.setdefault("rigid_spending", {})
                spending["medical"] = _money(Decimal(str(spending.get("medical") or 0)) + amount)
            if event.serious:
                member["health"] = "serious"
        elif kind == DISABILITY_ASSESSED:
            if event.grade is not None and 1 <= event.grade <= 4:
                member["disability_grade"] = event.grade
        elif kind == DEATH:
            self._remove(event.person_id)
        elif kind == UNEMPLOYED:
            member["work"], member["monthly_income"] = "unemployed", _money(ZERO)
        elif kind == EMPLOYED:
            member["work"] = "employed"
            if amount is not None:
                member["monthly_income"] = _money(amount)
        elif kind == ENROLLED:
            member["work"] = "student"
        elif kind == LEFT_SCHOOL:
            member["work"] = "unemployed" if int(member.get("age", 0)) >= self._working_age_min else "child"
        elif kind == INCOME_CHANGE and amount is not None:
            # The amount is the household's new monthly income; the person's own income takes the difference.
            own = Decimal(str(member.get("monthly_income") or 0))
            member["monthly_income"] = _money(max(ZERO, own + amount - self.income()))

    def _remove(self, person_id: int) -> None:
        members = self.data["members"]
        index = self.members[person_id]
        if len(members) == 1:
            return  # a household of nobody cannot be assessed; the event stays on record
        del members[index]
        self.members = {p: (GONE if p == person_id else i - 1 if i > index else i) for p, i in self.members.items()}
        self.moved = True

"""The household a policy is evaluated on: the household part of the structured application.

This is the JSON that ``yimen assess FILE.json`` reads. Every field has the meaning and the
validation it has in :class:`backend.application.ApplicationV1`; amounts are CNY, incomes per
month, rigid spending over the last 12 months::

    {
      "members": [
        {"relation": "self", "age": 71, "health": "chronic", "disability_grade": null,
         "work": "retired", "monthly_income": "0"},
        {"relation": "grandchild", "age": 9, "health": "healthy", "work": "student"}
      ],
      "other_income": {"relatives_support": "0", "pension": "600", "agricultural": "0", "other": "0"},
      "assets": {"savings": "5000", "vehicles": 0, "homes": 1},
      "rigid_spending": {"medical": "8000", "education": "1200"},
      "housing": {"status": "own", "monthly_rent": null},
      "hardship": {"types": ["illness", "elderly_care"], "account": "..."},
      "urgent_needs": [],
      "able_supporter": false,
      "region": {"district": "minghu", "office": "hubin"}
    }

``members`` (at least one) and ``assets`` and ``housing`` are required; the rest default to
zero or empty. ``health`` is healthy | chronic | serious; ``work`` is employed | unemployed |
unable | student | retired | child; ``disability_grade`` 1 (most severe) to 4 or null;
``hardship.types`` any of illness, disability, unemployment, disaster, accident, schooling,
housing, elderly_care, other; ``urgent_needs`` any of no_food, no_shelter, safety;
``able_supporter`` says someone outside the household is legally obliged and able to support it
(null: not known, to be verified). ``work`` may also be flexible (odd jobs, casual work).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from backend.application import (
    ApplicationV1,
    Assets,
    Hardship,
    Housing,
    Member,
    OtherIncome,
    Region,
    RigidSpending,
    UrgentNeed,
)


class Household(BaseModel):
    """The household part of an application, as the policy engine reads it."""

    # Incomes, health and disability of named people: a refusal names the field, never its value.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    members: tuple[Member, ...] = Field(min_length=1)
    other_income: OtherIncome = OtherIncome()
    assets: Assets
    rigid_spending: RigidSpending = RigidSpending()
    housing: Housing
    hardship: Hardship = Hardship(types=())
    urgent_needs: tuple[UrgentNeed, ...] = ()
    able_supporter: bool | None = Field(
        default=False,
        description="Someone outside the household is legally obliged to support it and able to; "
        "null when not known (not asked): the assessment says so and does not count it as established.",
    )
    region: Region | None = Field(default=None, description="The street office the household belongs to, if known.")

    @classmethod
    def from_application(cls, application: ApplicationV1) -> Household:
        """The household part of a submitted application."""
        # Every field of a household is the application's field of the same name.
        return cls(**{name: getattr(application, name) for name in cls.model_fields})

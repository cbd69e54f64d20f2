"""The vocabulary shared by a pack and the engine: layers, assistance, services, checks and facts.

A pack may only name what is listed here; each name has a ``policy.*`` message in every locale.
"""

from __future__ import annotations

from enum import StrEnum

from backend.application import HardshipType


class Layer(StrEnum):
    """Layers from most to least severe; a household gets the first it qualifies for."""

    TEKUN = "tekun"
    DIBAO = "dibao"
    DIBAO_MARGINAL = "dibao_marginal"
    RIGID_EXPENSE = "rigid_expense"
    WATCH = "watch"
    NONE = "none"


# Severity rank: 0 is the most severe layer.
SEVERITY: dict[Layer, int] = {layer: rank for rank, layer in enumerate(Layer)}


class Assistance(StrEnum):
    """Specialised assistance (专项救助) and care services a household may be referred to."""

    MEDICAL = "medical"
    EDUCATION = "education"
    HOUSING = "housing"
    EMPLOYMENT = "employment"
    DISASTER = "disaster"
    TEMPORARY = "temporary"
    CARE = "care"


class Service(StrEnum):
    """Social-work services; levels 1–2 remedial, 3–4 supportive (Guangzhou's 4 levels)."""

    CRISIS_INTERVENTION = "crisis_intervention"
    COUNSELLING = "counselling"
    CARE = "care"
    SKILLS = "skills"
    RESOURCE_LINKAGE = "resource_linkage"
    SOCIAL_SUPPORT = "social_support"


class Dimension(StrEnum):
    """The seven resilience dimensions."""

    INCOME = "income"
    ASSETS = "assets"
    FAMILY = "family"
    HEALTH = "health"
    EXPENDITURE = "expenditure"
    EMPLOYMENT = "employment"
    HOUSING = "housing"


class Check(StrEnum):
    """The elementary tests a pack combines into layer rules; each is computed in Python."""

    ASSETS_SAVINGS = "assets.savings"
    ASSETS_VEHICLES = "assets.vehicles"
    ASSETS_HOMES = "assets.homes"
    TEKUN_NO_INCOME = "tekun.no_income"
    TEKUN_NO_SUPPORTER = "tekun.no_supporter"
    TEKUN_UNABLE_MEMBERS = "tekun.unable_members"
    DIBAO_INCOME = "dibao.income"
    MARGINAL_INCOME = "marginal.income"
    RIGID_INCOME = "rigid.income"
    RIGID_SHARE = "rigid.share"
    WATCH_INCOME = "watch.income"
    WATCH_HEALTH = "watch.health"
    WATCH_UNEMPLOYMENT = "watch.unemployment"


# Facts about the household itself, known before any layer or type is decided.
HOUSEHOLD_FACTS: tuple[str, ...] = (
    "ill_member",
    "serious_illness",
    "disabled_member",
    "severe_disability",
    "schooling_member",
    "housing_unsafe_or_none",
    "unemployed_working_age",
    "elderly_living_alone",
    "vulnerable_living_alone",
    "medical_spending",
    "urgent_need",
    "safety_risk",
)
# Facts known once the layer and the types are decided: layer_<layer>, type_<type>.
OUTCOME_FACTS: tuple[str, ...] = tuple(f"layer_{layer}" for layer in Layer) + tuple(
    f"type_{kind}" for kind in HardshipType
)
# Facts known once assistance is decided; only service rules may use them.
LATE_FACTS: tuple[str, ...] = ("emergency", "any_hardship")

# Household quantities a benefit formula may use besides parameters.
QUANTITIES: tuple[str, ...] = ("members", "household_income", "per_capita_income")

# Parameters the engine reads; a pack without one of them fails to load.
PARAMETERS: tuple[str, ...] = (
    "dibao_standard",
    "tekun_standard",
    "marginal_line",
    "savings_limit_per_person",
    "max_vehicles",
    "max_homes",
    "rigid_income_line",
    "rigid_share_threshold",
    "rigid_share_threshold_medical",
    "rigid_medical_share",
    "watch_income_line",
    "elderly_age",
    "child_age",
    "adult_age",
    "working_age_min",
    "working_age_max",
    "school_age_min",
    "school_age_max",
    "severe_disability_grade",
    "emergency_deadline_hours",
    "approval_threshold_amount",
    "appeal_days",
    "acceptance_workdays",
    "street_review_workdays",
    "public_notice_days",
    "approval_workdays",
    "reminder_workdays",
    "points_per_task_hour",
    "points_per_donated_yuan",
    "points_per_goods_yuan",
    "points_per_donated_hour",
)

# Parameters whose value is a list of numbers, read by name (``Pack.parameter_list``).
LIST_PARAMETERS: tuple[str, ...] = (
    "certificate_milestones_hours",
)

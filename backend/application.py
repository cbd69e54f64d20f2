"""The structured application: the contract between the intake conversation and the backend.

Versioned: ``schema_version`` names the shape. A new shape gets a new model and a new
number; the JSON Schema of the current one is written to ``docs/application.schema.json``
by ``yimen schema`` and checked by a test.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

from backend.bounds import Count, Line, Money, Paragraph, Stamp
from id_numbers import BadIdNumber, check_id_number
from locales import SUPPORTED

SCHEMA_VERSION = 1


def _resident_id(value: str, info: ValidationInfo) -> str:
    """Judged as the intake question judges it (check digit, birth date, area code), not only by shape.

    The birth date is judged on the day in the validation context (``{"today": date}``),
    which the intake passes; without one (an application read back) only the number itself is.
    """
    today = (info.context or {}).get("today")
    try:
        return check_id_number(value, today=today)[0]
    except BadIdNumber as error:
        raise ValueError(f"not a valid resident ID number: {error}") from None


IdNumber = Annotated[str, Field(pattern=r"^\d{17}[\dX]$"), AfterValidator(_resident_id)]


class ForWhom(StrEnum):
    SELF = "self"
    OTHER = "other"


class Relationship(StrEnum):
    """How a proxy applicant relates to the person in hardship."""

    FAMILY = "family"
    GUARDIAN = "guardian"
    OTHER = "other"


class MemberRelation(StrEnum):
    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    OTHER = "other"


class Health(StrEnum):
    HEALTHY = "healthy"
    CHRONIC = "chronic"
    SERIOUS = "serious"


class Work(StrEnum):
    EMPLOYED = "employed"
    FLEXIBLE = "flexible"  # 灵活就业、打零工: odd jobs, casual or gig work
    UNEMPLOYED = "unemployed"
    UNABLE = "unable"
    STUDENT = "student"
    RETIRED = "retired"
    CHILD = "child"


class HousingStatus(StrEnum):
    OWN = "own"
    RENTING = "renting"
    UNSAFE = "unsafe"
    NONE = "none"


class HardshipType(StrEnum):
    ILLNESS = "illness"
    DISABILITY = "disability"
    UNEMPLOYMENT = "unemployment"
    DISASTER = "disaster"
    ACCIDENT = "accident"
    SCHOOLING = "schooling"
    HOUSING = "housing"
    ELDERLY_CARE = "elderly_care"
    OTHER = "other"


class UrgentNeed(StrEnum):
    NO_FOOD = "no_food"
    NO_SHELTER = "no_shelter"
    SAFETY = "safety"


class _Model(BaseModel):
    # Applications carry ID numbers, names and health: a refusal names the field, never its value.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class Applicant(_Model):
    """Who applies and for whom; ``name`` and ``id_number`` are those of the person in hardship."""

    for_whom: ForWhom
    relationship: Relationship | None = None
    proxy_name: Line | None = Field(default=None, max_length=60)
    name: Line = Field(min_length=1, max_length=60)
    id_number: IdNumber
    mobile: str = Field(pattern=r"^1\d{10}$", description="Contact mobile number, 11 digits.")


class Region(_Model):
    district: Line = Field(max_length=64)
    office: Line = Field(max_length=64)


class Member(_Model):
    relation: MemberRelation
    name: Line | None = Field(default=None, max_length=60, description="Given name, when the resident gave it.")
    age: Count = Field(ge=0, le=130)
    id_number: IdNumber | None = None
    health: Health
    disability_grade: Count | None = Field(default=None, ge=1, le=4, description="1 (most severe) to 4; null for none.")
    work: Work
    monthly_income: Money = Field(default=Decimal(0), ge=0, description="CNY per month.")


class OtherIncome(_Model):
    """Other household income, CNY per month."""

    relatives_support: Money = Field(default=Decimal(0), ge=0)
    pension: Money = Field(default=Decimal(0), ge=0)
    agricultural: Money = Field(default=Decimal(0), ge=0)
    other: Money = Field(default=Decimal(0), ge=0)


class Assets(_Model):
    savings: Money = Field(ge=0, description="CNY, the whole household.")
    vehicles: Count = Field(ge=0, le=1000)
    homes: Count = Field(ge=0, le=1000)


class RigidSpending(_Model):
    """Rigid spending over the last 12 months, CNY."""

    medical: Money = Field(default=Decimal(0), ge=0)
    education: Money = Field(default=Decimal(0), ge=0)


class Housing(_Model):
    status: HousingStatus
    monthly_rent: Money | None = Field(default=None, ge=0)


class Hardship(_Model):
    types: tuple[HardshipType, ...] = Field(max_length=len(HardshipType))
    account: Paragraph = Field(default="", max_length=4096)


class Consent(_Model):
    version: Count = Field(ge=1, le=1000)
    given_at: Stamp


class ApplicationV1(_Model):
    """An application for assistance as the resident confirmed it."""

    schema_version: Literal[1] = 1
    locale: Literal[SUPPORTED]  # type: ignore[valid-type]  # the supported locales, one list
    consent: Consent
    applicant: Applicant
    region: Region
    members: tuple[Member, ...] = Field(min_length=1, max_length=50)
    other_income: OtherIncome
    assets: Assets
    rigid_spending: RigidSpending
    housing: Housing
    hardship: Hardship
    urgent_needs: tuple[UrgentNeed, ...] = Field(default=(), max_length=len(UrgentNeed))
    able_supporter: bool | None = Field(
        default=False,
        description="Someone outside the household is legally obliged to support it and able to; "
        "null when the resident was not asked (to be verified).",
    )
    document_ids: tuple[Line, ...] = Field(default=(), max_length=100)
    submitted_at: Stamp

    def id_numbers(self) -> tuple[str, ...]:
        """Every ID number in the household, the applicant's first."""
        found = [self.applicant.id_number]
        found += [m.id_number for m in self.members if m.id_number and m.id_number not in found]
        return tuple(found)


Application = ApplicationV1


def json_schema() -> dict[str, object]:
    """The JSON Schema of the current application shape."""
    return ApplicationV1.model_json_schema()

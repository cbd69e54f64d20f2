"""Builders of valid test data for the backend."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from stdnum.cn import ric

from backend.application import (
    Applicant,
    ApplicationV1,
    Assets,
    Consent,
    ForWhom,
    Hardship,
    HardshipType,
    Health,
    Housing,
    HousingStatus,
    Member,
    MemberRelation,
    OtherIncome,
    Region,
    RigidSpending,
    Work,
)

SUBMITTED_AT = datetime(2026, 11, 29, 8, 30, tzinfo=UTC)


def id_number(serial: int, *, born: date = date(1980, 1, 1), region: str = "110101") -> str:
    """A valid 18-character resident ID number; ``serial`` (0-999) tells people apart."""
    body = f"{region}{born:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def member(relation: MemberRelation = MemberRelation.SELF, **fields: Any) -> Member:
    """A household member with plausible defaults."""
    values: dict[str, Any] = {
        "relation": relation,
        "age": 46,
        "health": Health.CHRONIC,
        "work": Work.UNEMPLOYED,
        "monthly_income": Decimal("0"),
    }
    return Member(**(values | fields))


def application(
    *,
    applicant_id: str | None = None,
    members: tuple[Member, ...] | None = None,
    office: str = "街道办事处一",
    district: str = "东城区",
    submitted_at: datetime = SUBMITTED_AT,
) -> ApplicationV1:
    """A valid application; by default the applicant, a spouse and a child."""
    applicant_id = applicant_id or id_number(1)
    if members is None:
        members = (
            member(id_number=applicant_id),
            member(
                MemberRelation.SPOUSE,
                age=44,
                id_number=id_number(2, born=date(1982, 5, 17)),
                health=Health.HEALTHY,
                work=Work.EMPLOYED,
                monthly_income=Decimal("1850.50"),
            ),
            member(
                MemberRelation.CHILD,
                age=12,
                id_number=id_number(3, born=date(2014, 9, 1)),
                health=Health.SERIOUS,
                disability_grade=2,
                work=Work.STUDENT,
            ),
        )
    return ApplicationV1(
        locale="zh_CN",
        consent=Consent(version=1, given_at=submitted_at),
        applicant=Applicant(for_whom=ForWhom.SELF, name="王小明", id_number=applicant_id, mobile="13800138000"),
        region=Region(district=district, office=office),
        members=members,
        other_income=OtherIncome(pension=Decimal("300")),
        assets=Assets(savings=Decimal("2000"), vehicles=0, homes=1),
        rigid_spending=RigidSpending(medical=Decimal("15000.75")),
        housing=Housing(status=HousingStatus.RENTING, monthly_rent=Decimal("900")),
        hardship=Hardship(types=(HardshipType.ILLNESS,), account="孩子生病，需要长期治疗。"),
        submitted_at=submitted_at,
    )

"""Charity projects offered to a household after assessment, and the resident's answer.

An offer is made once per resident and project, whatever happens to it; accepting creates a
referral the project's owner sees, within the project's capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.policy.outcome import Assessment
from backend.policy.projects import Project, matching
from backend.ports import UnitOfWork

PROJECT = "project"
OFFER_BUTTON = "offer:"


@dataclass(frozen=True, slots=True)
class Answer:
    key: str  # the message for the resident: offer.accepted, offer.declined, offer.full, offer.answered
    params: dict[str, Any]


def project_params(project: Project) -> dict[str, Any]:
    return {"project": project.names, "sponsor": project.sponsor, "contact": project.contact}


async def offer_projects(uow: UnitOfWork, projects: tuple[Project, ...], assessment: Assessment, *,
                         resident_id: str, number: str, now: datetime) -> list[str]:
    """Offer every project the household fits and was not offered before (nothing after
    /offers off); their ids."""
    resident = await uow.residents.get(resident_id)
    if resident is not None and resident.offers_off:
        return []
    offered = []
    for project in matching(projects, assessment.facts):
        offer_id = await uow.offers.add(resident_id=resident_id, application_number=number, kind=PROJECT,
                                        ref=project.id, at=now)
        if offer_id is None:
            continue
        await uow.notifications.add(resident_id=resident_id, application_number=None, kind="offer",
                                    params={"offer_id": offer_id, **project_params(project)}, at=now)
        offered.append(project.id)
    return offered


def parse_button(value: str) -> tuple[int, bool] | None:
    """``offer:<id>:accept`` or ``offer:<id>:decline`` as (id, accepted)."""
    parts = value.split(":")
    if len(parts) != 3 or parts[0] != OFFER_BUTTON[:-1] or not parts[1].isdigit() or parts[2] not in ("accept", "decline"):
        return None
    return int(parts[1]), parts[2] == "accept"


async def answer_offer(uow: UnitOfWork, projects: tuple[Project, ...], *, resident_id: str, offer_id: int,
                       accepted: bool, now: datetime) -> Answer | None:
    """The resident's answer; None when the offer is not theirs or names an unknown project."""
    offer = await uow.offers.get(offer_id)
    project = next((p for p in projects if offer and p.id == offer.ref), None)
    if offer is None or offer.resident_id != resident_id or project is None:
        return None
    params = project_params(project)
    if offer.status != "offered":
        return Answer("offer.answered", params)
    if not accepted:
        await uow.offers.answer(offer.id, status="declined", at=now)
        return Answer("offer.declined", params)
    # Counted and taken under the project's lock: two last places cannot both be given.
    await uow.offers.lock(PROJECT, project.id)
    if len(await uow.offers.taken(PROJECT, project.id)) >= project.capacity:
        await uow.offers.answer(offer.id, status="full", at=now)
        return Answer("offer.full", params)
    await uow.offers.answer(offer.id, status="accepted", at=now)
    return Answer("offer.accepted", params)

"""What is offered to a household after assessment, and the resident's answer.

Charity projects, volunteer services that fit the household's needs, and an invitation to join the
credit + volunteer scheme. An offer is made once per resident and thing offered, whatever happens
to it. Accepting a project creates a referral the project's owner sees, within its capacity;
accepting a service creates a task for the office to schedule; accepting the invitation opens the
volunteer registration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.buttons import AnswerOffer, button
from backend.cases.ports import Offer, OffersUnitOfWork
from backend.policy.outcome import Assessment
from backend.policy.projects import Project, matching
from backend.policy.services import ServiceCatalogue
from backend.volunteers.service import Volunteering, given_name

PROJECT, SERVICE, SCHEME = "project", "service", "scheme"
VOLUNTEER_FLOW = "volunteer"


@dataclass(frozen=True, slots=True)
class Answer:
    key: str  # the message for the resident: offer.accepted, offer.declined, offer.full, offer.answered ...
    params: dict[str, Any]
    start_flow: str | None = None  # a flow the resident goes on to (the volunteer registration)


def offer_buttons(offer_id: int) -> list[dict[str, Any]]:
    """Accept / Not now, as notification buttons."""
    return [button(AnswerOffer(offer_id, True), "offer.accept"), button(AnswerOffer(offer_id, False), "offer.decline")]


def project_params(project: Project) -> dict[str, Any]:
    return {"project": project.names, "sponsor": project.sponsor, "contact": project.contact}


async def offer_projects(uow: OffersUnitOfWork, projects: tuple[Project, ...], assessment: Assessment, *,
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
                                    params={"offer_id": offer_id, **project_params(project),
                                            "buttons": offer_buttons(offer_id)}, at=now)
        offered.append(project.id)
    return offered


async def offer_services(uow: OffersUnitOfWork, catalogue: ServiceCatalogue, assessment: Assessment, *,
                         resident_id: str, number: str, now: datetime) -> list[str]:
    """Offer the volunteer services the household fits, and the scheme invitation when it is for
    them, each once (nothing after /offers off); what was offered (skills, and "scheme")."""
    resident = await uow.residents.get(resident_id)
    if resident is not None and resident.offers_off:
        return []
    wanted = [(SERVICE, s.skill) for s in catalogue.matching(assessment.facts)]
    if catalogue.invites(assessment.facts) and await uow.volunteers.by_resident(resident_id) is None:
        wanted.append((SCHEME, VOLUNTEER_FLOW))
    offered = []
    for kind, ref in wanted:
        offer_id = await uow.offers.add(resident_id=resident_id, application_number=number, kind=kind, ref=ref, at=now)
        if offer_id is None:
            continue
        await uow.notifications.add(resident_id=resident_id, application_number=None, kind=f"offer_{kind}",
                                    params={"offer_id": offer_id, "skill": ref, "buttons": offer_buttons(offer_id)},
                                    at=now)
        offered.append(ref if kind == SERVICE else kind)
    return offered


async def answer_offer(uow: OffersUnitOfWork, projects: tuple[Project, ...], *, resident_id: str, offer_id: int,
                       accepted: bool, now: datetime, services: ServiceCatalogue | None = None,
                       volunteering: Volunteering | None = None) -> Answer | None:
    """The resident's answer; None when the offer is not theirs or names something unknown."""
    offer = await uow.offers.get(offer_id)
    if offer is None or offer.resident_id != resident_id:
        return None
    if offer.kind in (SERVICE, SCHEME):
        return await _answer_service(uow, offer, services, volunteering, accepted, now)
    project = next((p for p in projects if p.id == offer.ref), None)
    if project is None:
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


async def _answer_service(uow: OffersUnitOfWork, offer: Offer, catalogue: ServiceCatalogue | None,
                          volunteering: Volunteering | None, accepted: bool, now: datetime) -> Answer | None:
    service = next((s for s in catalogue.services if s.skill == offer.ref), None) if catalogue else None
    if volunteering is None or (offer.kind == SERVICE and service is None):
        return None
    params = {"skill": offer.ref}
    if offer.status != "offered":
        return Answer("offer.answered", params)
    if not accepted:
        await uow.offers.answer(offer.id, status="declined", at=now)
        return Answer("offer.declined_service", params)
    await uow.offers.answer(offer.id, status="accepted", at=now)
    if offer.kind == SCHEME:
        return Answer("offer.scheme_accepted", params, start_flow=VOLUNTEER_FLOW)
    case = await uow.cases.get(offer.application_number) if offer.application_number else None
    if case is None or service is None:
        return None
    name = str(case.payload.get("applicant", {}).get("name", ""))
    await volunteering.request_task(uow, resident_id=offer.resident_id, number=case.number, office=case.office,
                                    skill=service.skill, given_name=given_name(name),
                                    duration_minutes=service.duration_minutes, now=now)
    return Answer("offer.service_accepted", params)

"""What is offered to a household after assessment, and the resident's answer.

Charity projects, volunteer services that fit the household's needs, and an invitation to join the
credit + volunteer scheme. An offer is made once per resident and thing offered, whatever happens
to it, and stays open until accepted, declined or expired. They are not sent one by one: a single
digest lists them a while after the receipt, and the resident lists the open ones on request
(``/offers``, a button) to answer them. Accepting a project creates a referral the project's
owner sees, within its capacity; accepting a service creates a task for the office to schedule;
accepting the invitation opens the volunteer registration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Required, TypedDict

from backend.buttons import ListOffers, button
from backend.cases.ports import Offer, OffersUnitOfWork
from backend.delivery.pacing import DIGEST_KIND, Pacing
from backend.policy.outcome import Assessment
from backend.policy.projects import Project, matching
from backend.policy.services import ServiceCatalogue
from backend.volunteers.service import Volunteering, given_name

PROJECT, SERVICE, SCHEME = "project", "service", "scheme"
VOLUNTEER_FLOW = "volunteer"


class OfferItem(TypedDict, total=False):
    """What the messages ``offers.item`` and ``notice.offers`` say of one offer: its kind, and the
    project (its id, names and sponsor by locale) or the volunteer skill offered."""

    kind: Required[str]
    project_id: str
    project: dict[str, str]
    sponsor: dict[str, str]
    skill: str


@dataclass(frozen=True, slots=True)
class Answer:
    key: str  # the message for the resident: offer.accepted, offer.declined, offer.full, offer.answered ...
    params: Mapping[str, object]
    start_flow: str | None = None  # a flow the resident goes on to (the volunteer registration)


def expired(offer: Offer, now: datetime) -> bool:
    """An open offer past its time: listed no more, and no longer accepted."""
    return offer.expires_at is not None and offer.expires_at <= now


def project_params(project: Project) -> dict[str, object]:
    return {"project": project.names, "sponsor": project.sponsor, "contact": project.contact}


async def offer_projects(uow: OffersUnitOfWork, projects: tuple[Project, ...], assessment: Assessment, *,
                         resident_id: str, number: str, now: datetime, expires_at: datetime | None = None) -> list[str]:
    """Offer every project the household fits and was not offered before (nothing after
    /offers off); their ids. Nothing is sent here: ``offer_after_assessment`` sends the digest."""
    return [item["project_id"] for _, item in
            await _project_offers(uow, projects, assessment, resident_id, number, now, expires_at)]


async def offer_services(uow: OffersUnitOfWork, catalogue: ServiceCatalogue, assessment: Assessment, *,
                         resident_id: str, number: str, now: datetime, expires_at: datetime | None = None) -> list[str]:
    """Offer the volunteer services the household fits, and the scheme invitation when it is for
    them, each once (nothing after /offers off); what was offered (skills, and "scheme")."""
    made = await _service_offers(uow, catalogue, assessment, resident_id, number, now, expires_at)
    return [item["skill"] if item["kind"] == SERVICE else SCHEME for _, item in made]


async def offer_after_assessment(uow: OffersUnitOfWork, projects: tuple[Project, ...], catalogue: ServiceCatalogue,
                                 assessment: Assessment, *, resident_id: str, number: str, now: datetime,
                                 pacing: Pacing) -> list[int]:
    """Record what fits the household as open offers and leave ONE notification that lists them,
    held until the pack's delay after the receipt (the dispatcher also keeps it out of quiet
    hours and within the day's cap of unsolicited messages); the offers' ids."""
    expires_at = now + timedelta(days=pacing.offer_days)
    made = []
    if not await _offers_off(uow, resident_id):
        wanted = _projects_wanted(projects, assessment) + await _services_wanted(uow, catalogue, assessment,
                                                                                   resident_id)
        made = await _offer(uow, wanted, resident_id, number, now, expires_at)
    if made:
        await uow.notifications.add(
            resident_id=resident_id, application_number=None, kind=DIGEST_KIND,
            params={"offers": [item for _, item in made], "offer_ids": [offer_id for offer_id, _ in made],
                    "buttons": [button(ListOffers(), "offers.list_button")]},
            at=now, not_before=now + pacing.digest_delay,
        )
    return [offer_id for offer_id, _ in made]


async def open_offers(uow: OffersUnitOfWork, projects: tuple[Project, ...], *, resident_id: str,
                      now: datetime) -> list[tuple[Offer, OfferItem]]:
    """The resident's offers not yet accepted, declined or expired, oldest first, each with what
    a message says of it (those naming a project no longer in the pack are left out)."""
    listed = []
    for offer in await uow.offers.open_for(resident_id, now=now):
        item = offer_item(offer, projects)
        if item is not None:
            listed.append((offer, item))
    return listed


def offer_item(offer: Offer, projects: tuple[Project, ...]) -> OfferItem | None:
    """What the messages ``offers.item`` and ``notice.offers`` say of one offer."""
    if offer.kind == PROJECT:
        project = next((p for p in projects if p.id == offer.ref), None)
        return None if project is None else _project_item(project)
    return _unlisted_item(offer.kind, offer.ref)


def _unlisted_item(kind: str, ref: str) -> OfferItem:
    """A volunteer service (named by its skill) or the scheme: offers that are not the pack's projects."""
    return OfferItem(kind=SERVICE, skill=ref) if kind == SERVICE else OfferItem(kind=SCHEME)


def _project_item(project: Project) -> OfferItem:
    return OfferItem(kind=PROJECT, project_id=project.id, project=project.names, sponsor=project.sponsor)


async def _project_offers(uow: OffersUnitOfWork, projects: tuple[Project, ...], assessment: Assessment,
                          resident_id: str, number: str, now: datetime,
                          expires_at: datetime | None) -> list[tuple[int, OfferItem]]:
    if await _offers_off(uow, resident_id):
        return []
    return await _offer(uow, _projects_wanted(projects, assessment), resident_id, number, now, expires_at)


async def _service_offers(uow: OffersUnitOfWork, catalogue: ServiceCatalogue, assessment: Assessment,
                          resident_id: str, number: str, now: datetime,
                          expires_at: datetime | None) -> list[tuple[int, OfferItem]]:
    if await _offers_off(uow, resident_id):
        return []
    wanted = await _services_wanted(uow, catalogue, assessment, resident_id)
    return await _offer(uow, wanted, resident_id, number, now, expires_at)


async def _offers_off(uow: OffersUnitOfWork, resident_id: str) -> bool:
    """Whether the resident said /offers off."""
    resident = await uow.residents.get(resident_id)
    return resident is not None and resident.offers_off


Wanted = list[tuple[str, str, OfferItem]]  # (kind, ref, what the messages say of it)


def _projects_wanted(projects: tuple[Project, ...], assessment: Assessment) -> Wanted:
    return [(PROJECT, project.id, _project_item(project)) for project in matching(projects, assessment.facts)]


async def _services_wanted(uow: OffersUnitOfWork, catalogue: ServiceCatalogue, assessment: Assessment,
                           resident_id: str) -> Wanted:
    wanted: Wanted = [(SERVICE, s.skill, _unlisted_item(SERVICE, s.skill))
                      for s in catalogue.matching(assessment.facts)]
    if catalogue.invites(assessment.facts) and await uow.volunteers.by_resident(resident_id) is None:
        wanted.append((SCHEME, VOLUNTEER_FLOW, _unlisted_item(SCHEME, VOLUNTEER_FLOW)))
    return wanted


async def _offer(uow: OffersUnitOfWork, wanted: Wanted, resident_id: str, number: str, now: datetime,
                 expires_at: datetime | None) -> list[tuple[int, OfferItem]]:
    """Record the offers in one go; those made (not offered before), with what messages say of them."""
    once: dict[tuple[str, str], OfferItem] = {}
    for kind, ref, item in wanted:
        once.setdefault((kind, ref), item)  # a thing is offered once, even when two rules want it
    ids = await uow.offers.add_many(resident_id=resident_id, application_number=number,
                                    wanted=list(once), at=now, expires_at=expires_at)
    return [(offer_id, item) for offer_id, item in zip(ids, once.values(), strict=True) if offer_id is not None]


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
    settled = await _settle(uow, offer, accepted, now, params, declined="offer.declined")
    if settled is not None:
        return settled
    # Counted and taken under the project's lock: two last places cannot both be given.
    await uow.offers.lock(PROJECT, project.id)
    if len(await uow.offers.taken(PROJECT, project.id)) >= project.capacity:
        await uow.offers.answer(offer.id, status="full", at=now)
        return Answer("offer.full", params)
    await uow.offers.answer(offer.id, status="accepted", at=now)
    return Answer("offer.accepted", params)


async def _settle(uow: OffersUnitOfWork, offer: Offer, accepted: bool, now: datetime, params: Mapping[str, object],
                  *, declined: str) -> Answer | None:
    """The answer to an offer that cannot or need not be taken: already answered, expired or declined
    (recorded); None when it is open and accepted, for the caller to take."""
    if offer.status != "offered":
        return Answer("offer.answered", params)
    if expired(offer, now):
        return Answer("offer.expired", params)
    if not accepted:
        await uow.offers.answer(offer.id, status="declined", at=now)
        return Answer(declined, params)
    return None


async def _answer_service(uow: OffersUnitOfWork, offer: Offer, catalogue: ServiceCatalogue | None,
                          volunteering: Volunteering | None, accepted: bool, now: datetime) -> Answer | None:
    service = next((s for s in catalogue.services if s.skill == offer.ref), None) if catalogue else None
    if volunteering is None or (offer.kind == SERVICE and service is None):
        return None
    params = {"skill": offer.ref}
    settled = await _settle(uow, offer, accepted, now, params, declined="offer.declined_service")
    if settled is not None:
        return settled
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

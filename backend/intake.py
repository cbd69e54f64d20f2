"""The backend side of an application: store it, refuse duplicates, assess, route and assign it.

The conversation and the API both come in through ``submit``, in the caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from backend.application import ApplicationV1
from backend.cases.offers import offer_after_assessment
from backend.cases.routing import route
from backend.cases.service import CaseService
from backend.crypto import IdHasher
from backend.delivery.pacing import Pacing
from backend.monitoring.registry_seed import seed_from_application
from backend.policy.assess import assess
from backend.policy.deadlines import local_date
from backend.policy.household import Household
from backend.policy.pack import Pack
from backend.policy.projects import Project, load_projects
from backend.policy.services import ServiceCatalogue, load_services
from backend.ports import ApplicationSummary, AssessmentRecord, UnitOfWork
from backend.status import ApplicationStatus

if TYPE_CHECKING:
    from backend.monitoring.vault import IdVault


@dataclass(frozen=True, slots=True)
class Submitted:
    """A new application was taken: its number and the date its review is promised by."""

    application: ApplicationSummary
    review_by: date


@dataclass(frozen=True, slots=True)
class Duplicate:
    """The household already has an open application; nothing new was stored."""

    existing: ApplicationSummary


class Intake(Protocol):
    """What the conversation needs of the backend: in process (IntakeService) or over HTTP."""

    async def find_open(self, uow: UnitOfWork, id_numbers: list[str]) -> ApplicationSummary | None: ...

    async def submit(
        self, uow: UnitOfWork, payload: dict[str, object], *, resident_id: str, document_ids: list[str], now: datetime
    ) -> Submitted | Duplicate: ...


class OpenApplications:
    """A household's open application, looked up in the shared database by the keyed hashes of its
    members' ID numbers: the same for the intake in process and for one that submits over HTTP."""

    def __init__(self, hasher: IdHasher) -> None:
        self._hash = hasher

    async def find_open(self, uow: UnitOfWork, id_numbers: list[str]) -> ApplicationSummary | None:
        """An open application of any household with one of these ID numbers."""
        return await uow.applications.find_open([self._hash(n) for n in id_numbers])


class IntakeService(OpenApplications):
    """Takes applications in. One instance serves every turn; it holds no state of its own."""

    def __init__(
        self,
        hasher: IdHasher,
        review_days: int = 10,
        pack: Pack | None = None,
        cases: CaseService | None = None,
        projects: tuple[Project, ...] | None = None,
        services: ServiceCatalogue | None = None,
        vault: IdVault | None = None,
    ) -> None:
        super().__init__(hasher)
        # With a vault, every assessed application's household enters the monitoring registry.
        self._vault = vault
        self._review_days = review_days
        self._pack = pack
        self._cases = cases or (CaseService(pack) if pack is not None else None)
        self._projects = projects if projects is not None else (load_projects(pack.name) if pack else ())
        self._services = (
            services if services is not None else (load_services(pack.name) if pack else ServiceCatalogue())
        )

    async def submit(
        self,
        uow: UnitOfWork,
        payload: dict[str, object],
        *,
        resident_id: str,
        document_ids: list[str],
        now: datetime,
    ) -> Submitted | Duplicate:
        """Validate and store an application in the caller's unit of work.

        Raises:
            pydantic.ValidationError: the payload does not fit the contract (a bug in the flow).
        """
        # ID numbers' birth dates are judged on the day of submission, as the question judged them.
        application = ApplicationV1.model_validate(
            {**payload, "document_ids": document_ids}, context={"today": now.date()}
        )
        hashes = [self._hash(n) for n in application.id_numbers()]
        await uow.applications.lock_households(hashes)
        existing = await uow.applications.find_open(hashes)
        if existing is not None:
            return Duplicate(existing)
        summary = await uow.applications.add(
            application,
            resident_id=resident_id,
            id_hashes=hashes,
            status=ApplicationStatus.SUBMITTED,
            at=now,
        )
        if document_ids:
            await uow.documents.attach(document_ids, summary.number)
        await self._notify(uow, resident_id, summary.number, ApplicationStatus.SUBMITTED, {}, now)
        if self._pack is None:
            return Submitted(summary, now.date() + timedelta(days=self._review_days))
        status, deadline = await self._assess_and_route(uow, resident_id, summary.number, application, now)
        # The date promised to the resident is the day of the case's deadline where the office is.
        review_by = local_date(deadline, ZoneInfo(self._pack.regions.timezone))
        return Submitted(replace(summary, status=status), review_by)

    async def _assess_and_route(
        self, uow: UnitOfWork, resident_id: str, number: str, application: ApplicationV1, now: datetime
    ) -> tuple[ApplicationStatus, datetime]:
        """Evaluate under the pack on the day of submission, route and assign, in the same transaction;
        the status the case is left in and its deadline."""
        assert self._pack is not None and self._cases is not None
        result = assess(Household.from_application(application), now.date(), self._pack)
        path = route(application.region.office, result, self._pack, now)
        found = AssessmentRecord(
            layer=result.layer.value,
            resilience_level=result.resilience.level,
            emergency=result.emergency,
            assessment=result.as_json(),
            queues=list(path.queues),
            station=path.station,
            deadline_at=path.deadline_at,
        )
        await uow.applications.record_assessment(number, found, at=now)
        await self._notify(
            uow, resident_id, number, ApplicationStatus.ASSESSED, {"emergency": result.emergency}, now,
            urgent=result.emergency,
        )
        if self._vault is not None:
            await seed_from_application(
                uow, number, application, result, hasher=self._hash, vault=self._vault, pack=self._pack, now=now,
                resident_id=resident_id,
            )
        # One digest of what fits, a while after the receipt: not a message per offer right away.
        await offer_after_assessment(uow, self._projects, self._services, result, resident_id=resident_id,
                                     number=number, now=now, pacing=Pacing.of(self._pack, now.date()))
        assigned = await self._cases.assign_on_arrival(
            uow, number, office=application.region.office, emergency=result.emergency, resident_id=resident_id, now=now
        )
        return (ApplicationStatus.ASSIGNED if assigned else ApplicationStatus.ASSESSED), path.deadline_at

    @staticmethod
    async def _notify(
        uow: UnitOfWork,
        resident_id: str,
        number: str,
        status: ApplicationStatus,
        params: dict[str, object],
        now: datetime,
        *,
        urgent: bool = False,
    ) -> None:
        """Every status change leaves a notification for the resident, delivered in their language."""
        await uow.notifications.add(
            resident_id=resident_id, application_number=number, kind=status.value, params=params, at=now, urgent=urgent
        )

"""Every storage port at once: the unit of work as the edges (the runner, the API, the console) see it.

A service names only the repositories it uses, in a unit-of-work protocol of its own; this
module sits above the services and gathers them, and ``backend/db`` implements them all. The
records and ports themselves live in ``backend.store`` and the services' ``ports`` modules; they
are imported here too, where the edges have always found them.
"""

from __future__ import annotations

from typing import Protocol

from backend.cases.deadline_ports import DeadlineReminderRepository
from backend.cases.ports import CaseRepository, IdempotencyStore, OfferRepository
from backend.monitoring.outreach_ports import OutreachRepository
from backend.monitoring.records import AlertRepository, FeedKeyStore, TriggerStore
from backend.monitoring.registry_ports import RegistryRepository
from backend.points.fund_ports import FundRepository
from backend.points.ports import CertificateRepository, PointsRepository
from backend.store.applications import (
    ApplicationRepository,
    ApplicationSummary,
    DocumentMeta,
    DocumentRepository,
    StatusChange,
)
from backend.store.audit import AuditLog
from backend.store.base import Store, Transaction
from backend.store.console import ConsoleRepository, Reports
from backend.store.errors import NotFound
from backend.store.escalations import Escalation, EscalationMessage, EscalationRepository, EscalationScope
from backend.store.inbound import InboundOrder
from backend.store.notifications import NotificationRepository
from backend.store.outbox import OutboxItem, OutboxRepository
from backend.store.residents import (
    DueSession,
    IdentityMove,
    LinkCodeRepository,
    Resident,
    ResidentRepository,
    SessionRepository,
    WebIdentityRepository,
)
from backend.store.threads import ThreadRepository
from backend.store.users import UserRepository
from backend.store.wechat_tokens import AccessTokenStore
from backend.throttle import ThrottleRepository
from backend.volunteers.ports import TaskRepository, VolunteerRepository

__all__ = [
    "ApplicationRepository", "ApplicationSummary", "DocumentMeta", "DocumentRepository", "DueSession", "Escalation",
    "EscalationMessage", "EscalationRepository", "EscalationScope", "IdentityMove", "LinkCodeRepository", "NotFound",
    "OutboxItem", "OutboxRepository", "Resident", "ResidentRepository", "SessionRepository", "StatusChange", "Store",
    "Transaction", "UnitOfWork", "WebIdentityRepository",
]


class UnitOfWork(Transaction, Protocol):
    """One resident turn's (or one request's) unit of work, with every repository.

    The session snapshot, the turn log and any application written by a turn commit together or
    not at all.
    """

    residents: ResidentRepository
    users: UserRepository
    cases: CaseRepository
    threads: ThreadRepository
    audit: AuditLog
    idempotency: IdempotencyStore
    inbound: InboundOrder
    notifications: NotificationRepository
    points: PointsRepository
    certificates: CertificateRepository
    funds: FundRepository
    offers: OfferRepository
    volunteers: VolunteerRepository
    tasks: TaskRepository
    outreach: OutreachRepository
    escalations: EscalationRepository
    outbox: OutboxRepository
    sessions: SessionRepository
    applications: ApplicationRepository
    documents: DocumentRepository
    links: LinkCodeRepository
    console: ConsoleRepository
    throttles: ThrottleRepository
    web_identities: WebIdentityRepository
    reports: Reports
    alerts: AlertRepository
    triggers: TriggerStore
    feed_keys: FeedKeyStore
    registry: RegistryRepository
    deadline_reminders: DeadlineReminderRepository
    wechat_tokens: AccessTokenStore

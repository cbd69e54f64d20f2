"""SQLAlchemy tables of the intake backend, portable between SQLite and PostgreSQL: one module
per noun, all registered on ``Base.metadata`` once this package is imported."""

from backend.db import append_only
from backend.db.models.applications import ApplicationIdHashRow, ApplicationRow, HouseholdMemberRow, StatusHistoryRow
from backend.db.models.base import NAMING_CONVENTION, Base, Json, Money, SerializedJson, UTCDateTime
from backend.db.models.cases import AuditRow, CaseNoteRow, IdempotencyRow
from backend.db.models.documents import DocumentRow
from backend.db.models.escalations import EscalationMessageRow, EscalationPingRow, EscalationRow
from backend.db.models.funds import FundEntryRow, FundRow
from backend.db.models.monitoring import (
    AlertRow,
    FeedEventRow,
    FeedKeyRow,
    FeedNonceRow,
    RegistryAssessmentRow,
    RegistryHouseholdRow,
    RegistryPersonRow,
)
from backend.db.models.notifications import NotificationRow
from backend.db.models.offers import OfferRow
from backend.db.models.outbox import OutboxRow
from backend.db.models.points import PointAccountRow, PointEntryRow, RedemptionCodeRow
from backend.db.models.reminders import DeadlineReminderRow
from backend.db.models.residents import ChannelIdentityRow, InboundArrivalRow, ResidentRow
from backend.db.models.sessions import ConversationSessionRow, ConversationTurnRow
from backend.db.models.staff import ConsoleSessionRow, ThrottleRow, UserRow
from backend.db.models.threads import CaseMessageRow
from backend.db.models.volunteers import CertificateRow, TaskPingRow, TaskRow, VolunteerRow, VolunteerSkillRow
from backend.db.models.wechat import WeChatTokenRow

# A schema made from the metadata (not by the migrations) gets the append-only guards too.
append_only.listen(Base.metadata)

__all__ = [
    "WeChatTokenRow",
    "AlertRow",
    "ApplicationIdHashRow",
    "ApplicationRow",
    "AuditRow",
    "Base",
    "CaseMessageRow",
    "CaseNoteRow",
    "CertificateRow",
    "ChannelIdentityRow",
    "ConsoleSessionRow",
    "ConversationSessionRow",
    "ConversationTurnRow",
    "DeadlineReminderRow",
    "DocumentRow",
    "EscalationMessageRow",
    "EscalationPingRow",
    "EscalationRow",
    "FeedEventRow",
    "FeedKeyRow",
    "FeedNonceRow",
    "FundEntryRow",
    "FundRow",
    "HouseholdMemberRow",
    "IdempotencyRow",
    "InboundArrivalRow",
    "Json",
    "Money",
    "NAMING_CONVENTION",
    "NotificationRow",
    "OfferRow",
    "OutboxRow",
    "PointAccountRow",
    "PointEntryRow",
    "RedemptionCodeRow",
    "RegistryAssessmentRow",
    "RegistryHouseholdRow",
    "RegistryPersonRow",
    "ResidentRow",
    "SerializedJson",
    "StatusHistoryRow",
    "TaskPingRow",
    "TaskRow",
    "ThrottleRow",
    "UTCDateTime",
    "UserRow",
    "VolunteerRow",
    "VolunteerSkillRow",
]

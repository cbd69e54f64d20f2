"""Case (and so application) statuses; open means not yet decided (or under appeal).

The lifecycle that moves a case between them is ``backend.cases.lifecycle``; the statuses live
here, below every service, because storage, reports and the resident's side all name them.
"""

from enum import StrEnum


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    ASSESSED = "assessed"
    ASSIGNED = "assigned"
    UNDER_REVIEW = "under_review"
    INFO_REQUESTED = "info_requested"
    HOME_VISIT_SCHEDULED = "home_visit_scheduled"
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPEALED = "appealed"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


BEFORE_DECISION = (
    CaseStatus.SUBMITTED,
    CaseStatus.ASSESSED,
    CaseStatus.ASSIGNED,
    CaseStatus.UNDER_REVIEW,
    CaseStatus.INFO_REQUESTED,
    CaseStatus.HOME_VISIT_SCHEDULED,
    CaseStatus.PROPOSED,
)
OPEN = frozenset(BEFORE_DECISION) | {CaseStatus.APPEALED}

# An application's status is its case's.
ApplicationStatus = CaseStatus
OPEN_STATUSES = OPEN

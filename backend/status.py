"""Application statuses and which of them count as open."""

from enum import StrEnum


class ApplicationStatus(StrEnum):
    RECEIVED = "received"
    UNDER_REVIEW = "under_review"
    INFO_REQUESTED = "info_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


OPEN_STATUSES = frozenset(
    {ApplicationStatus.RECEIVED, ApplicationStatus.UNDER_REVIEW, ApplicationStatus.INFO_REQUESTED}
)

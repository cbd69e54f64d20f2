"""Application statuses are the case lifecycle's; open means not yet decided (or under appeal)."""

from backend.cases.lifecycle import OPEN as OPEN_STATUSES
from backend.cases.lifecycle import CaseStatus as ApplicationStatus

__all__ = ["ApplicationStatus", "OPEN_STATUSES"]

"""The case lifecycle as a state machine: which action may move a case from which status.

submitted → assessed → assigned → under review ⇄ information requested → home visit
scheduled → proposed → approved or rejected → appealed → closed; withdrawn at any time
before a decision. A checker who disagrees with a proposal returns it: back under review.
One machine, built once; a case is passed in as the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from transitions import Machine

from backend.status import BEFORE_DECISION, OPEN, CaseStatus


class CaseAction(StrEnum):
    ASSESS = "assess"
    ASSIGN = "assign"
    START_REVIEW = "start_review"
    REQUEST_INFO = "request_info"
    RECEIVE_INFO = "receive_info"
    SCHEDULE_VISIT = "schedule_visit"
    RECORD_VISIT = "record_visit"
    PROPOSE = "propose"
    RETURN = "return"
    APPROVE = "approve"
    REJECT = "reject"
    APPEAL = "appeal"
    REOPEN = "reopen"
    WITHDRAW = "withdraw"
    CLOSE = "close"


S, A = CaseStatus, CaseAction
__all__ = ["BEFORE_DECISION", "OPEN", "TRANSITIONS", "CaseAction", "CaseStatus", "IllegalTransition", "Lifecycle"]
TRANSITIONS: tuple[tuple[CaseAction, tuple[CaseStatus, ...], CaseStatus], ...] = (
    (A.ASSESS, (S.SUBMITTED,), S.ASSESSED),
    (A.ASSIGN, (S.ASSESSED, S.ASSIGNED, S.UNDER_REVIEW), S.ASSIGNED),
    (A.START_REVIEW, (S.ASSIGNED,), S.UNDER_REVIEW),
    (A.REQUEST_INFO, (S.UNDER_REVIEW,), S.INFO_REQUESTED),
    (A.RECEIVE_INFO, (S.INFO_REQUESTED,), S.UNDER_REVIEW),
    (A.SCHEDULE_VISIT, (S.UNDER_REVIEW,), S.HOME_VISIT_SCHEDULED),
    (A.RECORD_VISIT, (S.HOME_VISIT_SCHEDULED,), S.UNDER_REVIEW),
    (A.PROPOSE, (S.UNDER_REVIEW, S.HOME_VISIT_SCHEDULED), S.PROPOSED),
    (A.RETURN, (S.PROPOSED,), S.UNDER_REVIEW),
    (A.APPROVE, (S.PROPOSED,), S.APPROVED),
    (A.REJECT, (S.UNDER_REVIEW, S.HOME_VISIT_SCHEDULED, S.PROPOSED), S.REJECTED),
    (A.APPEAL, (S.REJECTED,), S.APPEALED),
    (A.REOPEN, (S.APPEALED,), S.UNDER_REVIEW),
    (A.WITHDRAW, BEFORE_DECISION, S.WITHDRAWN),
    (A.CLOSE, (S.APPROVED, S.REJECTED, S.APPEALED), S.CLOSED),
)


class IllegalTransition(ValueError):
    """The action is not allowed from the case's current status (named in the message)."""

    def __init__(self, action: CaseAction, status: CaseStatus) -> None:
        super().__init__(f"cannot {action.value} a case that is {status.value}")
        self.action, self.status = action, status


@dataclass
class _Case:
    state: str


def _build() -> Machine:
    machine = Machine(
        model=None,
        states=[s.value for s in CaseStatus],
        initial=S.SUBMITTED.value,
        auto_transitions=False,
        ignore_invalid_triggers=True,
    )
    for action, sources, dest in TRANSITIONS:
        machine.add_transition(action.value, [s.value for s in sources], dest.value)
    return machine


class Lifecycle:
    """Checks and applies actions. Build once and share."""

    def __init__(self) -> None:
        self._machine = _build()

    def allowed(self, status: CaseStatus) -> list[CaseAction]:
        """The actions possible from ``status``, in a stable order."""
        return [a for a, sources, _ in TRANSITIONS if status in sources]

    def apply(self, status: CaseStatus, action: CaseAction) -> CaseStatus:
        """The status after ``action``.

        Raises:
            IllegalTransition: the action is not allowed now.
        """
        case = _Case(status.value)
        event = self._machine.events.get(action.value)
        if event is None or not event.trigger(case):
            raise IllegalTransition(action, status)
        return CaseStatus(case.state)

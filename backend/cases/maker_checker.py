"""Maker-checker: what each decision on a proposal records, who may take it, and what it tells
the resident.

A proposal of a layer in ``SECOND_APPROVAL_LAYERS``, or of an amount above the pack's
``approval_threshold_amount``, is checked by a caseworker other than its proposer, who approves,
rejects or returns it. Every decision keeps two texts apart: the internal note, for staff only,
and what the resident reads, built from the pack (standard reasons, payment, review, appeal)
plus what the caseworker wrote for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from backend.cases.decision_message import approval_params, rejection_params
from backend.cases.lifecycle import CaseAction
from backend.cases.ports import Case, User
from backend.policy.pack import Pack
from backend.store.errors import DecisionRefused

# Layers whose approval always needs a second caseworker.
SECOND_APPROVAL_LAYERS = frozenset({"tekun", "dibao"})


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """A caseworker's action and what it needs: the assignee, the question asked, the visit's
    time, the proposed package and monthly amount.

    A decision (approve, reject, return) has two texts: ``note``, the internal reason that only
    staff read (required to return a proposal), and what the resident reads, which is built from
    the pack: a rejection's standard reasons by code (``reason_codes``), plus ``resident_text``,
    an optional free text the caseworker writes in the resident's language.
    """

    action: CaseAction
    note: str = ""
    assignee: str | None = None
    question: str | None = None
    visit_at: datetime | None = None
    package: tuple[str, ...] | None = None
    amount: Decimal | None = None
    reason_codes: tuple[str, ...] = field(default_factory=tuple)
    resident_text: str = ""


class MakerChecker:
    """The decisions on a case under one pack. Pure: it reads the case and the request and returns
    what to record, or refuses."""

    def __init__(self, pack: Pack) -> None:
        self._pack = pack

    def proposal(self, user: User, case: Case, request: ActionRequest, now: datetime) -> dict[str, object]:
        assessment = case.assessment or {}
        package = list(request.package) if request.package is not None else list(assessment.get("assistance", []))
        if request.amount is not None:
            if request.amount < 0:
                raise DecisionRefused("an amount cannot be negative", "amount")
            amount = request.amount.quantize(Decimal("0.01"))
        else:
            amount = Decimal(assessment.get("benefit_estimate", {}).get("amount", "0"))
        return {
            "outcome": "proposed",
            "layer": case.layer,
            "package": package,
            "amount": str(amount),
            "proposed_by": user.username,
            "proposed_at": now.isoformat(),
        }

    def needs_second(self, case: Case, now: datetime) -> bool:
        """Whether approving the case's proposal takes a caseworker other than its proposer."""
        amount = Decimal((case.decision or {}).get("amount", "0"))
        threshold = self._pack.parameter("approval_threshold_amount", now.date()).value
        return case.layer in SECOND_APPROVAL_LAYERS or amount > threshold

    def returned(self, user: User, case: Case, request: ActionRequest, now: datetime) -> dict[str, object]:
        if self.needs_second(case, now) and case.proposed_by == user.username:
            raise DecisionRefused("the proposal waits for a second caseworker: its proposer cannot return it")
        reason = required(request.note, "note", "say why the proposal goes back, for the one who proposed it")
        return {**(case.decision or {}), "outcome": "returned", "returned_by": user.username,
                "returned_at": now.isoformat(), "return_reason": reason}

    def approval(self, user: User, case: Case, request: ActionRequest, now: datetime) -> dict[str, object]:
        proposal = case.decision or {}
        if self.needs_second(case, now) and case.proposed_by == user.username:
            threshold = self._pack.parameter("approval_threshold_amount", now.date()).value
            why = f"a {case.layer} case" if case.layer in SECOND_APPROVAL_LAYERS else f"an amount above ¥{threshold}"
            raise DecisionRefused(f"{why} needs a second caseworker: the one who proposed cannot approve")
        return {**proposal, "outcome": "approved", "approved_by": user.username, "approved_at": now.isoformat(),
                "internal_note": request.note.strip(), "resident_text": request.resident_text.strip()}

    def rejection(self, user: User, case: Case, request: ActionRequest, now: datetime) -> dict[str, object]:
        params = rejection_params(self._pack, request.reason_codes, request.resident_text, now=now)
        return {
            "outcome": "rejected",
            "layer": case.layer,
            "reason_codes": params["reason_codes"],
            "resident_text": params["message"],
            "internal_note": request.note.strip(),
            # The trace's refusals say which conditions failed; the resident is told them too.
            "not_eligible": (case.assessment or {}).get("not_eligible", []),
            "appeal_days": params["appeal_days"],
            "appeal_by": params["appeal_by"],
            "rejected_by": user.username,
            "rejected_at": now.isoformat(),
        }

    def resident_notice(self, case: Case, request: ActionRequest,
                         now: datetime) -> tuple[str, dict[str, object]] | None:
        """The notice kind and parameters a decision sends the resident: only what the pack says
        and what the caseworker wrote for them, never the internal note. None: none is sent."""
        text = request.resident_text.strip()
        if request.action is CaseAction.REJECT:
            return "rejected", rejection_params(self._pack, request.reason_codes, text, now=now)
        if request.action is CaseAction.APPROVE:
            return "approved", approval_params(self._pack, case, text, now=now)
        if request.action is CaseAction.RETURN:
            return ("returned", {"message": text}) if text else None
        if request.action is CaseAction.WITHDRAW:
            return "withdrawn", {}
        return None


def required(value: str | None, name: str, hint: str) -> str:
    if value is None or not value.strip():
        raise DecisionRefused(f"{name} is required: {hint}", name)
    return value.strip()

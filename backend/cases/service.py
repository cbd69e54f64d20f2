"""Deciding cases: who may see and move a case, what each action records, maker-checker.

Every action is one unit of work: the case moves, an immutable status event is appended, a
notification for the resident and an audit entry are written, together or not at all.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from backend.buttons import ReplyNow, button
from backend.cases import system_notes
from backend.cases.lifecycle import CaseAction, CaseStatus, Lifecycle
from backend.cases.ports import OFFICE_ROLES, Case, CaseQuery, CasesUnitOfWork, Note, Role, StatusEvent, User
from backend.policy.pack import Pack
from backend.store.errors import DecisionRefused as DecisionRefused  # the refusals of its actions, raised here
from backend.store.errors import Forbidden as Forbidden
from backend.store.errors import NotFound

SYSTEM = "system"

# What each role may do to a case it can see. Residents act through the bot, not through these.
_STAFF_ACTIONS = frozenset(CaseAction) - {CaseAction.ASSESS}
ACTIONS_BY_ROLE: dict[Role, frozenset[CaseAction]] = {
    Role.CASEWORKER: _STAFF_ACTIONS,
    Role.SUPERVISOR: _STAFF_ACTIONS,
    Role.ADMIN: _STAFF_ACTIONS,
    Role.BOT_SERVICE: frozenset(),
    Role.MERCHANT: frozenset(),
}
# Layers whose approval always needs a second caseworker.
SECOND_APPROVAL_LAYERS = frozenset({"tekun", "dibao"})


# The button on a request for information; the chat opens the reply flow for the application.


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """A caseworker's action and what it needs: the assignee, the question asked, the visit's
    time, the proposed package and monthly amount, the reasons of a rejection."""

    action: CaseAction
    note: str = ""
    assignee: str | None = None
    question: str | None = None
    visit_at: datetime | None = None
    package: tuple[str, ...] | None = None
    amount: Decimal | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)


def can_see(user: User, case: Case) -> bool:
    if user.role is Role.ADMIN:
        return True
    return user.role in OFFICE_ROLES and user.office == case.office


def sees_id_numbers(user: User) -> bool:
    """Office staff verify identities; an administrator runs the system and does not need them."""
    return user.role in OFFICE_ROLES


class CaseService:
    """Reads and moves cases on behalf of staff. One instance serves every request."""

    def __init__(self, pack: Pack, lifecycle: Lifecycle | None = None) -> None:
        self._pack = pack
        self._lifecycle = lifecycle or Lifecycle()

    async def get(self, uow: CasesUnitOfWork, user: User, number: str, *, now: datetime) -> Case:
        """A case the user may see; the read is audited.

        Raises:
            NotFound: no such application.
            Forbidden: it belongs to another office.
        """
        case = await self._visible(uow, user, number)
        await uow.audit.record(
            actor=user.username,
            action="case.read",
            target=number,
            details={"id_numbers_shown": sees_id_numbers(user)},
            at=now,
        )
        return case

    async def list(self, uow: CasesUnitOfWork, user: User, query: CaseQuery, *,
                   now: datetime) -> tuple[list[Case], int]:
        """A page of the cases the user may see (office staff: their office only)."""
        if user.role is Role.BOT_SERVICE:
            raise Forbidden("a bot service account cannot list cases")
        if user.role in OFFICE_ROLES:
            if query.office not in (None, user.office):
                raise Forbidden(f"you work for {user.office}, not {query.office}")
            query = CaseQuery(**{**_fields(query), "office": user.office})
        return await uow.cases.list(query, now=now)

    async def history(self, uow: CasesUnitOfWork, user: User, number: str) -> builtins.list[StatusEvent]:
        await self._visible(uow, user, number)
        return await uow.cases.history(number)

    async def notes(self, uow: CasesUnitOfWork, user: User, number: str) -> builtins.list[Note]:
        await self._visible(uow, user, number)
        return await uow.cases.notes(number)

    async def add_note(self, uow: CasesUnitOfWork, user: User, number: str, body: str, *, now: datetime) -> Note:
        await self._visible(uow, user, number)
        if user.role is Role.BOT_SERVICE:
            raise Forbidden("a bot service account cannot write case notes")
        note = await uow.cases.add_note(number, author=user.username, body=body, at=now)
        await uow.audit.record(actor=user.username, action="case.note", target=number, details={}, at=now)
        return note

    async def act(self, uow: CasesUnitOfWork, user: User, number: str, request: ActionRequest, *,
                  now: datetime) -> Case:
        """Apply a lifecycle action.

        Raises:
            NotFound: no such application.
            Forbidden: another office's case, or an action the role may not take.
            IllegalTransition: not allowed from the case's current status (named).
            DecisionRefused: maker-checker, or a field the action needs is missing or wrong.
        """
        await uow.cases.lock(number)
        case = await self._visible(uow, user, number)
        if request.action not in ACTIONS_BY_ROLE[user.role]:
            raise Forbidden(f"a {user.role.value} cannot {request.action.value} a case")
        status = self._lifecycle.apply(case.status, request.action)
        change, params = await self._effects(uow, user, case, request, now)
        if status is CaseStatus.INFO_REQUESTED:
            # One press takes the resident straight into answering, in the chat.
            params = {**params, "buttons": [button(ReplyNow(number), "notice.reply_now")]}
        await uow.cases.transition(
            number, status=status, action=request.action.value, actor=user.username, note=request.note, at=now, **change
        )
        await uow.notifications.add(
            resident_id=case.resident_id,
            application_number=number,
            kind=status.value,
            params=params,
            at=now,
            urgent=case.emergency,
        )
        await uow.audit.record(
            actor=user.username,
            action=f"case.{request.action.value}",
            target=number,
            details={"from": case.status.value, "to": status.value},
            at=now,
        )
        moved = await uow.cases.get(number)
        assert moved is not None
        return moved

    async def resident_replied(self, uow: CasesUnitOfWork, resident_id: str, number: str, answer: str,
                               document_ids: builtins.list[str], *, now: datetime) -> bool:
        """The resident answered a request for information in the chat: their answer becomes a case
        note, their documents join the application, and the case goes back under review. False
        (nothing changed) when the case is not theirs or no longer waits for information."""
        await uow.cases.lock(number)
        case = await uow.cases.get(number)
        if case is None or case.resident_id != resident_id or case.status is not CaseStatus.INFO_REQUESTED:
            return False
        actor = f"resident:{resident_id}"
        status = self._lifecycle.apply(case.status, CaseAction.RECEIVE_INFO)
        await uow.cases.add_note(number, author=actor, body=answer, at=now)
        if document_ids:
            await uow.documents.attach(document_ids, number)
        await uow.cases.transition(number, status=status, action=CaseAction.RECEIVE_INFO.value, actor=actor,
                                   note="", at=now)
        await uow.audit.record(actor=actor, action=f"case.{CaseAction.RECEIVE_INFO.value}", target=number,
                               details={"from": case.status.value, "to": status.value,
                                        "documents": len(document_ids)}, at=now)
        return True

    async def assign_on_arrival(
        self, uow: CasesUnitOfWork, number: str, *, office: str, emergency: bool, resident_id: str, now: datetime
    ) -> str | None:
        """Give a case just assessed to a caseworker of its office: an emergency to the one on duty
        (else the least loaded), anything else to the least loaded. None when the office has no
        caseworker yet; the case then waits, assessed, in the office's queue."""
        chosen = await uow.users.least_loaded(office, on_duty=True) if emergency else None
        chosen = chosen or await uow.users.least_loaded(office)
        if chosen is None:
            return None
        note = system_notes.encode(system_notes.ON_DUTY if emergency and chosen.on_duty else system_notes.LEAST_LOADED)
        await uow.cases.transition(
            number,
            status=self._lifecycle.apply(CaseStatus.ASSESSED, CaseAction.ASSIGN),
            action=CaseAction.ASSIGN.value,
            actor=SYSTEM,
            note=note,
            at=now,
            assigned_to=chosen.username,
        )
        await uow.notifications.add(
            resident_id=resident_id,
            application_number=number,
            kind=CaseStatus.ASSIGNED.value,
            params={"caseworker": chosen.display_name},
            at=now,
            urgent=emergency,
        )
        return chosen.username

    async def broadcast(
        self, uow: CasesUnitOfWork, user: User, query: CaseQuery, texts: dict[str, str], *, now: datetime
    ) -> int:
        """A message for every resident with a case the query selects (a supervisor: in their
        office), sent after replies and status updates. Returns how many residents it reaches.

        Raises:
            Forbidden: not a supervisor or administrator, or another office.
        """
        if user.role not in (Role.SUPERVISOR, Role.ADMIN):
            raise Forbidden("only a supervisor or an administrator can broadcast")
        if user.role is Role.SUPERVISOR:
            if query.office not in (None, user.office):
                raise Forbidden(f"you supervise {user.office}, not {query.office}")
            query = CaseQuery(**{**_fields(query), "office": user.office})
        residents = await uow.cases.residents(query, now=now)
        for resident_id in residents:
            await uow.notifications.add(
                resident_id=resident_id, application_number=None, kind="broadcast", params={"texts": texts}, at=now
            )
        segment = {k: v for k, v in _fields(query).items() if v is not None and k not in ("limit", "offset")}
        await uow.audit.record(
            actor=user.username,
            action="broadcast",
            target=query.office or "*",
            details={"segment": {k: str(v) for k, v in segment.items()}, "residents": len(residents)},
            at=now,
        )
        return len(residents)

    async def tell_the_long_waiting(self, uow: CasesUnitOfWork, *, now: datetime, days: int) -> int:
        """A "still in review" notification for each undecided case older than ``days``, at most
        once every ``days``: the resident was told when to expect an answer, and is not left
        wondering when that date passes. Returns how many were written."""
        since = now - timedelta(days=days)
        cases = await uow.cases.waiting_long(submitted_before=since, not_told_since=since)
        for case in cases:
            await uow.notifications.add(
                resident_id=case.resident_id,
                application_number=case.number,
                kind="still_in_review",
                params={"days": (now - case.submitted_at).days, "status": case.status.value},
                at=now,
            )
        return len(cases)

    async def _visible(self, uow: CasesUnitOfWork, user: User, number: str) -> Case:
        case = await uow.cases.get(number)
        if case is None:
            raise NotFound(f"no application {number}")
        if not can_see(user, case):
            raise Forbidden(f"application {number} belongs to another office")
        return case

    async def _effects(
        self, uow: CasesUnitOfWork, user: User, case: Case, request: ActionRequest, now: datetime
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The columns an action changes besides the status, and the resident's notification parameters."""
        action = request.action
        if action is CaseAction.ASSIGN:
            assignee = await self._assignee(uow, user, case, request.assignee)
            return {"assigned_to": assignee.username}, {"caseworker": assignee.display_name}
        if action is CaseAction.REQUEST_INFO:
            question = _required(request.question, "question", "say what the resident should send or answer")
            return {}, {"question": question}
        if action is CaseAction.SCHEDULE_VISIT:
            if request.visit_at is None or request.visit_at <= now:
                raise DecisionRefused("a home visit needs a time in the future", "visit_at")
            return {}, {"visit_at": request.visit_at.isoformat()}
        if action is CaseAction.PROPOSE:
            decision = self._proposal(user, case, request, now)
            return {"proposed_by": user.username, "decision": decision}, {}
        if action is CaseAction.APPROVE:
            decision = self._approval(user, case, now)
            return {"decision": decision}, {"package": decision["package"], "amount": decision["amount"]}
        if action is CaseAction.REJECT:
            decision = self._rejection(user, case, request, now)
            return {"decision": decision}, {"reasons": decision["reasons"], "appeal_by": decision["appeal_by"]}
        if action is CaseAction.REOPEN:
            # The appeal reopens the review: the earlier proposal no longer stands.
            return {"decision": None, "proposed_by": None}, {}
        return {}, {}

    async def _assignee(self, uow: CasesUnitOfWork, user: User, case: Case, username: str | None) -> User:
        username = username or (user.username if user.role is Role.CASEWORKER else None)
        if username is None:
            raise DecisionRefused("say which caseworker to assign", "assignee")
        assignee = await uow.users.get(username)
        if assignee is None or not assignee.active:
            raise DecisionRefused(f"no active user {username!r}", "assignee")
        if assignee.role is not Role.CASEWORKER or assignee.office != case.office:
            raise DecisionRefused(f"{username} is not a caseworker of {case.office}", "assignee")
        return assignee

    def _proposal(self, user: User, case: Case, request: ActionRequest, now: datetime) -> dict[str, Any]:
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

    def _approval(self, user: User, case: Case, now: datetime) -> dict[str, Any]:
        proposal = case.decision or {}
        amount = Decimal(proposal.get("amount", "0"))
        threshold = self._pack.parameter("approval_threshold_amount", now.date()).value
        needs_second = case.layer in SECOND_APPROVAL_LAYERS or amount > threshold
        if needs_second and case.proposed_by == user.username:
            why = f"a {case.layer} case" if case.layer in SECOND_APPROVAL_LAYERS else f"an amount above ¥{threshold}"
            raise DecisionRefused(f"{why} needs a second caseworker: the one who proposed cannot approve")
        return {**proposal, "outcome": "approved", "approved_by": user.username, "approved_at": now.isoformat()}

    def _rejection(self, user: User, case: Case, request: ActionRequest, now: datetime) -> dict[str, Any]:
        reasons = [r.strip() for r in request.reasons if r.strip()]
        if not reasons:
            raise DecisionRefused("a rejection needs at least one reason", "reasons")
        days = int(self._pack.parameter("appeal_days", now.date()).value)
        return {
            "outcome": "rejected",
            "layer": case.layer,
            "reasons": reasons,
            # The trace's refusals say which conditions failed; the resident is told them too.
            "not_eligible": (case.assessment or {}).get("not_eligible", []),
            "appeal_days": days,
            "appeal_by": (now.date() + timedelta(days=days)).isoformat(),
            "rejected_by": user.username,
            "rejected_at": now.isoformat(),
        }


def _required(value: str | None, name: str, hint: str) -> str:
    if value is None or not value.strip():
        raise DecisionRefused(f"{name} is required: {hint}", name)
    return value.strip()


def _fields(query: CaseQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in query.__dataclass_fields__}

"""Deciding cases: who may see and move a case, what each action records, maker-checker.

Every action is one unit of work: the case moves, an immutable status event is appended, a
notification for the resident and an audit entry are written, together or not at all.
"""

from __future__ import annotations

import builtins
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from backend.buttons import ReplyNow, button
from backend.cases import system_notes
from backend.cases.decision_message import approval_params, rejection_params
from backend.cases.lifecycle import OPEN, CaseAction, CaseStatus, Lifecycle
from backend.cases.maker_checker import SECOND_APPROVAL_LAYERS as SECOND_APPROVAL_LAYERS
from backend.cases.maker_checker import ActionRequest as ActionRequest  # the request its actions take
from backend.cases.maker_checker import MakerChecker, required
from backend.cases.ports import (
    OFFICE_ROLES,
    Case,
    CaseQuery,
    CasesUnitOfWork,
    Note,
    Role,
    StatusEvent,
    Transition,
    User,
)
from backend.cases.thread import RESIDENT_ACTOR, ThreadEntry, applicant_name, resident_thread, staff_thread
from backend.delivery.staff_chat import tell_staff
from backend.policy.deadlines import local_date
from backend.policy.pack import Pack
from backend.store.errors import DecisionRefused as DecisionRefused  # the refusals of its actions, raised here
from backend.store.errors import Forbidden as Forbidden
from backend.store.errors import NotFound
from backend.store.threads import CaseMessage, Direction, MessageKind
from locales import DEFAULT_LOCALE, Messages, Translations

SYSTEM = "system"
MAX_MESSAGE = 2000

# What each role may do to a case it can see. Residents act through the bot, not through these.
_STAFF_ACTIONS = frozenset(CaseAction) - {CaseAction.ASSESS}
ACTIONS_BY_ROLE: dict[Role, frozenset[CaseAction]] = {
    Role.CASEWORKER: _STAFF_ACTIONS,
    Role.SUPERVISOR: _STAFF_ACTIONS,
    Role.ADMIN: _STAFF_ACTIONS,
    Role.BOT_SERVICE: frozenset(),
    Role.MERCHANT: frozenset(),
}


class _Change(TypedDict, total=False):
    """What an action changes on a case besides its status: the fields of a :class:`Transition`."""

    assigned_to: str | None
    proposed_by: str | None
    decision: dict[str, object] | None


@dataclass(frozen=True, slots=True)
class Written:
    """Where a resident's unasked words went: who reads them (None: the office's queue) and in how
    many working days the office answers."""

    assignee: User | None
    response_days: int


def can_see(user: User, case: Case) -> bool:
    if user.role is Role.ADMIN:
        return True
    return user.role in OFFICE_ROLES and user.office == case.office


def sees_id_numbers(user: User) -> bool:
    """Office staff verify identities; an administrator runs the system and does not need them."""
    return user.role in OFFICE_ROLES


class CaseService:
    """Reads and moves cases on behalf of staff. One instance serves every request."""

    def __init__(self, pack: Pack, lifecycle: Lifecycle | None = None, *,
                 staff_messages: Messages | None = None) -> None:
        self._pack = pack
        self._lifecycle = lifecycle or Lifecycle()
        self._decisions = MakerChecker(pack)
        # Staff chat messages (a returned proposal) are rendered when written, in the office's
        # language; without them, the catalogs are read when the first one is written.
        self._staff_messages = staff_messages

    def allowed(self, user: User, case: Case, *, now: datetime) -> builtins.list[CaseAction]:
        """The actions ``user`` may take on ``case`` now, in a stable order: what its status allows
        and the role may do, less approving or returning one's own proposal where a second
        caseworker must check it (the checker returns it; the proposer cannot approve it)."""
        actions = [a for a in self._lifecycle.allowed(case.status) if a in ACTIONS_BY_ROLE[user.role]]
        own = case.status is CaseStatus.PROPOSED and case.proposed_by == user.username
        if own and self._decisions.needs_second(case, now):
            actions = [a for a in actions if a not in (CaseAction.APPROVE, CaseAction.RETURN)]
        return actions

    def check(self, user: User, case: Case, request: ActionRequest, *, now: datetime) -> None:
        """Refuse a decision as :meth:`act` would, without taking it (before asking to confirm it).

        Raises:
            DecisionRefused: maker-checker, or a field the decision needs is missing or wrong.
        """
        if request.action is CaseAction.RETURN:
            self._decisions.returned(user, case, request, now)
        elif request.action is CaseAction.APPROVE:
            self._decisions.approval(user, case, request, now)
        elif request.action is CaseAction.REJECT:
            self._decisions.rejection(user, case, request, now)

    def preview(self, case: Case, request: ActionRequest, messages: Messages, *, now: datetime) -> str | None:
        """The message the resident would get for ``request``, rendered with ``messages`` (their
        language); None when the action sends them none.

        Raises:
            DecisionRefused: a field the message needs is missing or wrong (named).
        """
        params = self._decisions.resident_notice(case, request, now)
        if params is None:
            return None
        kind, values = params
        return messages.render(f"notice.{kind}", number=case.number, **values)

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
            query = replace(query, office=user.office)
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
        kind = status.value
        if status is CaseStatus.INFO_REQUESTED:
            # One press takes the resident straight into answering, in the chat.
            params = {**params, "buttons": [button(ReplyNow(number), "notice.reply_now")]}
        note = request.note.strip()
        if request.action is CaseAction.REQUEST_INFO:
            # The question is what the office asked: kept on the event and in the thread, not
            # only in the notification the resident gets.
            question = str(params["question"])
            note = "\n".join(part for part in (question, note) if part)
            await uow.threads.add(number, direction=Direction.TO_RESIDENT, kind=MessageKind.QUESTION,
                                  author=user.username, body=question, at=now)
        if request.action is CaseAction.RETURN:
            # The office's own disagreement: the resident hears of it only if told something.
            kind = "returned"
            await self._tell_proposer(uow, case, user, note, now)
        move = Transition(status=status, action=request.action.value, actor=user.username, note=note, at=now, **change)
        await uow.cases.transition(number, move)
        if request.action is not CaseAction.RETURN or params:
            await uow.notifications.add(
                resident_id=case.resident_id,
                application_number=number,
                kind=kind,
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
        """The resident answered a request for information in the chat: their answer and documents
        join the case's thread (the documents the application too), and the case goes back under
        review. False (nothing changed) when the case is not theirs or no longer waits for information."""
        await uow.cases.lock(number)
        case = await uow.cases.get(number)
        if case is None or case.resident_id != resident_id or case.status is not CaseStatus.INFO_REQUESTED:
            return False
        actor = f"{RESIDENT_ACTOR}{resident_id}"
        status = self._lifecycle.apply(case.status, CaseAction.RECEIVE_INFO)
        await uow.threads.add(number, direction=Direction.FROM_RESIDENT, kind=MessageKind.REPLY, author=resident_id,
                              body=answer, at=now, document_ids=tuple(document_ids))
        if document_ids:
            await uow.documents.attach(document_ids, number)
        await uow.cases.transition(number, Transition(status=status, action=CaseAction.RECEIVE_INFO.value,
                                                      actor=actor, note="", at=now))
        await uow.audit.record(actor=actor, action=f"case.{CaseAction.RECEIVE_INFO.value}", target=number,
                               details={"from": case.status.value, "to": status.value,
                                        "documents": len(document_ids)}, at=now)
        return True

    async def thread(self, uow: CasesUnitOfWork, user: User, number: str, *, now: datetime,
                     mark_read: bool = False) -> builtins.list[ThreadEntry]:
        """The case's whole thread, oldest first, for staff who may see the case (the read is audited).

        Args:
            mark_read: the reader is handling the case: the resident's messages are read from now
                (they still show as unread in what this call returns).
        """
        case = await self._visible(uow, user, number)
        messages = await uow.threads.messages(number)
        history = await uow.cases.history(number)
        notes = await uow.cases.notes(number)
        notices = await uow.threads.notices(number)
        names = await self._staff_names(uow, [m.author for m in messages] + [e.actor for e in history]
                                        + [n.author for n in notes])
        entries = staff_thread(messages, history, notes, notices, staff_name=lambda u: names.get(u, u),
                               applicant=applicant_name(case))
        if mark_read and user.role in OFFICE_ROLES:
            await uow.threads.mark_read(number, at=now)
        await uow.audit.record(actor=user.username, action="case.thread", target=number, details={}, at=now)
        return entries

    async def resident_view(self, uow: CasesUnitOfWork, resident_id: str, number: str, *,
                            limit: int = 5) -> builtins.list[ThreadEntry]:
        """The last messages between the office and the resident on their case (none for another's)."""
        case = await uow.cases.get(number)
        if case is None or case.resident_id != resident_id:
            return []
        messages = await uow.threads.messages(number)
        names = await self._staff_names(uow, [m.author for m in messages if m.direction is Direction.TO_RESIDENT])
        return resident_thread(messages, staff_name=lambda u: names.get(u, ""), applicant=applicant_name(case),
                               limit=limit)

    async def send_message(self, uow: CasesUnitOfWork, user: User, number: str, body: str, *,
                           now: datetime) -> CaseMessage:
        """A caseworker writes to the resident: a thread entry, and a notification that carries it.

        Raises:
            NotFound, Forbidden: as for ``get``; Forbidden too for a role that does not handle cases.
            DecisionRefused: an empty or too long message (the field ``body``).
        """
        case = await self._visible(uow, user, number)
        if user.role not in OFFICE_ROLES:
            raise Forbidden(f"a {user.role.value} does not write to residents")
        text = required(body, "body", "write the message to the resident")
        if len(text) > MAX_MESSAGE:
            raise DecisionRefused(f"body is longer than {MAX_MESSAGE} characters", "body")
        message = await uow.threads.add(number, direction=Direction.TO_RESIDENT, kind=MessageKind.MESSAGE,
                                        author=user.username, body=text, at=now)
        await uow.notifications.add(resident_id=case.resident_id, application_number=number, kind="message",
                                    params={"text": text, "caseworker": user.display_name}, at=now,
                                    urgent=case.emergency)
        await uow.audit.record(actor=user.username, action="case.message", target=number, details={}, at=now)
        return message

    async def resident_wrote(self, uow: CasesUnitOfWork, resident_id: str, number: str, text: str,
                             document_ids: builtins.list[str], *, now: datetime) -> Written | None:
        """The resident wrote about their case, unasked: the words join its thread. None (nothing
        written) when the case is not theirs or no longer open."""
        case = await uow.cases.get(number)
        if case is None or case.resident_id != resident_id or case.status not in OPEN:
            return None
        await uow.threads.add(number, direction=Direction.FROM_RESIDENT, kind=MessageKind.MESSAGE, author=resident_id,
                              body=text, at=now, document_ids=tuple(document_ids))
        if document_ids:
            await uow.documents.attach(document_ids, number)
        await uow.audit.record(actor=f"{RESIDENT_ACTOR}{resident_id}", action="case.resident_message", target=number,
                               details={"documents": len(document_ids)}, at=now)
        days = int(self._pack.parameter("office_response_days", now.date()).value)
        assignee = await uow.users.get(case.assigned_to) if case.assigned_to else None
        return Written(assignee if assignee is not None and assignee.active else None, days)

    async def _staff_names(self, uow: CasesUnitOfWork, usernames: builtins.list[str]) -> dict[str, str]:
        names: dict[str, str] = {}
        for username in set(usernames):
            if username == SYSTEM or username.startswith(RESIDENT_ACTOR) or username in names:
                continue
            found = await uow.users.get(username)
            if found is not None:
                names[username] = found.display_name
        return names

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
        status = self._lifecycle.apply(CaseStatus.ASSESSED, CaseAction.ASSIGN)
        await uow.cases.transition(number, Transition(status=status, action=CaseAction.ASSIGN.value, actor=SYSTEM,
                                                      note=note, at=now, assigned_to=chosen.username))
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
            query = replace(query, office=user.office)
        residents = await uow.cases.residents(query, now=now)
        for resident_id in residents:
            await uow.notifications.add(
                resident_id=resident_id, application_number=None, kind="broadcast", params={"texts": texts}, at=now
            )
        segment = {k: v for k, v in asdict(query).items() if v is not None and k not in ("limit", "offset")}
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
                params={"days": (now - case.submitted_at).days, "status": case.status.value, **self._due(case)},
                at=now,
            )
        return len(cases)

    def _due(self, case: Case) -> dict[str, str]:
        """The day the resident was promised an answer (the case's deadline, in the pack's time
        zone), so that a reassurance repeats that promise rather than a bare count of days."""
        if case.deadline_at is None:
            return {}
        return {"due": local_date(case.deadline_at, ZoneInfo(self._pack.regions.timezone)).isoformat()}

    async def _visible(self, uow: CasesUnitOfWork, user: User, number: str) -> Case:
        case = await uow.cases.get(number)
        if case is None:
            raise NotFound(f"no application {number}")
        if not can_see(user, case):
            raise Forbidden(f"application {number} belongs to another office")
        return case

    async def _effects(
        self, uow: CasesUnitOfWork, user: User, case: Case, request: ActionRequest, now: datetime
    ) -> tuple[_Change, dict[str, object]]:
        """The columns an action changes besides the status, and the resident's notification parameters."""
        action = request.action
        if action is CaseAction.ASSIGN:
            assignee = await self._assignee(uow, user, case, request.assignee)
            return {"assigned_to": assignee.username}, {"caseworker": assignee.display_name}
        if action is CaseAction.REQUEST_INFO:
            question = required(request.question, "question", "say what the resident should send or answer")
            return {}, {"question": question}
        if action is CaseAction.SCHEDULE_VISIT:
            if request.visit_at is None or request.visit_at <= now:
                raise DecisionRefused("a home visit needs a time in the future", "visit_at")
            return {}, {"visit_at": request.visit_at.isoformat()}
        if action is CaseAction.PROPOSE:
            decision = self._decisions.proposal(user, case, request, now)
            return {"proposed_by": user.username, "decision": decision}, {}
        if action is CaseAction.RETURN:
            told = self._decisions.resident_notice(case, request, now)
            return {"decision": self._decisions.returned(user, case, request, now)}, told[1] if told else {}
        if action is CaseAction.APPROVE:
            decision = self._decisions.approval(user, case, request, now)
            return {"decision": decision}, approval_params(self._pack, case, request.resident_text, now=now)
        if action is CaseAction.REJECT:
            decision = self._decisions.rejection(user, case, request, now)
            return {"decision": decision}, rejection_params(self._pack, request.reason_codes, request.resident_text,
                                                            now=now)
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

    async def _tell_proposer(self, uow: CasesUnitOfWork, case: Case, user: User, reason: str, now: datetime) -> None:
        """The proposer of a returned proposal hears of it in their staff chat, if they have one."""
        proposer = await uow.users.get(case.proposed_by) if case.proposed_by else None
        if proposer is None or not proposer.active:
            return  # The returned proposal shows on the case page and in the queue as under review.
        key = "staff.proposal_returned"
        messages = self._staff_messages or Translations(html=True)(DEFAULT_LOCALE)
        text = messages.render(key, number=case.number, by=user.display_name, reason=reason)
        await tell_staff(uow.outbox, proposer, key, text, at=now)

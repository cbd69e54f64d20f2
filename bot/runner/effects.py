"""Carrying out what the engine asks: effects whose results go back into it, and the writes a
turn's intents ask for, all in the turn's unit of work."""

from __future__ import annotations

import logging
import traceback
from datetime import datetime

from pydantic import ValidationError

from backend.cases.assignee_ping import ping_assignee
from backend.cases.thread import AuthorRole, applicant_name
from backend.intake import Duplicate
from backend.ports import DocumentMeta, UnitOfWork
from bot.services import Services
from flows import events as ev
from flows.engine import Engine
from flows.intents import (
    AttachDocuments,
    DiscardData,
    Effect,
    Intent,
    LookupOpenApplication,
    LookupStatus,
    RequestHuman,
    ScheduleReminder,
    SetLocale,
    SetOffers,
    SubmitApplication,
)
from flows.session import Session

log = logging.getLogger(__name__)

VOLUNTEER_FLOW = "volunteer"
REPLY_FLOW = "reply"
# What ``/status`` shows of each application's thread: the last few messages, each cut short.
STATUS_MESSAGES, STATUS_TEXT = 3, 200


class SubmissionFailed(Exception):
    """A submission effect raised; the turn is abandoned and answered apart."""

    def __init__(self, flow: str) -> None:
        super().__init__(flow)
        self.flow = flow


class Effects:
    """Runs effects against the services and writes intents into a unit of work."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._intake_flow = services.engines[0].flow.name

    async def run(
        self, uow: UnitOfWork, resident_id: str, engine: Engine, session: Session, intents: list[Intent], now: datetime
    ) -> tuple[Session, list[Intent]]:
        """Execute effects and feed their results back until only plain intents are left."""
        done: list[Intent] = []
        queue = list(intents)
        while queue:
            intent = queue.pop(0)
            if not isinstance(intent, Effect):
                done.append(intent)
                continue
            result = await self._execute(uow, resident_id, session.flow, intent, now)
            session, more = engine.step(session, result, now)
            queue = more + queue
        return session, done

    async def act(
        self, uow: UnitOfWork, resident_id: str, session: Session, intents: list[Intent], now: datetime,
        discarded: list[DocumentMeta],
    ) -> None:
        """Write what the intents ask for into the turn's unit of work, and save the session."""
        remind_at = expire_at = None
        for intent in intents:
            if isinstance(intent, ScheduleReminder):
                remind_at = _parse(intent.remind_at)
                expire_at = _parse(intent.expire_at)
            elif isinstance(intent, SetLocale):
                await uow.residents.set_locale(resident_id, intent.locale)
            elif isinstance(intent, SetOffers):
                await uow.residents.set_offers(resident_id, intent.enabled)
            elif isinstance(intent, RequestHuman):
                office = session.answers.get("office")
                await self._services.desk.open(uow, resident_id, reason=intent.reason, step=intent.step,
                                               office=office if isinstance(office, str) else None, now=now)
            elif isinstance(intent, DiscardData):
                discarded += await uow.documents.delete(list(intent.document_ids))
            elif isinstance(intent, AttachDocuments):
                await self._attach(uow, resident_id, intent, now)
        await uow.sessions.save(
            resident_id,
            session.flow,
            session.to_dict(),
            state=session.state,
            updated_at=now,
            remind_at=remind_at,
            expire_at=expire_at,
        )

    async def _attach(self, uow: UnitOfWork, resident_id: str, intent: AttachDocuments, now: datetime) -> None:
        """Documents sent after submitting join the application; while the case is open they are on
        its thread too, and the assignee is told."""
        cases = self._services.backend.cases
        written = await cases.resident_wrote(uow, resident_id, intent.number, "", list(intent.document_ids), now=now)
        if written is None:
            await uow.documents.attach(list(intent.document_ids), intent.number)
            return
        case = await uow.cases.get(intent.number)
        if case is not None:
            await ping_assignee(uow, written.assignee, number=intent.number, applicant=applicant_name(case),
                                messages=self._services.desk.messages, html=True, now=now)

    async def _execute(self, uow: UnitOfWork, resident_id: str, flow: str, effect: Effect, now: datetime) -> ev.Event:
        try:
            return await self._carry_out(uow, resident_id, flow, effect, now)
        except Exception as error:
            if not isinstance(effect, SubmitApplication):
                raise
            # Refused by the contract, a database error, the API down in split mode: the turn is
            # undone and the resident answered (``Conversations.handle``). The error's text may
            # quote the application (a driver's SQL parameters), so only its kind and place are logged.
            log.error("submission failed in the %s flow: %s", flow, described(error))
            raise SubmissionFailed(flow) from None

    async def _carry_out(self, uow: UnitOfWork, resident_id: str, flow: str, effect: Effect, now: datetime) -> ev.Event:
        if isinstance(effect, SubmitApplication) and flow != self._intake_flow:
            return await self._submit_other(uow, resident_id, flow, effect, now)
        if isinstance(effect, LookupOpenApplication):
            found = await self._services.intake.find_open(uow, list(effect.id_numbers))
            return ev.OpenApplicationFound(found.number, found.status) if found else ev.NoOpenApplication()
        if isinstance(effect, SubmitApplication):
            outcome = await self._services.intake.submit(
                uow, effect.payload, resident_id=resident_id, document_ids=list(effect.document_ids), now=now
            )
            if isinstance(outcome, Duplicate):
                return ev.OpenApplicationFound(outcome.existing.number, outcome.existing.status)
            return ev.ApplicationSubmitted(outcome.application.number, outcome.review_by.isoformat())
        if isinstance(effect, LookupStatus):
            listed = await uow.applications.list_for_resident(resident_id)
            return ev.StatusListed(tuple([
                {"number": a.number, "status": str(a.status), "submitted_at": a.submitted_at.isoformat(),
                 "office": a.office, "thread": await self._recent_messages(uow, resident_id, a.number)}
                for a in listed
            ]))
        raise TypeError(f"unknown effect {effect!r}")

    async def _recent_messages(self, uow: UnitOfWork, resident_id: str, number: str) -> list[dict[str, object]]:
        """The last messages between the office and the resident on an application, for ``/status``
        (never staff's internal notes); a long one is cut short."""
        entries = await self._services.backend.cases.resident_view(uow, resident_id, number, limit=STATUS_MESSAGES)
        return [{"who": e.author if e.author_role is AuthorRole.STAFF else "",
                 "mine": e.author_role is AuthorRole.RESIDENT,
                 "body": _shortened(e.body) or f"📎×{len(e.document_ids)}",
                 "at": e.at.isoformat()}
                for e in entries]

    async def _submit_other(
        self, uow: UnitOfWork, resident_id: str, flow: str, effect: SubmitApplication, now: datetime
    ) -> ev.Event:
        """What a flow other than the intake submits: a volunteer's registration, a reply to a caseworker."""
        backend = self._services.backend
        if flow == VOLUNTEER_FLOW:
            volunteer = await backend.volunteering.register(uow, resident_id, effect.payload, now=now)
            return ev.ApplicationSubmitted(str(volunteer.id), now.date().isoformat())
        if flow == REPLY_FLOW:
            number = str(effect.payload["number"])
            replied = await backend.cases.resident_replied(uow, resident_id, number, str(effect.payload["answer"]),
                                                           list(effect.document_ids), now=now)
            case = await uow.cases.get(number) if replied else None
            if case is not None and case.assigned_to:
                # The one who asked hears that the answer came (the queue flags it as well).
                await ping_assignee(uow, await uow.users.get(case.assigned_to), number=number,
                                    applicant=applicant_name(case), messages=self._services.desk.messages, html=True,
                                    now=now)
            return ev.ApplicationSubmitted(number, now.date().isoformat())
        raise TypeError(f"nothing takes what the {flow} flow submits")


def described(error: Exception) -> str:
    """An error's kind and where it was raised, and for a refused contract the fields: never its values."""
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    # The innermost frame of the project's own code says where; a library's says little.
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "site-packages" not in f.filename] or frames
    where = f" at {ours[-1].filename}:{ours[-1].lineno}" if ours else ""
    if isinstance(error, ValidationError):
        fields = ", ".join(
            f"{'.'.join(map(str, e['loc']))} ({e['type']})"
            for e in error.errors(include_url=False, include_context=False, include_input=False)
        )
        return f"{kind}{where}: {fields}"
    return f"{kind}{where}"


def _shortened(text: str) -> str:
    return text if len(text) <= STATUS_TEXT else text[:STATUS_TEXT] + "…"


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None

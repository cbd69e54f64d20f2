"""A case: every answer, the documents, the resilience chart, the trace in sentences, its history,
notes, service tasks and referrals, and the forms of the actions its status allows."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from aiohttp import web

from backend.app_keys import CASES, CONFIG, PACK, PROJECTS
from backend.cases.lifecycle import OPEN, CaseAction
from backend.cases.ports import OFFICE_ROLES, Role
from backend.cases.service import sees_id_numbers
from backend.console.answers import answers, members
from backend.console.charts import radar
from backend.console.common import database_of, messages_of, now_of, render, user_of
from backend.console.thread import notice_texts
from backend.console.trace import sentences
from backend.documents import FileDocumentStorage, content_type
from backend.policy.codes import Dimension
from backend.policy.deadlines import local_date, schedule
from backend.ports import UnitOfWork
from backend.volunteers.ports import SKILLS
from locales import DEFAULT_LOCALE

# Actions shown as forms with fields of their own; the others are a button with an optional note.
WITH_FIELDS = frozenset({CaseAction.ASSIGN, CaseAction.REQUEST_INFO, CaseAction.SCHEDULE_VISIT, CaseAction.PROPOSE,
                         CaseAction.REJECT, CaseAction.RETURN, CaseAction.APPROVE})
# Actions that end the case for the resident: drawn apart, and confirmed before they are taken.
DESTRUCTIVE = frozenset({CaseAction.REJECT, CaseAction.WITHDRAW})
# Actions that send the resident a decision: the caseworker sees that message before it goes.
PREVIEWED = frozenset({CaseAction.APPROVE, CaseAction.REJECT, CaseAction.RETURN}) | DESTRUCTIVE


def number_of(request: web.Request) -> str:
    return request.match_info["number"]


async def case_page(request: web.Request) -> web.Response:
    return await render_case(request)


async def render_case(request: web.Request, form: Mapping[str, object] | None = None, *,
                      status: int = 200) -> web.Response:
    """The case page; ``form`` carries an action form back to it: what was typed (``typed``), the
    action it was for (``action``), errors by field (``errors``), and a decision waiting for
    confirmation with the resident's message (``confirm``, ``preview``)."""
    user = user_of(request)
    number = number_of(request)
    now = now_of(request)
    messages = messages_of(request)
    pack = request.config_dict[PACK]
    async with database_of(request).unit_of_work() as uow:
        service = request.config_dict[CASES]
        case = await service.get(uow, user, number, now=now)  # Forbidden for another office's case
        history = await service.history(uow, user, number)
        notes = await service.notes(uow, user, number)
        # Opening the case is reading what the resident wrote: the queue's flag goes.
        thread = await service.thread(uow, user, number, now=now, mark_read=True)
        documents = await uow.reports.documents(number)
        offers = await uow.reports.offers(number)
        tasks = await uow.tasks.for_application(number)
        # Whom each task was offered to, when each ping goes out (within the volunteer's hours), the answer.
        task_pings = {t.id: [(await _volunteer_name(uow, p.volunteer_id), p) for p in await uow.tasks.pings(t.id)]
                      for t in tasks}
        caseworkers = [u for u in await uow.users.list(case.office) if u.role is Role.CASEWORKER and u.active]
        resident = await uow.residents.get(case.resident_id)
        people = {u.username: u.display_name for u in await uow.users.list()}  # who did what, by name
        await uow.commit()  # the audited read
    assessment = case.assessment or {}
    resilience = assessment.get("resilience") or {}
    dimensions = resilience.get("dimensions") or {}
    axes = [(messages.render(f"policy.dimension.{d.value}"), float(dimensions[d.value]["score"]))
            for d in Dimension if d.value in dimensions]
    allowed = service.allowed(user, case, now=now)
    decisions = pack.decisions
    projects = {p.id: p for p in request.config_dict[PROJECTS]}
    return render(request, "case.html.j2", {
        "case": case,
        "people": people,
        "answers": answers(case.payload, messages, pack.regions, show_ids=sees_id_numbers(user)),
        "members": members(case.payload, messages, show_ids=sees_id_numbers(user)),
        "assessment": assessment,
        "resilience": resilience,
        "chart": radar(axes, title=messages.render("console.case.resilience")),
        "trace": sentences(assessment, messages),
        "history": history,
        "notes": notes,
        "thread": thread,
        "notice_texts": notice_texts(thread, messages, number),
        "writes_to_residents": user.role in OFFICE_ROLES,
        "documents": documents,
        "offers": offers,
        "projects": projects,
        "tasks": tasks,
        "task_pings": task_pings,
        "caseworkers": caseworkers,
        "allowed": allowed,
        "with_fields": WITH_FIELDS,
        "skills": SKILLS,
        # Each stage's last day, counted as the case's deadline was: from the day the office received
        # the application (its first status event; the form's own time is the resident's device's).
        # An emergency works to its hours instead.
        "stages": None if case.emergency else schedule(
            local_date(history[0].at if history else case.submitted_at, messages.zone), pack),
        "today": local_date(now, messages.zone),
        "now": now,
        "open": OPEN,
        "overdue": case.deadline_at is not None and case.deadline_at < now and case.status in OPEN,
        "package_options": assessment.get("assistance", []),
        "destructive": DESTRUCTIVE,
        "reasons": decisions.reasons if decisions else (),
        "reasons_by_code": {r.code: r for r in decisions.reasons} if decisions else {},
        "resident_locale": (resident.locale if resident else None) or DEFAULT_LOCALE,
        "form": form or {},
    }, status=status)


async def document(request: web.Request) -> web.StreamResponse:
    """A document of the case, as a download of the type its content is."""
    user = user_of(request)
    number = number_of(request)
    async with database_of(request).unit_of_work() as uow:
        await request.config_dict[CASES].get(uow, user, number, now=now_of(request))
        found = await uow.reports.document(number, request.match_info["document"])
        if found is None:
            raise web.HTTPNotFound()
        await uow.audit.record(actor=user.username, action="case.document", target=number,
                               details={"document": found.id}, at=now_of(request))
        await uow.commit()
    storage = FileDocumentStorage(request.config_dict[CONFIG].data_dir / "documents")
    try:
        data = storage.open(found.storage_key)
    except (FileNotFoundError, ValueError):
        raise web.HTTPNotFound() from None
    # The type its bytes are, found by the same check as at upload (never the name or the type the
    # sender declared, and a document kept before the check existed may be anything): always a
    # download, never sniffed, so nothing a resident sent is rendered in the console's origin.
    # An <img> on the case page still draws a photo served this way.
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(found.filename)}",
        "Content-Type": content_type(data) or "application/octet-stream",
        "X-Content-Type-Options": "nosniff",
    }
    return web.Response(body=data, headers=headers)


def _quote(name: str) -> str:
    return quote(name, safe="")


async def _volunteer_name(uow: UnitOfWork, volunteer_id: int) -> str:
    volunteer = await uow.volunteers.get(volunteer_id)
    return volunteer.name if volunteer else f"#{volunteer_id}"

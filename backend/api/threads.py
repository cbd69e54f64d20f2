"""A case's thread: read it, write to the resident, and relay the resident's words (integrations)."""

from __future__ import annotations

from aiohttp import web

from backend.api.endpoint import STAFF, Endpoint
from backend.api.errors import ApiError
from backend.api.requests import case_number, check_documents, committed, read_body, request_now
from backend.api.schemas import FieldError, MessageIn, MessageOut, ResidentMessageIn, ThreadEntryOut
from backend.app_keys import CASES, DATABASE, TRANSLATIONS, USER
from backend.cases.assignee_ping import ping_assignee
from backend.cases.ports import Role, User
from backend.cases.thread import ThreadEntry, applicant_name
from backend.status import CaseStatus
from backend.store.errors import DecisionRefused, Forbidden
from backend.store.threads import CaseMessage
from locales import DEFAULT_LOCALE

BOT = frozenset({Role.BOT_SERVICE})


def _entry(entry: ThreadEntry) -> ThreadEntryOut:
    return ThreadEntryOut(
        kind=entry.kind.value, at=entry.at, author=entry.author, author_role=entry.author_role.value, body=entry.body,
        internal=entry.internal, status=entry.status, action=entry.action,
        message_kind=entry.message_kind.value if entry.message_kind else None, document_ids=list(entry.document_ids),
        notice_kind=entry.notice_kind, notice_params=entry.notice_params, delivery=entry.delivery, unread=entry.unread,
    )


def _message(message: CaseMessage) -> dict[str, object]:
    return MessageOut(id=message.id, number=message.number, direction=message.direction.value,
                      kind=message.kind.value, body=message.body, document_ids=list(message.document_ids),
                      at=message.at).model_dump(mode="json")


async def get_thread(request: web.Request) -> web.Response:
    user: User = request[USER]
    now = request_now(request)
    # A caseworker reading the thread has read the resident's messages.
    entries = await committed(request, lambda uow: request.app[CASES].thread(uow, user, case_number(request), now=now,
                                                                            mark_read=True))
    return web.json_response([_entry(e).model_dump(mode="json") for e in entries])


async def post_message(request: web.Request) -> web.Response:
    body: MessageIn = await read_body(request, MessageIn)
    message = await committed(request, lambda uow: request.app[CASES].send_message(
        uow, request[USER], case_number(request), body.body, now=request_now(request)))
    return web.json_response(_message(message), status=201)


async def post_resident_message(request: web.Request) -> web.Response:
    """The resident's answer to an open question, or their words about the case otherwise."""
    body: ResidentMessageIn = await read_body(request, ResidentMessageIn)
    number = case_number(request)
    now = request_now(request)
    cases = request.app[CASES]
    async with request.app[DATABASE].unit_of_work() as uow:
        if body.resident.id is not None:
            resident = await uow.residents.get(body.resident.id)
        else:
            assert body.resident.channel is not None and body.resident.external_id is not None
            resident = await uow.residents.find(body.resident.channel, body.resident.external_id)
        if resident is None:
            raise ApiError(422, "invalid", "unknown resident",
                           fields=[FieldError(field="resident", message="no such resident")])
        case = await uow.cases.get(number)
        if case is None:
            raise ApiError(404, "not_found", f"no application {number}")
        if case.resident_id != resident.id:
            raise Forbidden(f"application {number} is not this resident's")
        await check_documents(uow.documents, resident.id, body.document_ids)
        if case.status is CaseStatus.INFO_REQUESTED:
            await cases.resident_replied(uow, resident.id, number, body.body, list(body.document_ids), now=now)
            assignee = await uow.users.get(case.assigned_to) if case.assigned_to else None
        else:
            written = await cases.resident_wrote(uow, resident.id, number, body.body, list(body.document_ids),
                                                 now=now)
            if written is None:
                raise DecisionRefused(f"application {number} is {case.status.value}: nothing more goes on its thread")
            assignee = written.assignee
        # Staff read the region's language, as on the escalation desk.
        await ping_assignee(uow, assignee, number=number, applicant=applicant_name(case),
                            messages=request.app[TRANSLATIONS](DEFAULT_LOCALE), html=False, now=now)
        message = (await uow.threads.messages(number))[-1]
        await uow.commit()
    return web.json_response(_message(message), status=201)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/api/v1/applications/{number}/thread", get_thread, STAFF,
             "The case's thread, oldest first: messages, status events, notes (internal) and notices; "
             "the resident's messages count as read from then",
             response=ThreadEntryOut, many=True, errors=(404,)),
    Endpoint("POST", "/api/v1/applications/{number}/thread", post_message, STAFF,
             "Write to the resident (office staff): a thread entry and a notification",
             body=MessageIn, response=MessageOut, status=201, errors=(404, 422)),
    Endpoint("POST", "/api/v1/applications/{number}/thread/resident", post_resident_message, BOT,
             "Relay the resident's words (an integration): the answer to an open question, else a message "
             "for the assignee", body=ResidentMessageIn, response=MessageOut, status=201, errors=(404, 409, 422)),
)

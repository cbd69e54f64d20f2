"""Applications as cases: submit, list, read, act on, their history and notes."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from aiohttp import web

from backend.api.endpoint import CREATORS, STAFF, Endpoint
from backend.api.errors import ApiError
from backend.api.requests import (
    case_number,
    check_documents,
    committed,
    read_body,
    read_query,
    request_now,
    response_of,
)
from backend.api.schemas import (
    ActionIn,
    ApplicationCreated,
    CaseDetail,
    CaseFilter,
    CaseList,
    CaseSummary,
    CreateApplication,
    Error,
    FieldError,
    NoteIn,
    NoteOut,
    StatusEventOut,
)
from backend.app_keys import CASES, DATABASE, INTAKE, PACK, USER
from backend.cases.lifecycle import OPEN, CaseAction
from backend.cases.ports import OFFICE_ROLES, Case, CaseQuery, StoredResponse, User
from backend.cases.service import ActionRequest, sees_id_numbers
from backend.intake import Duplicate
from backend.store.errors import Forbidden
from locales import mask_id_number


def _summary(case: Case, now: datetime) -> dict[str, object]:
    overdue = case.deadline_at is not None and case.deadline_at < now and case.status in OPEN
    return response_of(CaseSummary, case, overdue=overdue).model_dump(mode="json")


def _detail(case: Case, user: User, now: datetime, allowed: list[CaseAction]) -> dict[str, object]:
    application = case.payload if sees_id_numbers(user) else _masked(case.payload)
    return {
        **_summary(case, now),
        "proposed_by": case.proposed_by,
        "decision": case.decision,
        "allowed_actions": [a.value for a in allowed],
        "application": application,
        "assessment": case.assessment,
    }


def _masked(payload: dict[str, Any]) -> dict[str, Any]:
    applicant = {**payload["applicant"], "id_number": mask_id_number(payload["applicant"]["id_number"])}
    members = [
        {**m, "id_number": mask_id_number(m["id_number"])} if m.get("id_number") else m for m in payload["members"]
    ]
    return {**payload, "applicant": applicant, "members": members}


async def create_application(request: web.Request) -> web.Response:
    """Idempotent when an ``Idempotency-Key`` header is sent: a retry gets the first response back."""
    user: User = request[USER]
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 128:
        raise ApiError(400, "invalid", "Idempotency-Key must be 1–128 characters",
                       fields=[FieldError(field="Idempotency-Key", message="1–128 characters")])
    body: CreateApplication = await read_body(request, CreateApplication)
    pack = request.app[PACK]
    office = body.application.region.office
    district = pack.regions.district_of(office)
    if district is None:
        raise ApiError(422, "invalid", f"unknown office {office!r}",
                       fields=[FieldError(field="application.region.office", message="not an office of the region")])
    if district.code != body.application.region.district:
        raise ApiError(422, "invalid", f"office {office!r} is in district {district.code!r}",
                       fields=[FieldError(field="application.region.district",
                                          message=f"{office} is in {district.code}")])
    if user.role in OFFICE_ROLES and office != user.office:
        raise Forbidden(f"you work for {user.office}, not {office}")
    request_hash = _fingerprint(body)
    now = request_now(request)
    async with request.app[DATABASE].unit_of_work() as uow:
        if key is not None:
            await uow.idempotency.lock(user.username, key)
            stored = await uow.idempotency.get(user.username, key)
            if stored is not None:
                if stored.request_hash != request_hash:
                    raise ApiError(422, "idempotency_mismatch", "this Idempotency-Key was used for a different request")
                return web.json_response(stored.body, status=stored.status, headers={"Idempotent-Replayed": "true"})
        if body.resident.id is not None:
            resident = await uow.residents.get(body.resident.id)
            if resident is None:
                raise ApiError(422, "invalid", "unknown resident",
                               fields=[FieldError(field="resident.id", message="no such resident")])
        else:
            assert body.resident.channel is not None and body.resident.external_id is not None
            resident = await uow.residents.identify(body.resident.channel, body.resident.external_id, now=now)
        await check_documents(uow.documents, resident.id, body.document_ids)
        payload = body.application.model_dump(mode="json", exclude={"document_ids"})
        outcome = await request.app[INTAKE].submit(
            uow, payload, resident_id=resident.id, document_ids=body.document_ids, now=now
        )
        if isinstance(outcome, Duplicate):
            status = 409
            response = Error(
                error="duplicate",
                message=f"the household already has an open application {outcome.existing.number}",
                number=outcome.existing.number,
                status=outcome.existing.status,
            ).model_dump(mode="json", exclude_none=True)
        else:
            status = 201
            created = response_of(ApplicationCreated, outcome.application, review_by=outcome.review_by)
            response = created.model_dump(mode="json")
        if key is not None:
            await uow.idempotency.put(user.username, key, StoredResponse(request_hash, status, response), at=now)
        await uow.audit.record(actor=user.username, action="case.create", target=response.get("number", ""),
                               details={"duplicate": status == 409}, at=now)
        await uow.commit()
    return web.json_response(response, status=status)


def _fingerprint(body: CreateApplication) -> str:
    """What makes two requests the same: everything but the submission time, which a retried
    conversation turn stamps anew."""
    data = body.model_dump(mode="json", exclude={"application": {"submitted_at"}})
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


async def list_applications(request: web.Request) -> web.Response:
    user: User = request[USER]
    filters: CaseFilter = read_query(request, CaseFilter)
    query = CaseQuery(**filters.model_dump(exclude={"level"}), resilience_level=filters.level)
    now = request_now(request)
    async with request.app[DATABASE].unit_of_work() as uow:
        cases, total = await request.app[CASES].list(uow, user, query, now=now)
    return web.json_response(
        {"items": [_summary(c, now) for c in cases], "total": total, "limit": filters.limit, "offset": filters.offset}
    )


async def get_application(request: web.Request) -> web.Response:
    user: User = request[USER]
    now = request_now(request)
    case = await committed(request, lambda uow: request.app[CASES].get(uow, user, case_number(request), now=now))
    return web.json_response(_detail(case, user, now, request.app[CASES].allowed(user, case, now=now)))


async def act_on_application(request: web.Request) -> web.Response:
    user: User = request[USER]
    body: ActionIn = await read_body(request, ActionIn)
    action = ActionRequest(
        **body.model_dump(exclude={"package", "reason_codes"}),
        package=tuple(body.package) if body.package is not None else None,
        reason_codes=tuple(body.reason_codes),
    )
    now = request_now(request)
    case = await committed(request, lambda uow: request.app[CASES].act(uow, user, case_number(request), action,
                                                                      now=now))
    return web.json_response(_detail(case, user, now, request.app[CASES].allowed(user, case, now=now)))


async def history(request: web.Request) -> web.Response:
    async with request.app[DATABASE].unit_of_work() as uow:
        events = await request.app[CASES].history(uow, request[USER], case_number(request))
    return web.json_response(
        [response_of(StatusEventOut, e).model_dump(mode="json") for e in events]
    )


async def list_notes(request: web.Request) -> web.Response:
    async with request.app[DATABASE].unit_of_work() as uow:
        notes = await request.app[CASES].notes(uow, request[USER], case_number(request))
    return web.json_response([response_of(NoteOut, n).model_dump(mode="json") for n in notes])


async def add_note(request: web.Request) -> web.Response:
    body: NoteIn = await read_body(request, NoteIn)
    note = await committed(request, lambda uow: request.app[CASES].add_note(uow, request[USER], case_number(request),
                                                                           body.body, now=request_now(request)))
    return web.json_response(response_of(NoteOut, note).model_dump(mode="json"), status=201)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", "/api/v1/applications", create_application, CREATORS,
             "Submit an application (idempotent with an Idempotency-Key header)",
             body=CreateApplication, response=ApplicationCreated, status=201, errors=(409, 422)),
    Endpoint("GET", "/api/v1/applications", list_applications, STAFF, "List cases (office staff: their office)",
             query=CaseFilter, response=CaseList, errors=(422,)),
    Endpoint("GET", "/api/v1/applications/{number}", get_application, STAFF, "One case, with its assessment (audited)",
             response=CaseDetail, errors=(404,)),
    Endpoint("POST", "/api/v1/applications/{number}/actions", act_on_application, STAFF,
             "Apply a lifecycle action (assign, request_info, propose, approve, reject, …)",
             body=ActionIn, response=CaseDetail, errors=(404, 409, 422)),
    Endpoint("GET", "/api/v1/applications/{number}/history", history, STAFF, "The case's status events, oldest first",
             response=StatusEventOut, many=True, errors=(404,)),
    Endpoint("GET", "/api/v1/applications/{number}/notes", list_notes, STAFF, "The case's notes",
             response=NoteOut, many=True, errors=(404,)),
    Endpoint("POST", "/api/v1/applications/{number}/notes", add_note, STAFF, "Add a note to a case",
             body=NoteIn, response=NoteOut, status=201, errors=(404, 422)),
)

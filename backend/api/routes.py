"""The API's endpoints, declared once as data: the router and the OpenAPI document both read them.

Each endpoint names the roles that may call it; a caseworker or supervisor is further kept to
their own office's cases by the case service.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import BaseModel

from backend.api.errors import ApiError
from backend.api.keys import CASES, DATABASE, INTAKE, PACK, PACKS, PROJECTS, TRANSLATIONS, USER, VOLUNTEERING
from backend.api.monitoring import act_on_alert, get_alert, list_alerts, push_feed_events
from backend.api.monitoring_schemas import AlertActionIn, AlertDetail, AlertFilter, AlertList, FeedPush, FeedPushOut
from backend.api.requests import path_id
from backend.api.requests import read_body as _body
from backend.api.requests import read_query as _query
from backend.api.requests import request_now as _now
from backend.api.schemas import (
    ActionIn,
    ApplicationCreated,
    AssessIn,
    AssessOut,
    BroadcastIn,
    BroadcastOut,
    CodeIn,
    CodeOut,
    DonationIn,
    FundCorrectionIn,
    FundEntryIn,
    FundEntryOut,
    FundIn,
    FundOut,
    FundPostedOut,
    PointAccountOut,
    PointEntryOut,
    PostedOut,
    ProjectOut,
    ReferralOut,
    RedemptionIn,
    ReversalIn,
    TaskCreditIn,
    CaseDetail,
    CaseFilter,
    CaseList,
    CaseSummary,
    CreateApplication,
    Error,
    FieldError,
    Me,
    NoteIn,
    NoteOut,
    StatusEventOut,
    ScheduleIn,
    TaskIn,
    TaskOut,
    VolunteerOut,
    VolunteerTaskView,
)
from backend.cases.lifecycle import OPEN, Lifecycle
from backend.cases.ports import OFFICE_ROLES, Case, CaseQuery, Role, StoredResponse, User
from backend.cases.service import ActionRequest, Forbidden, sees_id_numbers
from backend.intake import Duplicate
from backend.points import funds
from backend.points.fund_ports import FundEntry, FundHolder
from backend.points.ledger import Donation, Ledger
from backend.points.ports import Holder
from backend.ports import NotFound
from backend.volunteers.ports import SKILLS, Task, TaskSpec
from locales import mask_id_number

STAFF = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN})
MANAGERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
ANYONE = frozenset(Role)
CREATORS = frozenset({Role.BOT_SERVICE, Role.CASEWORKER, Role.SUPERVISOR, Role.ADMIN})
_LIFECYCLE = Lifecycle()

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    roles: frozenset[Role]
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    many: bool = False  # the response is a list of ``response``
    # Authenticated by the caller's signature instead of a bearer token (a department's push).
    signed: bool = False


def _number(request: web.Request) -> str:
    return request.match_info["number"]


def _summary(case: Case, now: datetime) -> dict[str, Any]:
    overdue = case.deadline_at is not None and case.deadline_at < now and case.status in OPEN
    return CaseSummary(
        number=case.number,
        status=case.status,
        office=case.office,
        district=case.district,
        layer=case.layer,
        resilience_level=case.resilience_level,
        emergency=case.emergency,
        overdue=overdue,
        queues=list(case.queues),
        station=case.station,
        deadline_at=case.deadline_at,
        assigned_to=case.assigned_to,
        submitted_at=case.submitted_at,
        updated_at=case.updated_at,
    ).model_dump(mode="json")


def _detail(case: Case, user: User, now: datetime) -> dict[str, Any]:
    application = case.payload if sees_id_numbers(user) else _masked(case.payload)
    return {
        **_summary(case, now),
        "proposed_by": case.proposed_by,
        "decision": case.decision,
        "allowed_actions": [a.value for a in _LIFECYCLE.allowed(case.status)],
        "application": application,
        "assessment": case.assessment,
    }


def _masked(payload: dict[str, Any]) -> dict[str, Any]:
    applicant = {**payload["applicant"], "id_number": mask_id_number(payload["applicant"]["id_number"])}
    members = [
        {**m, "id_number": mask_id_number(m["id_number"])} if m.get("id_number") else m for m in payload["members"]
    ]
    return {**payload, "applicant": applicant, "members": members}


async def me(request: web.Request) -> web.Response:
    user = request[USER]
    return web.json_response(
        Me(username=user.username, display_name=user.display_name, role=user.role.value, office=user.office).model_dump()
    )


async def create_application(request: web.Request) -> web.Response:
    """Idempotent when an ``Idempotency-Key`` header is sent: a retry gets the first response back."""
    user: User = request[USER]
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 128:
        raise ApiError(400, "invalid", "Idempotency-Key must be 1–128 characters",
                       fields=[FieldError(field="Idempotency-Key", message="1–128 characters")])
    body: CreateApplication = await _body(request, CreateApplication)
    pack = request.app[PACK]
    office = body.application.region.office
    district = pack.regions.district_of(office)
    if district is None:
        raise ApiError(422, "invalid", f"unknown office {office!r}",
                       fields=[FieldError(field="application.region.office", message="not an office of the region")])
    if district.code != body.application.region.district:
        raise ApiError(422, "invalid", f"office {office!r} is in district {district.code!r}",
                       fields=[FieldError(field="application.region.district", message=f"{office} is in {district.code}")])
    if user.role in OFFICE_ROLES and office != user.office:
        raise Forbidden(f"you work for {user.office}, not {office}")
    request_hash = _fingerprint(body)
    now = _now(request)
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
        for position, document_id in enumerate(body.document_ids):
            document = await uow.documents.get(document_id)
            if document is None or document.resident_id != resident.id:
                raise ApiError(422, "invalid", "unknown document",
                               fields=[FieldError(field=f"document_ids.{position}", message="no such document of this resident")])
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
            summary = outcome.application
            response = ApplicationCreated(
                number=summary.number,
                status=summary.status,
                office=summary.office,
                submitted_at=summary.submitted_at,
                review_by=outcome.review_by,
            ).model_dump(mode="json")
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
    filters: CaseFilter = _query(request, CaseFilter)
    query = CaseQuery(
        office=filters.office,
        layer=filters.layer,
        resilience_level=filters.level,
        status=filters.status,
        emergency=filters.emergency,
        overdue=filters.overdue,
        assigned_to=filters.assigned_to,
        limit=filters.limit,
        offset=filters.offset,
    )
    now = _now(request)
    async with request.app[DATABASE].unit_of_work() as uow:
        cases, total = await request.app[CASES].list(uow, user, query, now=now)
    return web.json_response(
        {"items": [_summary(c, now) for c in cases], "total": total, "limit": filters.limit, "offset": filters.offset}
    )


async def get_application(request: web.Request) -> web.Response:
    user: User = request[USER]
    now = _now(request)
    async with request.app[DATABASE].unit_of_work() as uow:
        case = await request.app[CASES].get(uow, user, _number(request), now=now)
        await uow.commit()  # the audited read
    return web.json_response(_detail(case, user, now))


async def act_on_application(request: web.Request) -> web.Response:
    user: User = request[USER]
    body: ActionIn = await _body(request, ActionIn)
    action = ActionRequest(
        action=body.action,
        note=body.note,
        assignee=body.assignee,
        question=body.question,
        visit_at=body.visit_at,
        package=tuple(body.package) if body.package is not None else None,
        amount=body.amount,
        reasons=tuple(body.reasons),
    )
    now = _now(request)
    async with request.app[DATABASE].unit_of_work() as uow:
        case = await request.app[CASES].act(uow, user, _number(request), action, now=now)
        await uow.commit()
    return web.json_response(_detail(case, user, now))


async def history(request: web.Request) -> web.Response:
    async with request.app[DATABASE].unit_of_work() as uow:
        events = await request.app[CASES].history(uow, request[USER], _number(request))
    return web.json_response(
        [StatusEventOut(status=e.status, action=e.action, actor=e.actor, note=e.note, at=e.at).model_dump(mode="json")
         for e in events]
    )


async def list_notes(request: web.Request) -> web.Response:
    async with request.app[DATABASE].unit_of_work() as uow:
        notes = await request.app[CASES].notes(uow, request[USER], _number(request))
    return web.json_response([NoteOut(id=n.id, author=n.author, body=n.body, at=n.at).model_dump(mode="json")
                              for n in notes])


async def add_note(request: web.Request) -> web.Response:
    body: NoteIn = await _body(request, NoteIn)
    async with request.app[DATABASE].unit_of_work() as uow:
        note = await request.app[CASES].add_note(uow, request[USER], _number(request), body.body, now=_now(request))
        await uow.commit()
    return web.json_response(NoteOut(id=note.id, author=note.author, body=note.body, at=note.at).model_dump(mode="json"),
                             status=201)


async def broadcast(request: web.Request) -> web.Response:
    body: BroadcastIn = await _body(request, BroadcastIn)
    query = CaseQuery(office=body.office, layer=body.layer, resilience_level=body.level, status=body.status,
                      emergency=body.emergency)
    async with request.app[DATABASE].unit_of_work() as uow:
        count = await request.app[CASES].broadcast(
            uow, request[USER], query, body.message.model_dump(), now=_now(request)
        )
        await uow.commit()
    return web.json_response(BroadcastOut(residents=count).model_dump(), status=202)


def _ledger(request: web.Request) -> Ledger:
    return Ledger(request.app[PACK])


async def _posted(request: web.Request, action: str, target: str, step: Callable[..., Awaitable[Any]]) -> web.Response:
    """Run a ledger step in a unit of work with its audit entry; 201 with the transaction."""
    user: User = request[USER]
    now = _now(request)
    async with request.app[DATABASE].unit_of_work() as uow:
        txn, points = await step(uow, user, now)
        await uow.audit.record(actor=user.username, action=action, target=target,
                               details={"transaction": txn, "points": points}, at=now)
        await uow.commit()
    return web.json_response(PostedOut(transaction=txn, points=points).model_dump(), status=201)


async def record_donation(request: web.Request) -> web.Response:
    body: DonationIn = await _body(request, DonationIn)
    return await _posted(request, "points.donation", f"{body.donor.holder}:{body.donor.ref}", lambda uow, user, now:
                         _ledger(request).record_donation(uow, Holder(body.donor.holder), body.donor.ref,
                                                          body.donor.name, kind=Donation(body.kind),
                                                          amount=body.amount, by=user.username, now=now,
                                                          note=body.note))


async def credit_task(request: web.Request) -> web.Response:
    body: TaskCreditIn = await _body(request, TaskCreditIn)
    return await _posted(request, "points.task", f"volunteer:{body.volunteer_ref}", lambda uow, user, now:
                         _ledger(request).credit_task(uow, body.volunteer_ref, body.volunteer_name, hours=body.hours,
                                                      task=body.task, by=user.username, now=now))


async def reverse_points(request: web.Request) -> web.Response:
    body: ReversalIn = await _body(request, ReversalIn)

    async def step(uow: Any, user: User, now: datetime) -> tuple[str, int]:
        txn = await _ledger(request).reverse(uow, body.transaction, reason=body.reason, by=user.username, now=now)
        return txn, 0

    return await _posted(request, "points.reversal", body.transaction, step)


async def issue_code(request: web.Request) -> web.Response:
    body: CodeIn = await _body(request, CodeIn)
    async with request.app[DATABASE].unit_of_work() as uow:
        code = await _ledger(request).issue_code(uow, Holder(body.holder), body.ref, points=body.points,
                                                 now=_now(request))
        await uow.commit()
    return web.json_response(CodeOut(code=code).model_dump(), status=201)


async def redeem_code(request: web.Request) -> web.Response:
    body: RedemptionIn = await _body(request, RedemptionIn)
    return await _posted(request, "points.redemption", "merchant:" + request[USER].username, lambda uow, user, now:
                         _ledger(request).redeem(uow, user.username, user.display_name, body.code, by=user.username,
                                                 now=now))


async def point_account(request: web.Request) -> web.Response:
    try:
        holder = Holder(request.match_info["holder"])
    except ValueError:
        raise ApiError(422, "invalid", "unknown holder kind",
                       fields=[FieldError(field="holder", message="volunteer, resident, enterprise or merchant")]) from None
    async with request.app[DATABASE].unit_of_work() as uow:
        account, balance = await _ledger(request).balance(uow, holder, request.match_info["ref"])
        if account is None:
            raise NotFound(f"no points account {holder.value}:{request.match_info['ref']}")
        entries = await uow.points.entries(account.id)
    return web.json_response(PointAccountOut(
        holder=account.holder.value, ref=account.ref, name=account.name, balance=balance,
        entries=[PointEntryOut(transaction=e.txn, amount=e.amount, cause=e.cause, ref=e.ref, note=e.note, at=e.at)
                 for e in entries],
    ).model_dump(mode="json"))


def _fund_entry(entry: FundEntry) -> FundEntryOut:
    return FundEntryOut(id=entry.id, kind=entry.kind.value, amount=entry.amount, ref=entry.ref, note=entry.note,
                        by=entry.by, at=entry.at)


async def create_fund(request: web.Request) -> web.Response:
    body: FundIn = await _body(request, FundIn)
    user: User = request[USER]
    now = _now(request)
    async with request.app[DATABASE].unit_of_work() as uow:
        fund = await funds.create_fund(uow, code=body.code, name=body.name, holder=FundHolder(body.holder),
                                       holder_ref=body.holder_ref, by=user.username, now=now)
        await uow.audit.record(actor=user.username, action="fund.create", target=f"fund:{fund.code}",
                               details={"holder": fund.holder.value, "holder_ref": fund.holder_ref}, at=now)
        await uow.commit()
    return web.json_response(FundOut(
        code=fund.code, name=fund.name, holder=fund.holder.value, holder_ref=fund.holder_ref,
        created_by=fund.created_by, created_at=fund.created_at, balance=Decimal("0.00"), entries=[],
    ).model_dump(mode="json"), status=201)


async def get_fund(request: web.Request) -> web.Response:
    user: User = request[USER]
    async with request.app[DATABASE].unit_of_work() as uow:
        statement = await funds.statement(uow, request.match_info["code"])
    fund = statement.fund
    if user.role is Role.MERCHANT and not (fund.holder is FundHolder.MERCHANT and fund.holder_ref == user.username):
        raise Forbidden("a merchant reads only the funds it holds")
    return web.json_response(FundOut(
        code=fund.code, name=fund.name, holder=fund.holder.value, holder_ref=fund.holder_ref,
        created_by=fund.created_by, created_at=fund.created_at, balance=statement.balance,
        entries=[_fund_entry(e) for e in statement.entries],
    ).model_dump(mode="json"))


async def _fund_posted(request: web.Request, action: str,
                       step: Callable[[Any, User, datetime], Awaitable[FundEntry]]) -> web.Response:
    """Run a fund step in a unit of work with its audit entry; 201 with the entry and the balance."""
    user: User = request[USER]
    now = _now(request)
    async with request.app[DATABASE].unit_of_work() as uow:
        entry = await step(uow, user, now)
        balance = await uow.funds.balance(entry.fund_id)
        await uow.audit.record(actor=user.username, action=action, target=f"fund:{request.match_info['code']}",
                               details={"entry": entry.id, "kind": entry.kind.value, "amount": str(entry.amount)},
                               at=now)
        await uow.commit()
    return web.json_response(FundPostedOut(entry=_fund_entry(entry), balance=balance).model_dump(mode="json"),
                             status=201)


async def fund_donation(request: web.Request) -> web.Response:
    body: FundEntryIn = await _body(request, FundEntryIn)
    return await _fund_posted(request, "fund.donation", lambda uow, user, now: funds.donate(
        uow, request.match_info["code"], amount=body.amount, ref=body.ref, note=body.note, by=user.username,
        now=now))


async def fund_spending(request: web.Request) -> web.Response:
    body: FundEntryIn = await _body(request, FundEntryIn)
    return await _fund_posted(request, "fund.spending", lambda uow, user, now: funds.spend(
        uow, request.match_info["code"], amount=body.amount, ref=body.ref, note=body.note, by=user.username,
        now=now))


async def fund_correction(request: web.Request) -> web.Response:
    body: FundCorrectionIn = await _body(request, FundCorrectionIn)
    return await _fund_posted(request, "fund.correction", lambda uow, user, now: funds.correct(
        uow, request.match_info["code"], body.entry, reason=body.reason, by=user.username, now=now))


async def list_projects(request: web.Request) -> web.Response:
    async with request.app[DATABASE].unit_of_work() as uow:
        body = [
            ProjectOut(id=p.id, name=p.names, category=p.category, sponsor=p.sponsor, contact=p.contact,
                       capacity=p.capacity, taken=len(await uow.offers.taken("project", p.id))).model_dump()
            for p in request.app[PROJECTS]
        ]
    return web.json_response(body)


async def project_referrals(request: web.Request) -> web.Response:
    project = request.match_info["project"]
    if project not in {p.id for p in request.app[PROJECTS]}:
        raise NotFound(f"no charity project {project}")
    async with request.app[DATABASE].unit_of_work() as uow:
        taken = await uow.offers.taken("project", project)
    return web.json_response([ReferralOut(application_number=o.application_number, accepted_at=o.answered_at)
                              .model_dump(mode="json") for o in taken])


async def assess_household(request: web.Request) -> web.Response:
    from backend.policy.assess import assess
    from backend.policy.errors import PackError, UnknownRegion
    from backend.policy.explain import explain
    from backend.policy.parameters import ParameterNotInForce

    body: AssessIn = await _body(request, AssessIn)
    try:
        pack = request.app[PACKS](body.region) if body.region else request.app[PACK]
    except PackError:
        raise ApiError(422, "invalid", f"unknown region {body.region!r}",
                       fields=[FieldError(field="region", message="no policy pack of that name")]) from None
    on = body.date or _now(request).astimezone(ZoneInfo(pack.regions.timezone)).date()
    try:
        result = assess(body.household, on, pack)
    except UnknownRegion as error:
        raise ApiError(422, "invalid", str(error),
                       fields=[FieldError(field="household.region.office", message=str(error))]) from None
    except ParameterNotInForce as error:
        raise ApiError(422, "invalid", str(error), fields=[FieldError(field="date", message=str(error))]) from None
    explanation = None
    if body.lang:
        messages = request.app[TRANSLATIONS](body.lang)
        explanation = explain(result, messages, pack.regions)
    return web.json_response(AssessOut(assessment=result.as_json(), explanation=explanation).model_dump(mode="json"))


def _task_out(task: Task) -> dict[str, Any]:
    spec = task.spec
    return TaskOut(
        id=task.id, status=task.status.value, skill=spec.skill, office=spec.office, given_name=spec.given_name,
        address=spec.address, details=spec.details, starts_at=spec.starts_at, ends_at=spec.ends_at,
        duration_minutes=spec.duration_minutes, application_number=spec.application_number,
        volunteer_id=task.volunteer_id, round=task.round, created_by=task.created_by, created_at=task.created_at,
        done_at=task.done_at, has_photo=task.photo_document_id is not None, rating=task.rating,
        points_transaction=task.points_txn,
    ).model_dump(mode="json")


def _task_id(request: web.Request) -> int:
    return path_id(request, "task")


async def create_task(request: web.Request) -> web.Response:
    body: TaskIn = await _body(request, TaskIn)
    spec = TaskSpec(skill=body.skill, office=body.office, given_name=body.given_name, address=body.address,
                    details=body.details, starts_at=body.starts_at, ends_at=body.ends_at,
                    duration_minutes=body.duration_minutes, application_number=body.application_number)
    async with request.app[DATABASE].unit_of_work() as uow:
        task = await request.app[VOLUNTEERING].create_task(uow, request[USER], spec, now=_now(request))
        await uow.commit()
    return web.json_response(_task_out(task), status=201)


async def schedule_task(request: web.Request) -> web.Response:
    body: ScheduleIn = await _body(request, ScheduleIn)
    async with request.app[DATABASE].unit_of_work() as uow:
        task = await request.app[VOLUNTEERING].schedule(
            uow, request[USER], _task_id(request), address=body.address, details=body.details,
            starts_at=body.starts_at, ends_at=body.ends_at, now=_now(request),
        )
        await uow.commit()
    return web.json_response(_task_out(task))


async def get_task(request: web.Request) -> web.Response:
    async with request.app[DATABASE].unit_of_work() as uow:
        task = await request.app[VOLUNTEERING].get_task(uow, request[USER], _task_id(request))
    return web.json_response(_task_out(task))


async def task_volunteer_view(request: web.Request) -> web.Response:
    volunteering = request.app[VOLUNTEERING]
    async with request.app[DATABASE].unit_of_work() as uow:
        task = await volunteering.get_task(uow, request[USER], _task_id(request))
    view = volunteering.view(task, assigned=task.volunteer_id is not None)
    return web.json_response(VolunteerTaskView.model_validate(view).model_dump(mode="json"))


async def application_tasks(request: web.Request) -> web.Response:
    async with request.app[DATABASE].unit_of_work() as uow:
        await request.app[CASES].get(uow, request[USER], _number(request), now=_now(request))
        tasks = await uow.tasks.for_application(_number(request))
    return web.json_response([_task_out(t) for t in tasks])


def _volunteer_id(request: web.Request) -> int:
    return path_id(request, "volunteer")


async def _volunteer_out(uow: Any, volunteer: Any) -> dict[str, Any]:
    return VolunteerOut(
        id=volunteer.id, name=volunteer.name, mobile=volunteer.mobile, offices=list(volunteer.offices),
        availability=list(volunteer.availability), paused=volunteer.paused, skills=volunteer.skills,
        hours_served=await uow.volunteers.hours_served(volunteer.id), created_at=volunteer.created_at,
    ).model_dump(mode="json")


async def get_volunteer(request: web.Request) -> web.Response:
    user: User = request[USER]
    async with request.app[DATABASE].unit_of_work() as uow:
        volunteer = await uow.volunteers.get(_volunteer_id(request))
        if volunteer is None:
            raise NotFound(f"no volunteer {_volunteer_id(request)}")
        if user.role in OFFICE_ROLES and user.office not in volunteer.offices:
            raise Forbidden(f"volunteer {volunteer.id} does not cover {user.office}")
        return web.json_response(await _volunteer_out(uow, volunteer))


async def qualify_skill(request: web.Request) -> web.Response:
    skill = request.match_info["skill"]
    if skill not in SKILLS:
        raise ApiError(422, "invalid", f"unknown skill {skill!r}",
                       fields=[FieldError(field="skill", message=", ".join(SKILLS))])
    async with request.app[DATABASE].unit_of_work() as uow:
        volunteer = await request.app[VOLUNTEERING].qualify(uow, request[USER], _volunteer_id(request), skill,
                                                            now=_now(request))
        body = await _volunteer_out(uow, volunteer)
        await uow.commit()
    return web.json_response(body)


E = Endpoint
ENDPOINTS: tuple[Endpoint, ...] = (
    E("GET", "/api/v1/me", me, ANYONE, "The signed-in user", response=Me),
    E("POST", "/api/v1/applications", create_application, CREATORS,
      "Submit an application (idempotent with an Idempotency-Key header)",
      body=CreateApplication, response=ApplicationCreated, status=201, errors=(409, 422)),
    E("GET", "/api/v1/applications", list_applications, STAFF, "List cases (office staff: their office)",
      query=CaseFilter, response=CaseList, errors=(422,)),
    E("GET", "/api/v1/applications/{number}", get_application, STAFF, "One case, with its assessment (audited)",
      response=CaseDetail, errors=(404,)),
    E("POST", "/api/v1/applications/{number}/actions", act_on_application, STAFF,
      "Apply a lifecycle action (assign, request_info, propose, approve, reject, …)",
      body=ActionIn, response=CaseDetail, errors=(404, 409, 422)),
    E("GET", "/api/v1/applications/{number}/history", history, STAFF, "The case's status events, oldest first",
      response=StatusEventOut, many=True, errors=(404,)),
    E("GET", "/api/v1/applications/{number}/notes", list_notes, STAFF, "The case's notes",
      response=NoteOut, many=True, errors=(404,)),
    E("POST", "/api/v1/applications/{number}/notes", add_note, STAFF, "Add a note to a case",
      body=NoteIn, response=NoteOut, status=201, errors=(404, 422)),
    E("POST", "/api/v1/broadcasts", broadcast, MANAGERS,
      "Send a message to the residents of a segment of cases, after replies and status updates",
      body=BroadcastIn, response=BroadcastOut, status=202, errors=(422,)),
    E("POST", "/api/v1/points/donations", record_donation, STAFF, "Record a donation of money, goods or time",
      body=DonationIn, response=PostedOut, status=201, errors=(422,)),
    E("POST", "/api/v1/points/tasks", credit_task, STAFF, "Credit a volunteer for a completed service task",
      body=TaskCreditIn, response=PostedOut, status=201, errors=(422,)),
    E("POST", "/api/v1/points/reversals", reverse_points, MANAGERS,
      "Reverse a ledger transaction (a correction; entries are never changed)",
      body=ReversalIn, response=PostedOut, status=201, errors=(422,)),
    E("POST", "/api/v1/points/codes", issue_code, frozenset({Role.BOT_SERVICE, Role.ADMIN}),
      "A one-time redemption code for a holder (shown once)", body=CodeIn, response=CodeOut, status=201,
      errors=(422,)),
    E("POST", "/api/v1/points/redemptions", redeem_code, frozenset({Role.MERCHANT, Role.ADMIN}),
      "A merchant confirms a code: the points move once", body=RedemptionIn, response=PostedOut, status=201,
      errors=(422,)),
    E("GET", "/api/v1/points/accounts/{holder}/{ref}", point_account, STAFF | {Role.BOT_SERVICE},
      "A points account: balance and newest entries", response=PointAccountOut, errors=(404, 422)),
    E("POST", "/api/v1/funds", create_fund, MANAGERS, "Open a named fund (冠名基金) of an enterprise or a merchant",
      body=FundIn, response=FundOut, status=201, errors=(409, 422)),
    E("GET", "/api/v1/funds/{code}", get_fund, STAFF | {Role.MERCHANT},
      "A named fund: balance and newest entries (a merchant: only a fund it holds)", response=FundOut,
      errors=(404,)),
    E("POST", "/api/v1/funds/{code}/donations", fund_donation, STAFF, "Record money given to a named fund",
      body=FundEntryIn, response=FundPostedOut, status=201, errors=(404, 422)),
    E("POST", "/api/v1/funds/{code}/spending", fund_spending, STAFF,
      "Record money spent from a named fund on a project or a household (never beyond its balance)",
      body=FundEntryIn, response=FundPostedOut, status=201, errors=(404, 422)),
    E("POST", "/api/v1/funds/{code}/corrections", fund_correction, MANAGERS,
      "Cancel a fund entry with its opposite (entries are never changed)",
      body=FundCorrectionIn, response=FundPostedOut, status=201, errors=(404, 422)),
    E("GET", "/api/v1/projects", list_projects, STAFF, "The charity projects and how many places are taken",
      response=ProjectOut, many=True),
    E("GET", "/api/v1/projects/{project}/referrals", project_referrals, STAFF,
      "The residents' referrals to a project (accepted offers)", response=ReferralOut, many=True, errors=(404,)),
    E("POST", "/api/v1/tasks", create_task, STAFF,
      "Create a service task (for a case or not); the best-ranked volunteers are pinged at once",
      body=TaskIn, response=TaskOut, status=201, errors=(403, 404, 422)),
    E("GET", "/api/v1/tasks/{task}", get_task, STAFF, "A service task", response=TaskOut, errors=(403, 404)),
    E("POST", "/api/v1/tasks/{task}/schedule", schedule_task, STAFF,
      "Set the place and time of a task a resident asked for; volunteers are then pinged",
      body=ScheduleIn, response=TaskOut, errors=(403, 404, 422)),
    E("GET", "/api/v1/tasks/{task}/volunteer-view", task_volunteer_view, STAFF,
      "The task exactly as its volunteer sees it", response=VolunteerTaskView, errors=(403, 404)),
    E("GET", "/api/v1/applications/{number}/tasks", application_tasks, STAFF, "The service tasks of a case",
      response=TaskOut, many=True, errors=(403, 404)),
    E("GET", "/api/v1/volunteers/{volunteer}", get_volunteer, STAFF, "A volunteer and their skills",
      response=VolunteerOut, errors=(403, 404)),
    E("POST", "/api/v1/volunteers/{volunteer}/skills/{skill}/qualification", qualify_skill, STAFF,
      "A caseworker vouches for a skill the volunteer offered", response=VolunteerOut, errors=(403, 404, 422)),
    E("POST", "/api/v1/assess", assess_household, ANYONE, "Assess a household under a policy pack (nothing stored)",
      body=AssessIn, response=AssessOut, errors=(422,)),
    E("GET", "/api/v1/alerts", list_alerts, STAFF, "Monitoring alerts, open ones by deadline (office staff: their office)",
      query=AlertFilter, response=AlertList, errors=(422,)),
    E("GET", "/api/v1/alerts/{alert}", get_alert, STAFF,
      "One alert with its trace (before and after) and what was done (audited)", response=AlertDetail, errors=(404,)),
    E("POST", "/api/v1/alerts/{alert}/actions", act_on_alert, STAFF,
      "Acknowledge an alert, act on it (with a note) or dismiss it (with a reason)",
      body=AlertActionIn, response=AlertDetail, errors=(404, 409, 422)),
    E("POST", "/api/v1/feeds/{source}/events", push_feed_events, frozenset(),
      "A department's system pushes events, signed with its key (X-Yimen-Timestamp, X-Yimen-Signature)",
      body=FeedPush, response=FeedPushOut, status=202, errors=(404, 409, 422), signed=True),
)

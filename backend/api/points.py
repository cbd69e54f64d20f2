"""Points: donations, task credits, reversals, redemption codes and accounts of the ledger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from backend.api.endpoint import MANAGERS, STAFF, Endpoint
from backend.api.errors import ApiError
from backend.api.requests import read_body, request_now
from backend.api.schemas import (
    CodeIn,
    CodeOut,
    DonationIn,
    FieldError,
    PointAccountOut,
    PointEntryOut,
    PostedOut,
    RedemptionIn,
    ReversalIn,
    TaskCreditIn,
)
from backend.app_keys import DATABASE, PACK, USER
from backend.cases.ports import Role, User
from backend.points.ledger import Donation, Ledger
from backend.points.ports import Holder
from backend.ports import NotFound, UnitOfWork


def _ledger(request: web.Request) -> Ledger:
    return Ledger(request.app[PACK])


# A ledger step: the transaction it wrote and the points it moved.
Step = Callable[[UnitOfWork, User, datetime], Awaitable[tuple[str, int]]]


async def _posted(request: web.Request, action: str, target: str, step: Step) -> web.Response:
    """Run a ledger step in a unit of work with its audit entry; 201 with the transaction."""
    user: User = request[USER]
    now = request_now(request)
    async with request.app[DATABASE].unit_of_work() as uow:
        txn, points = await step(uow, user, now)
        await uow.audit.record(actor=user.username, action=action, target=target,
                               details={"transaction": txn, "points": points}, at=now)
        await uow.commit()
    return web.json_response(PostedOut(transaction=txn, points=points).model_dump(), status=201)


async def record_donation(request: web.Request) -> web.Response:
    body: DonationIn = await read_body(request, DonationIn)
    return await _posted(request, "points.donation", f"{body.donor.holder}:{body.donor.ref}", lambda uow, user, now:
                         _ledger(request).record_donation(uow, Holder(body.donor.holder), body.donor.ref,
                                                          body.donor.name, kind=Donation(body.kind),
                                                          amount=body.amount, by=user.username, now=now,
                                                          note=body.note))


async def credit_task(request: web.Request) -> web.Response:
    body: TaskCreditIn = await read_body(request, TaskCreditIn)
    return await _posted(request, "points.task", f"volunteer:{body.volunteer_ref}", lambda uow, user, now:
                         _ledger(request).credit_task(uow, body.volunteer_ref, body.volunteer_name, hours=body.hours,
                                                      task=body.task, by=user.username, now=now))


async def reverse_points(request: web.Request) -> web.Response:
    body: ReversalIn = await read_body(request, ReversalIn)

    async def step(uow: UnitOfWork, user: User, now: datetime) -> tuple[str, int]:
        txn = await _ledger(request).reverse(uow, body.transaction, reason=body.reason, by=user.username, now=now)
        return txn, 0

    return await _posted(request, "points.reversal", body.transaction, step)


async def issue_code(request: web.Request) -> web.Response:
    body: CodeIn = await read_body(request, CodeIn)
    async with request.app[DATABASE].unit_of_work() as uow:
        code = await _ledger(request).issue_code(uow, Holder(body.holder), body.ref, points=body.points,
                                                 now=request_now(request))
        await uow.commit()
    return web.json_response(CodeOut(code=code).model_dump(), status=201)


async def redeem_code(request: web.Request) -> web.Response:
    body: RedemptionIn = await read_body(request, RedemptionIn)
    return await _posted(request, "points.redemption", "merchant:" + request[USER].username, lambda uow, user, now:
                         _ledger(request).redeem(uow, user.username, user.display_name, body.code, by=user.username,
                                                 now=now))


async def point_account(request: web.Request) -> web.Response:
    try:
        holder = Holder(request.match_info["holder"])
    except ValueError:
        raise ApiError(422, "invalid", "unknown holder kind",
                       fields=[FieldError(field="holder",
                                          message="volunteer, resident, enterprise or merchant")]) from None
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


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", "/api/v1/points/donations", record_donation, STAFF, "Record a donation of money, goods or time",
             body=DonationIn, response=PostedOut, status=201, errors=(422,)),
    Endpoint("POST", "/api/v1/points/tasks", credit_task, STAFF, "Credit a volunteer for a completed service task",
             body=TaskCreditIn, response=PostedOut, status=201, errors=(422,)),
    Endpoint("POST", "/api/v1/points/reversals", reverse_points, MANAGERS,
             "Reverse a ledger transaction (a correction; entries are never changed)",
             body=ReversalIn, response=PostedOut, status=201, errors=(422,)),
    Endpoint("POST", "/api/v1/points/codes", issue_code, frozenset({Role.BOT_SERVICE, Role.ADMIN}),
             "A one-time redemption code for a holder (shown once)", body=CodeIn, response=CodeOut, status=201,
             errors=(422,)),
    Endpoint("POST", "/api/v1/points/redemptions", redeem_code, frozenset({Role.MERCHANT, Role.ADMIN}),
             "A merchant confirms a code: the points move once", body=RedemptionIn, response=PostedOut, status=201,
             errors=(422,)),
    Endpoint("GET", "/api/v1/points/accounts/{holder}/{ref}", point_account, STAFF | {Role.BOT_SERVICE},
             "A points account: balance and newest entries", response=PointAccountOut, errors=(404, 422)),
)

"""Named funds (冠名基金): open one, read its statement, record money given, spent or corrected."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal

from aiohttp import web

from backend.api.endpoint import MANAGERS, STAFF, Endpoint
from backend.api.requests import read_body, request_now
from backend.api.schemas import (
    FundCorrectionIn,
    FundEntryIn,
    FundEntryOut,
    FundIn,
    FundOut,
    FundPostedOut,
    FundTotalsOut,
)
from backend.app_keys import DATABASE, PROJECTS, USER
from backend.cases.ports import Role, User
from backend.points import funds
from backend.points.fund_ports import FundEntry, FundHolder
from backend.ports import UnitOfWork
from backend.store.errors import Forbidden


def _fund_entry(entry: FundEntry) -> FundEntryOut:
    return FundEntryOut(id=entry.id, kind=entry.kind.value, amount=entry.amount, ref=entry.ref, note=entry.note,
                        by=entry.by, at=entry.at)


async def create_fund(request: web.Request) -> web.Response:
    body: FundIn = await read_body(request, FundIn)
    user: User = request[USER]
    now = request_now(request)
    async with request.app[DATABASE].unit_of_work() as uow:
        fund = await funds.create_fund(uow, code=body.code, name=body.name, holder=FundHolder(body.holder),
                                       holder_ref=body.holder_ref, by=user.username, now=now)
        await uow.audit.record(actor=user.username, action="fund.create", target=f"fund:{fund.code}",
                               details={"holder": fund.holder.value, "holder_ref": fund.holder_ref}, at=now)
        await uow.commit()
    return web.json_response(FundOut(
        code=fund.code, name=fund.name, holder=fund.holder.value, holder_ref=fund.holder_ref,
        created_by=fund.created_by, created_at=fund.created_at, balance=Decimal("0.00"),
        totals=FundTotalsOut(donation=Decimal("0.00"), spending=Decimal("0.00"), correction=Decimal("0.00")),
        entries=[],
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
        totals=FundTotalsOut(**{kind.value: total for kind, total in statement.totals.items()}),
        entries=[_fund_entry(e) for e in statement.entries],
    ).model_dump(mode="json"))


async def _fund_posted(request: web.Request, action: str,
                       step: Callable[[UnitOfWork, User, datetime], Awaitable[FundEntry]]) -> web.Response:
    """Run a fund step in a unit of work with its audit entry; 201 with the entry and the balance."""
    user: User = request[USER]
    now = request_now(request)
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
    body: FundEntryIn = await read_body(request, FundEntryIn)
    return await _fund_posted(request, "fund.donation", lambda uow, user, now: funds.donate(
        uow, request.match_info["code"], amount=body.amount, ref=body.ref, note=body.note, by=user.username,
        now=now))


def _known(request: web.Request, uow: UnitOfWork) -> funds.KnownReference:
    """A spending's reference exists: a charity project of the pack, or an application."""
    projects = {p.id for p in request.app[PROJECTS]}

    async def known(ref: str) -> bool:
        return ref in projects or await uow.cases.get(ref) is not None

    return known


async def fund_spending(request: web.Request) -> web.Response:
    body: FundEntryIn = await read_body(request, FundEntryIn)
    return await _fund_posted(request, "fund.spending", lambda uow, user, now: funds.spend(
        uow, request.match_info["code"], amount=body.amount, ref=body.ref, note=body.note, by=user.username,
        now=now, known=_known(request, uow)))


async def fund_correction(request: web.Request) -> web.Response:
    body: FundCorrectionIn = await read_body(request, FundCorrectionIn)
    return await _fund_posted(request, "fund.correction", lambda uow, user, now: funds.correct(
        uow, request.match_info["code"], body.entry, reason=body.reason, by=user.username, now=now))


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", "/api/v1/funds", create_fund, MANAGERS,
             "Open a named fund (冠名基金) of an enterprise or a merchant",
             body=FundIn, response=FundOut, status=201, errors=(409, 422)),
    Endpoint("GET", "/api/v1/funds/{code}", get_fund, STAFF | {Role.MERCHANT},
             "A named fund: balance and newest entries (a merchant: only a fund it holds)", response=FundOut,
             errors=(404,)),
    Endpoint("POST", "/api/v1/funds/{code}/donations", fund_donation, STAFF, "Record money given to a named fund",
             body=FundEntryIn, response=FundPostedOut, status=201, errors=(404, 422)),
    Endpoint("POST", "/api/v1/funds/{code}/spending", fund_spending, STAFF,
             "Record money spent from a named fund on a project or a household (never beyond its balance)",
             body=FundEntryIn, response=FundPostedOut, status=201, errors=(404, 422)),
    Endpoint("POST", "/api/v1/funds/{code}/corrections", fund_correction, MANAGERS,
             "Cancel a fund entry with its opposite (entries are never changed)",
             body=FundCorrectionIn, response=FundPostedOut, status=201, errors=(404, 422)),
)

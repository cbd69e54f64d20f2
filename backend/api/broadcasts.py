"""Broadcasts: one message to the residents of a segment of cases."""

from __future__ import annotations

from aiohttp import web

from backend.api.endpoint import MANAGERS, Endpoint
from backend.api.requests import read_body, request_now
from backend.api.schemas import BroadcastIn, BroadcastOut
from backend.app_keys import CASES, DATABASE, USER
from backend.cases.ports import CaseQuery


async def broadcast(request: web.Request) -> web.Response:
    body: BroadcastIn = await read_body(request, BroadcastIn)
    query = CaseQuery(office=body.office, layer=body.layer, resilience_level=body.level, status=body.status,
                      emergency=body.emergency)
    async with request.app[DATABASE].unit_of_work() as uow:
        count = await request.app[CASES].broadcast(
            uow, request[USER], query, body.message.model_dump(), now=request_now(request)
        )
        await uow.commit()
    return web.json_response(BroadcastOut(residents=count).model_dump(), status=202)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("POST", "/api/v1/broadcasts", broadcast, MANAGERS,
             "Send a message to the residents of a segment of cases, after replies and status updates",
             body=BroadcastIn, response=BroadcastOut, status=202, errors=(422,)),
)

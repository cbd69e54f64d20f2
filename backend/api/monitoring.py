"""The monitoring endpoints: office staff work their alerts; departments push events."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import datetime

from aiohttp import web

from backend.api.endpoint import STAFF, Endpoint
from backend.api.errors import ApiError, error_response
from backend.api.monitoring_schemas import (
    AlertActionIn,
    AlertDetail,
    AlertEventOut,
    AlertFilter,
    AlertList,
    AlertOut,
    FeedPush,
    FeedPushOut,
    FeedRowError,
)
from backend.api.requests import parse_json, path_id, read_body, read_query, request_now
from backend.app_keys import CONFIG, DATABASE, TRANSLATIONS, USER
from backend.monitoring import alerts as service
from backend.monitoring.push import SIGNATURE_HEADER, TIMESTAMP_HEADER, PushRefused, authenticate
from backend.monitoring.records import Alert, AlertQuery
from backend.monitoring.vocabulary import SOURCES
from backend.ports import NotFound, UnitOfWork
from locales import SUPPORTED

log = logging.getLogger(__name__)

_NOT_A_ROW = "not an object of field names and text or numbers"


def _alert_id(request: web.Request) -> int:
    return path_id(request, "alert")


def _out(request: web.Request, alert: Alert, now: datetime) -> dict[str, object]:
    translations = request.app[TRANSLATIONS]
    # The record's own fields as they are (its trace is left to the detail), and what the API adds.
    return AlertOut.model_validate({
        **{f.name: getattr(alert, f.name) for f in fields(alert) if f.name != "trace"},
        "reason_text": {locale: service.render_reason(translations(locale), alert.reason) for locale in SUPPORTED},
        "overdue": alert.overdue(now),
        "allowed_actions": service.allowed_actions(alert.status),
    }).model_dump(mode="json")


async def _detail(request: web.Request, uow: UnitOfWork, alert: Alert, now: datetime) -> dict[str, object]:
    history = [AlertEventOut(at=e.at, actor=e.actor, action=e.action, details=e.details)
               for e in await uow.audit.for_target(f"alert:{alert.id}") if e.action != "alert.read"]
    return AlertDetail.model_validate(
        {**_out(request, alert, now), "trace": alert.trace, "history": [h.model_dump(mode="json") for h in history]}
    ).model_dump(mode="json")


async def list_alerts(request: web.Request) -> web.Response:
    filters: AlertFilter = read_query(request, AlertFilter)
    query = AlertQuery(office=filters.office, status=filters.status, overdue=filters.overdue, limit=filters.limit,
                       offset=filters.offset)
    now = request_now(request)
    async with request.app[DATABASE].unit_of_work() as uow:
        found, total = await service.list_alerts(uow, request[USER], query, now=now)
    return web.json_response({"items": [_out(request, a, now) for a in found], "total": total,
                              "limit": filters.limit, "offset": filters.offset})


async def get_alert(request: web.Request) -> web.Response:
    now = request_now(request)
    async with request.app[DATABASE].unit_of_work() as uow:
        alert = await service.get_alert(uow, request[USER], _alert_id(request), now=now)
        body = await _detail(request, uow, alert, now)
        await uow.commit()  # the audited read
    return web.json_response(body)


async def act_on_alert(request: web.Request) -> web.Response:
    action: AlertActionIn = await read_body(request, AlertActionIn)
    now = request_now(request)
    async with request.app[DATABASE].unit_of_work() as uow:
        alert = await service.act_on_alert(uow, request[USER], _alert_id(request), action.action, note=action.note,
                                           reason=action.reason, now=now)
        body = await _detail(request, uow, alert, now)
        await uow.commit()
    return web.json_response(body)


def _rows(items: Iterable[object]) -> tuple[list[tuple[int, Mapping[str, str]]], list[FeedRowError]]:
    """The pushed rows as the importer reads a file's (every value text), and the rows that are not rows."""
    rows: list[tuple[int, Mapping[str, str]]] = []
    refused: list[FeedRowError] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not all(
            isinstance(v, str | int | float | bool) or v is None for v in item.values()
        ):
            refused.append(FeedRowError(index=index, reason=_NOT_A_ROW))
            continue
        rows.append((index, {str(k): _text(v) for k, v in item.items()}))
    return rows, refused


def _text(value: str | int | float | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def push_feed_events(request: web.Request) -> web.Response:
    """Take a department's signed rows: 202 with what was read, inserted, already there and refused."""
    source = request.match_info["source"]
    if source not in SOURCES:
        raise NotFound(f"no feed {source}")
    raw = await request.read()
    config, database, now = request.app[CONFIG], request.app[DATABASE], request_now(request)
    try:
        await authenticate(database, source, timestamp=request.headers.get(TIMESTAMP_HEADER),
                           signature=request.headers.get(SIGNATURE_HEADER), body=raw, secret_key=config.secret_key,
                           now=now)
    except PushRefused as refused:
        # Who tried and why; never the body, which holds ID numbers.
        log.warning("feed push refused for %s from %s: %s", source, request.remote, refused)
        return error_response(refused.status, refused.code, str(refused))
    items = parse_json(raw)
    if not isinstance(items, list):
        raise ApiError(422, "invalid", "the body must be a JSON list of rows")
    rows, refused_rows = _rows(items)
    # Imported here: the importer belongs to the feed files' module, which loads only when a push comes.
    from backend.crypto import IdHasher
    from backend.monitoring.feeds import ingest

    summary = await ingest(database, source, rows, hasher=IdHasher(config.secret_key), now=now)
    errors = refused_rows + [FeedRowError(index=e.line, reason=e.reason, field=e.field) for e in summary.errors]
    body = FeedPushOut(read=len(items), inserted=summary.inserted, duplicates=summary.duplicates,
                       errors=sorted(errors, key=lambda e: e.index))
    return web.json_response(body.model_dump(mode="json"), status=202)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/api/v1/alerts", list_alerts, STAFF,
             "Monitoring alerts, open ones by deadline (office staff: their office)",
             query=AlertFilter, response=AlertList, errors=(422,)),
    Endpoint("GET", "/api/v1/alerts/{alert}", get_alert, STAFF,
             "One alert with its trace (before and after) and what was done (audited)",
             response=AlertDetail, errors=(404,)),
    Endpoint("POST", "/api/v1/alerts/{alert}/actions", act_on_alert, STAFF,
             "Acknowledge an alert, act on it (with a note) or dismiss it (with a reason)",
             body=AlertActionIn, response=AlertDetail, errors=(404, 409, 422)),
    Endpoint("POST", "/api/v1/feeds/{source}/events", push_feed_events, frozenset(),
             "A department's system pushes events, signed with its key (X-Yimen-Timestamp, X-Yimen-Signature)",
             body=FeedPush, response=FeedPushOut, status=202, errors=(404, 409, 422), signed=True),
)

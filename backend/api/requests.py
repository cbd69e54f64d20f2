"""Reading a request: its JSON body, query string and path ids into pydantic models, and the application's clock;
and a response model filled from the record it shows."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from backend import json_input
from backend.api.errors import ApiError, Handler, invalid
from backend.api.schemas import FieldError
from backend.app_keys import CLOCK, DATABASE
from backend.bounds import INTEGER_MAX, clock_context, integer
from backend.ports import DocumentRepository, NotFound

if TYPE_CHECKING:
    from backend.db.database import SqlUnitOfWork

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


async def read_json(request: web.Request, *, max_bytes: int = json_input.MAX_BYTES) -> object:
    """The body's JSON value; too big, not UTF-8, not JSON, too deep or a giant number is a 400 (413 for size)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise ApiError(413, "too_large", f"the body is larger than {max_bytes} bytes")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:  # a chunked body that outgrew the application's limit
        raise ApiError(413, "too_large", f"the body is larger than {max_bytes} bytes") from None
    return parse_json(raw, max_bytes=max_bytes)


def parse_json(raw: bytes, *, max_bytes: int = json_input.MAX_BYTES) -> object:
    """The JSON value of a body already read (a signed push is checked on its bytes first)."""
    if not raw:
        raise ApiError(400, "bad_json", "a JSON body is required")
    try:
        return json_input.parse(raw, max_bytes=max_bytes)
    except json_input.JsonRefused as refused:
        fields = [FieldError(field=refused.field, message=str(refused))] if refused.field else None
        raise ApiError(400, "bad_json", f"the body: {refused}", fields=fields) from None


async def read_body(request: web.Request, model: type[M]) -> M:
    """The body validated by ``model``; no body or bad JSON is a 400, a bad field a 422.

    Times a client stamps (``Stamp`` fields) are checked against the application's clock.
    """
    data = await read_json(request)
    try:
        return model.model_validate(data, context=clock_context(request_now(request)))
    except ValidationError as error:
        raise invalid(error) from None


def read_query(request: web.Request, model: type[M]) -> M:
    """The query string validated by ``model``; a bad parameter is a 422 naming it."""
    try:
        return model.model_validate(dict(request.query), context=clock_context(request_now(request)))
    except ValidationError as error:
        raise invalid(error) from None


def path_id(request: web.Request, name: str, *, what: str | None = None, maximum: int = INTEGER_MAX) -> int:
    """The integer id named ``name`` in the path; anything else, or one no row can have, is a 404."""
    raw = request.match_info[name]
    value = integer(raw, low=1, high=maximum)
    if value is None:
        raise NotFound(f"no {what or name} {raw[:40]}")
    return value


def case_number(request: web.Request) -> str:
    """The case number named in the path."""
    return request.match_info["number"]


@web.middleware
async def plain_addresses(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A path holding a control character names nothing stored (PostgreSQL refuses NUL in text
    outright): 404 before any handler looks it up; a query parameter holding NUL is a 400 naming it."""
    if _CONTROL.search(request.path):
        raise NotFound("no such resource")
    for name, value in request.query.items():
        if "\x00" in name or "\x00" in value:
            field = name.replace("\x00", "") or "(query)"
            raise ApiError(400, "invalid", f"{field}: NUL characters are not allowed",
                           fields=[FieldError(field=field, message="NUL characters are not allowed")])
    return await handler(request)


def request_now(request: web.Request) -> datetime:
    """The time now, from the application's clock (fixed in tests)."""
    now: datetime = request.app[CLOCK]()
    return now


def response_of(model: type[M], record: object, **extra: object) -> M:
    """``model`` filled from the record's attributes of the same names, and ``extra`` for the fields
    the record has not (or that the response shows otherwise)."""
    fields = {name: getattr(record, name) for name in model.model_fields if name not in extra}
    return model(**fields, **extra)


async def check_documents(documents: DocumentRepository, resident_id: str, document_ids: Sequence[str]) -> None:
    """Every id the body names is a document this resident uploaded, else a 422 naming the first that is not."""
    for position, document_id in enumerate(document_ids):
        document = await documents.get(document_id)
        if document is None or document.resident_id != resident_id:
            raise ApiError(422, "invalid", "unknown document",
                           fields=[FieldError(field=f"document_ids.{position}",
                                              message="no such document of this resident")])


async def committed(request: web.Request, work: Callable[[SqlUnitOfWork], Awaitable[T]]) -> T:
    """What ``work`` returns, done in a unit of work of its own and committed (also an audited read)."""
    async with request.app[DATABASE].unit_of_work() as uow:
        result = await work(uow)
        await uow.commit()
    return result

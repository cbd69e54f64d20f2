"""Reading a request: its JSON body and query string into pydantic models, and the application's clock."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from backend.api.errors import ApiError, invalid
from backend.api.keys import CLOCK


async def read_body(request: web.Request, model: type[BaseModel]) -> Any:
    """The body validated by ``model``; no body or bad JSON is a 400, a bad field a 422."""
    raw = await request.read()
    if not raw:
        raise ApiError(400, "bad_json", "a JSON body is required")
    data = json.loads(raw)  # a JSONDecodeError becomes a 400
    return model.model_validate(data)


def read_query(request: web.Request, model: type[BaseModel]) -> Any:
    """The query string validated by ``model``; a bad parameter is a 422 naming it."""
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as error:
        raise invalid(error) from None


def request_now(request: web.Request) -> datetime:
    """The time now, from the application's clock (fixed in tests)."""
    return request.app[CLOCK]()

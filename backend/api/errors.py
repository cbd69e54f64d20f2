"""Every failure as a JSON body with a stable code; bad input is a 4xx that names the field, never a 500."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import ValidationError

from backend.api.schemas import Error, FieldError
from backend.bounds import reported
from backend.cases.lifecycle import IllegalTransition
from backend.monitoring.alerts import IllegalAlertTransition
from backend.points.fund_ports import DuplicateFund
from backend.points.funds import FundError
from backend.points.ledger import LedgerError
from backend.ports import NotFound
from backend.store.errors import DecisionRefused, Forbidden

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """A 4xx raised by a handler; ``fields`` name what was wrong."""

    def __init__(self, status: int, code: str, message: str, *, fields: list[FieldError] | None = None,
                 **extra: object) -> None:
        super().__init__(message)
        self.status, self.code, self.fields, self.extra = status, code, fields or [], extra


def error_response(http_status: int, code: str, message: str, **extra: object) -> web.Response:
    given = {name: value for name, value in extra.items() if value is not None}
    body = Error(error=code, message=message, **given).model_dump(mode="json", exclude_none=True)
    if not body["fields"]:
        del body["fields"]
    headers = {"WWW-Authenticate": 'Bearer realm="yimen"'} if http_status == 401 else None
    return web.json_response(body, status=http_status, headers=headers)


def invalid(error: ValidationError, prefix: str = "") -> ApiError:
    """A 422 naming each field pydantic refused (its input value is left out: it may be personal)."""
    fields = [
        FieldError(field=".".join(str(p) for p in (prefix, *e["loc"]) if p != "") or "(body)", message=e["msg"])
        for e in reported(error)
    ]
    names = ", ".join(f.field for f in fields)
    return ApiError(422, "invalid", f"invalid {names}", fields=fields)


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error.status, error.code, str(error), fields=error.fields or None, **error.extra)
    except ValidationError as error:
        failure = invalid(error)
        return error_response(422, failure.code, str(failure), fields=failure.fields)
    except Forbidden as error:
        return error_response(403, "forbidden", str(error))
    except NotFound as error:
        return error_response(404, "not_found", str(error.args[0] if error.args else error))
    except IllegalTransition as error:
        return error_response(409, "illegal_transition", str(error), status=error.status)
    except IllegalAlertTransition as error:
        return error_response(409, "illegal_transition", str(error), status=error.status.value)
    except (LedgerError, FundError) as error:
        fields = [FieldError(field=error.field, message=str(error))] if error.field else None
        return error_response(422, "refused", str(error), fields=fields)
    except DuplicateFund as error:
        return error_response(409, "duplicate", str(error), fields=[FieldError(field="code", message=str(error))])
    except DecisionRefused as error:
        if error.field:
            return error_response(422, "refused", str(error),
                                  fields=[FieldError(field=error.field, message=str(error))])
        return error_response(409, "refused", str(error))
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return error_response(error.status, error.reason.lower().replace(" ", "_"), error.reason)
    except Exception:
        # The traceback goes to the log; the body says nothing about internals or the data.
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(500, "internal", "an internal error occurred; it has been logged")

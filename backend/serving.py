"""How the application meets HTTP: the headers every response carries, the JSON shape of the
errors aiohttp's own parser answers before any handler runs (a broken request line or header),
and an access log that leaves query strings out."""

from __future__ import annotations

from collections.abc import MutableMapping

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest

from backend.api.errors import Handler
from backend.api.schemas import Error

# Paths whose responses hold personal data (the console sets the same on its own pages).
PRIVATE_PREFIXES = ("/api/v1", "/chat")
# A year; browsers take the header only from a response that came over HTTPS.
HSTS = "max-age=31536000"


def served_over_https(request: web.BaseRequest) -> bool:
    """HTTPS to this process, or to the proxy in front of it that says so.

    Trusting ``X-Forwarded-Proto`` can only add Strict-Transport-Security, which a browser ignores
    on a response that did not come over HTTPS, or mark a cookie Secure, which makes it stricter:
    a forged header gains nothing.
    """
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


def _add(request: web.BaseRequest, headers: MutableMapping[str, str]) -> None:
    if request.path.startswith(PRIVATE_PREFIXES):
        headers.setdefault("Cache-Control", "no-store")
    if served_over_https(request):
        headers.setdefault("Strict-Transport-Security", HSTS)


@web.middleware
async def transport_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """``Cache-Control: no-store`` on personal data, and HSTS when served over HTTPS."""
    try:
        response = await handler(request)
    except web.HTTPException as error:  # a redirect, or an error no inner layer turned into a body
        _add(request, error.headers)
        raise
    _add(request, response.headers)
    return response


class JsonErrorHandler(web.RequestHandler):
    """aiohttp's connection handler, answering a request its parser refused in the API's ``Error`` shape."""

    def handle_error(self, request: BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if status < 500:
            # The client's malformed request, not a fault of ours: one line, no traceback, and not
            # the bytes it sent (they may be anything).
            self.logger.info("malformed request from %s refused (%s)", request.remote, type(exc).__name__)
            if request.writer.output_size > 0:
                raise ConnectionError("part of a response was sent already; the connection is closed")
        else:
            # The base logs the error and refuses when part of a response was already sent.
            super().handle_error(request, status, exc, message)
        if status < 500:
            code, text = "bad_request", "the request line or a header is malformed"
        else:
            code, text = "internal", "an internal error occurred; it has been logged"
        body = Error(error=code, message=text).model_dump(mode="json", exclude_none=True)
        del body["fields"]
        response = web.json_response(body, status=status)
        _add(request, response.headers)
        response.force_close()
        return response


class JsonErrorServer(web.Server):
    """The low-level server, its connections handled by :class:`JsonErrorHandler`."""

    def __call__(self) -> web.RequestHandler:
        return JsonErrorHandler(self, loop=self._loop, **self._kwargs)


class PathOnlyAccessLogger(AbstractAccessLogger):
    """One line a request, with its path but not its query string: WeChat puts the follower's
    openid in every push's, and its web authorization a one-time code and its state."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info('%s "%s %s" %s %s %.3fs', request.remote, request.method, request.path, response.status,
                         response.body_length, time)


class AppRunner(web.AppRunner):
    """``web.AppRunner`` whose low-level errors are JSON like every other 4xx of the API, and whose
    access log names paths only."""

    def __init__(self, app: web.Application, **kwargs: object) -> None:
        kwargs.setdefault("access_log_class", PathOnlyAccessLogger)
        super().__init__(app, **kwargs)  # type: ignore[arg-type]

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # aiohttp builds the server inside the runner and has no option for its handler's class;
        # the subclass adds only the handler factory, so the built server is re-labelled, not rebuilt.
        server.__class__ = JsonErrorServer
        return server

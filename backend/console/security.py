"""The console's guard: the language, the signed-in session, CSRF on every form, HTML errors and
the security headers of every page."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from backend.app_keys import DATABASE, TRANSLATIONS
from backend.cases.ports import Role
from backend.console.common import now_of, render
from backend.console.keys import MESSAGES, SESSION
from backend.console.signin import session_of
from backend.ports import NotFound
from backend.store.errors import Forbidden
from locales import SUPPORTED

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SESSION_COOKIE = "yimen_console"
SIGN_IN_CSRF_COOKIE = "yimen_console_csrf"
LANGUAGE_COOKIE = "yimen_console_lang"
# Reachable without signing in.
OPEN_PATHS = ("/console/sign-in", "/console/language", "/console/static/")
# All a merchant reaches: its own page, and signing out. The office's pages hold residents' data.
MERCHANT_HOME = "/console/merchant"
MERCHANT_PATHS = (MERCHANT_HOME, "/console/sign-out", *OPEN_PATHS)
# Where signing in lands by default: a merchant is sent on to its page instead of refused.
_LANDINGS = ("/console", "/console/", "/console/queue")
HEADERS = {
    # Nothing but this site's own files: no script, style or font from anywhere else, no framing.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def language_of(request: web.Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in SUPPORTED else "zh_CN"


def _same_origin(request: web.Request) -> bool:
    """A browser names the page a form was sent from; it must be this site. (No header: allowed,
    the CSRF token still has to match.)"""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


async def _csrf_ok(request: web.Request) -> bool:
    data = await request.post()
    sent = data.get("csrf")
    if not isinstance(sent, str) or not sent:
        return False
    session = request.get(SESSION)
    expected = session.csrf if session else request.cookies.get(SIGN_IN_CSRF_COOKIE, "")
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def sign_in_csrf(request: web.Request) -> str:
    """The sign-in form's token (there is no session yet): the same value in a cookie and the form."""
    return request.cookies.get(SIGN_IN_CSRF_COOKIE) or secrets.token_urlsafe(32)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[MESSAGES] = request.config_dict[TRANSLATIONS](language_of(request))
    try:
        response = await _guarded(request, handler)
    except web.HTTPException as error:
        if error.status < 400:
            for name, value in HEADERS.items():
                error.headers.setdefault(name, value)
            raise
        response = _error_page(request, error.status)
    except Forbidden:
        response = _error_page(request, 403)
    except NotFound:
        response = _error_page(request, 404)
    except Exception:
        # The traceback goes to the log; the page says nothing about internals or the data.
        log.exception("console error in %s %s", request.method, request.path)
        response = _error_page(request, 500)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith("/console/static/"):
        # Pages hold personal data: never kept by the browser or a proxy.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    public = request.path.startswith(OPEN_PATHS)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        database = request.config_dict[DATABASE]
        session = await session_of(database, token, now=now_of(request))
        if session is not None:
            request[SESSION] = session
    if request.get(SESSION) is None and not public:
        if request.method == "GET":
            raise web.HTTPSeeOther(f"/console/sign-in?{urlencode({'next': request.path_qs})}")
        return _error_page(request, 403, "console.error.signed_out")
    session = request.get(SESSION)
    if session is not None and session.user.role is Role.MERCHANT and not request.path.startswith(MERCHANT_PATHS):
        if request.method == "GET" and request.path in _LANDINGS:
            raise web.HTTPSeeOther(MERCHANT_HOME)
        return _error_page(request, 403)
    if request.method == "POST" and not (_same_origin(request) and await _csrf_ok(request)):
        log.warning("console: a form without a valid CSRF token was refused (%s)", request.path)
        return _error_page(request, 403, "console.error.csrf")
    return await handler(request)


def _error_page(request: web.Request, status: int, key: str | None = None) -> web.Response:
    return render(request, "error.html.j2", {"status": status, "reason": key or f"console.error.{status}"},
                  status=status)

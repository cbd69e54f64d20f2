"""Signing in and out, and choosing the console's language."""

from __future__ import annotations

from aiohttp import web

from backend.app_keys import CONFIG, DATABASE
from backend.client_address import client_address
from backend.console.common import form_of, now_of, render, safe_next, user_of
from backend.console.keys import SESSION
from backend.console.security import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    sign_in_csrf,
)
from backend.console.signin import SESSION_FOR, Refused, SignInThrottle, sign_in, sign_out
from backend.serving import served_over_https
from locales import SUPPORTED


def _sign_in_page(request: web.Request, *, next_: str, refused: Refused | None = None,
                  username: str = "") -> web.Response:
    csrf = sign_in_csrf(request)
    status = 200 if refused is None else (429 if refused.reason == "locked" else 401)
    response = render(request, "sign_in.html.j2", {"sign_in_csrf": csrf, "next": next_, "refused": refused,
                                                   "username": username}, status=status)
    response.set_cookie(SIGN_IN_CSRF_COOKIE, csrf, httponly=True, samesite="Strict", path="/console",
                        secure=served_over_https(request))
    return response


async def sign_in_form(request: web.Request) -> web.StreamResponse:
    next_ = safe_next(request.query.get("next"))
    if request.get(SESSION) is not None:
        raise web.HTTPSeeOther(next_)
    return _sign_in_page(request, next_=next_)


async def sign_in_submit(request: web.Request) -> web.StreamResponse:
    form = await form_of(request)
    next_ = safe_next(form.get("next"))
    data = await request.post()
    password = data.get("password")
    config = request.config_dict[CONFIG]
    address = client_address(request.remote, request.headers.getall("X-Forwarded-For", ()), config.proxies)
    database = request.config_dict[DATABASE]
    outcome = await sign_in(database, SignInThrottle(config.secret_key), form.get("username", ""),
                            password if isinstance(password, str) else "", address=address, now=now_of(request))
    if isinstance(outcome, Refused):
        return _sign_in_page(request, next_=next_, refused=outcome, username=form.get("username", ""))
    response = web.HTTPSeeOther(next_)
    response.set_cookie(SESSION_COOKIE, outcome.token, httponly=True, samesite="Strict", path="/console",
                        secure=served_over_https(request), max_age=int(SESSION_FOR.total_seconds()))
    response.del_cookie(SIGN_IN_CSRF_COOKIE, path="/console")
    raise response


async def sign_out_submit(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE, "")
    database = request.config_dict[DATABASE]
    await sign_out(database, token, user_of(request), now=now_of(request))
    response = web.HTTPSeeOther("/console/sign-in?flash=console.flash.signed_out")
    response.del_cookie(SESSION_COOKIE, path="/console")
    raise response


async def language(request: web.Request) -> web.StreamResponse:
    """Switch the console's language (a preference, not a change of data: a plain link will do)."""
    chosen = request.query.get("to", "")
    response = web.HTTPSeeOther(safe_next(request.query.get("next")))
    if chosen in SUPPORTED:
        response.set_cookie(LANGUAGE_COOKIE, chosen, samesite="Lax", path="/console", max_age=365 * 86400,
                            secure=served_over_https(request))
    raise response

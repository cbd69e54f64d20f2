"""What every console page needs: the signed-in user, the scope of their data, the clock, forms."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from backend.app_keys import CLOCK, DATABASE, PACK
from backend.cases.ports import OFFICE_ROLES, Role, User
from backend.console.keys import MESSAGES, SESSION, TEMPLATES
from backend.console.labels import Labels
from backend.db.database import Database
from backend.store.console import Scope
from locales import Messages

# Flash keys a redirect may name in ?flash= or ?error= (anything else is ignored, so a link cannot
# make the page say something of an attacker's choosing).
FLASH_PREFIXES = ("console.flash.", "console.refused.")


def user_of(request: web.Request) -> User:
    return request[SESSION].user


def messages_of(request: web.Request) -> Messages:
    return request[MESSAGES]


def database_of(request: web.Request) -> Database:
    return request.config_dict[DATABASE]


def now_of(request: web.Request) -> datetime:
    now: datetime = request.config_dict[CLOCK]()
    return now


def scope_of(request: web.Request) -> Scope:
    """Office staff see their office; an administrator the whole region, or one office (?office=)."""
    user = user_of(request)
    if user.role in OFFICE_ROLES:
        return Scope(user.office)
    chosen = request.query.get("office") or None
    offices = request.config_dict[PACK].regions.office_codes()
    return Scope(chosen if chosen in offices else None)


def is_admin(request: web.Request) -> bool:
    return user_of(request).role is Role.ADMIN


def office_names(request: web.Request) -> dict[str, str]:
    """Every street office of the pack by code, named in the reader's language."""
    locale = messages_of(request).locale
    return {o.code: o.names.get(locale) or o.code for d in request.config_dict[PACK].regions.districts
            for o in d.offices}


def render(request: web.Request, template: str, context: dict[str, Any], *, status: int = 200) -> web.Response:
    messages = messages_of(request)
    session = request.get(SESSION)
    flash = request.query.get("flash", "")
    error = request.query.get("error", "")
    base = {
        "t": messages.render,
        "fmt": messages,
        # Usernames a page shows, by display name: the page's view passes ``people`` when it has any.
        "label": Labels(messages, context.get("people")),
        "locale": messages.locale,
        "me": session.user if session else None,
        "csrf": session.csrf if session else "",
        "here": request.path_qs,
        "path": request.path,
        "flash": flash if flash.startswith(FLASH_PREFIXES) and messages.has(flash) else None,
        "error": error if error.startswith(FLASH_PREFIXES) and messages.has(error) else None,
        "offices": office_names(request),
        "admin": bool(session and session.user.role is Role.ADMIN),
    }
    response = aiohttp_jinja2.render_template(template, request, {**base, **context}, app_key=TEMPLATES,
                                              status=status)
    return response


def redirect(location: str, **params: str) -> web.HTTPSeeOther:
    query = urlencode({k: v for k, v in params.items() if v})
    return web.HTTPSeeOther(f"{location}?{query}" if query else location)


def safe_next(value: str | None) -> str:
    """A place inside the console to go back to; anything else (another site) becomes the queue."""
    if value and value.startswith("/console") and not value.startswith("//") and "\\" not in value:
        return value
    return "/console/queue"


async def form_of(request: web.Request) -> dict[str, str]:
    """The posted form's text fields (repeated names: the last), stripped."""
    data = await request.post()
    return {k: v.strip() for k, v in data.items() if isinstance(v, str)}


async def form_lists(request: web.Request, name: str) -> list[str]:
    data = await request.post()
    return [v.strip() for v in data.getall(name, []) if isinstance(v, str) and v.strip()]

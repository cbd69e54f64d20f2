"""Typed keys of what the HTTP application (the API and the console) holds, and of the request's user.

Below both edges, so that the console need not import the API to read what the application holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from backend.cases.service import CaseService
from backend.config import Config
from backend.db.database import Database
from backend.intake import IntakeService
from backend.monitoring.outreach import Outreach
from backend.policy.pack import Pack
from backend.store.users import User
from backend.volunteers.service import Volunteering
from locales import Messages

CONFIG = web.AppKey("config", Config)
DATABASE = web.AppKey("database", Database)
PACK = web.AppKey("pack", Pack)
PACKS: web.AppKey[Callable[[str], Pack]] = web.AppKey("packs")
CASES = web.AppKey("cases", CaseService)
INTAKE = web.AppKey("intake", IntakeService)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
PROJECTS = web.AppKey("projects", tuple)
VOLUNTEERING = web.AppKey("volunteering", Volunteering)
OUTREACH = web.AppKey("outreach", Outreach)
TRANSLATIONS: web.AppKey[Callable[[str], Messages]] = web.AppKey("translations")
# The authenticated user of a request.
USER = web.RequestKey("user", User)

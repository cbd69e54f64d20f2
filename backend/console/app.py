"""The console as a sub-application of the project's aiohttp application, under ``/console``.

It reads the parent's database, clock, pack and services (``request.config_dict``) and has its
own guard (sessions, CSRF, HTML errors). The bot's escalation desk is injected by the
composition root; without one, requests for a person are listed but not answered here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from backend.console.keys import DESK, FUNNEL_STEPS, REVIEW_DAYS, TEMPLATES
from backend.console.security import guard
from backend.console.views import actions, alerts, auth, case, dashboard, escalations, merchant, office, queue, thread
from backend.store.console import Desk

HERE = Path(__file__).resolve().parent
PREFIX = "/console"


async def _home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(f"{PREFIX}/queue")


def console_app(*, desk: Desk | None = None, funnel_steps: Sequence[str] = (),
                review_days: int = 10) -> web.Application:
    app = web.Application(middlewares=[guard], client_max_size=1024 * 1024)
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), app_key=TEMPLATES,
                         autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    if desk is not None:
        app[DESK] = desk
    app[FUNNEL_STEPS] = tuple(funnel_steps)
    app[REVIEW_DAYS] = review_days
    r = app.router
    r.add_get("/", _home)
    r.add_get("/sign-in", auth.sign_in_form)
    r.add_post("/sign-in", auth.sign_in_submit)
    r.add_post("/sign-out", auth.sign_out_submit)
    r.add_get("/language", auth.language)
    r.add_get("/queue", queue.queue)
    r.add_get("/cases/{number}", case.case_page)
    r.add_post("/cases/{number}/actions", actions.act)
    r.add_post("/cases/{number}/notes", actions.add_note)
    r.add_post("/cases/{number}/messages", thread.send_message)
    r.add_post("/cases/{number}/tasks", actions.create_task)
    r.add_get("/cases/{number}/documents/{document}", case.document)
    r.add_get("/escalations", escalations.escalations)
    r.add_get("/escalations/live", escalations.live)
    r.add_get("/escalations/{ticket}", escalations.ticket)
    r.add_post("/escalations/{ticket}/claim", escalations.claim)
    r.add_post("/escalations/{ticket}/reply", escalations.reply)
    r.add_post("/escalations/{ticket}/close", escalations.close)
    r.add_get("/alerts", alerts.alerts)
    r.add_get("/alerts/{alert}", alerts.alert_page)
    r.add_post("/alerts/{alert}/actions", alerts.act)
    r.add_get("/visits", alerts.visits)
    r.add_get("/volunteers", office.volunteers)
    r.add_get("/points", office.points)
    r.add_get("/projects", office.projects)
    r.add_get("/dashboard", dashboard.dashboard)
    r.add_get("/merchant", merchant.merchant_page)
    r.add_post("/merchant/redeem", merchant.redeem)
    r.add_static("/static", HERE / "static")
    return app


def mount(parent: web.Application, *, desk: Desk | None = None, funnel_steps: Sequence[str] = (),
          review_days: int = 10) -> web.Application:
    """Add the console to the project's application (built by ``backend.web.init_app``)."""
    console = console_app(desk=desk, funnel_steps=funnel_steps, review_days=review_days)
    parent.add_subapp(PREFIX, console)

    async def bare(request: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther(f"{PREFIX}/queue")

    parent.router.add_get(PREFIX, bare)
    return console

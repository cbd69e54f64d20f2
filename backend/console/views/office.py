"""The office's other lists: volunteers and tasks, the points ledger and its merchants, charity
projects. All read-only here; they change through their own services (alerts: views/alerts.py)."""

from __future__ import annotations

from aiohttp import web

from backend.app_keys import PROJECTS
from backend.cases.ports import Role
from backend.console.common import database_of, render, scope_of

LIMIT = 200


async def volunteers(request: web.Request) -> web.Response:
    scope = scope_of(request)
    async with database_of(request).unit_of_work() as uow:
        people = await uow.reports.volunteers(scope, limit=LIMIT)
        tasks = await uow.reports.tasks(scope, limit=LIMIT)
    return render(request, "volunteers.html.j2", {"volunteers": people, "tasks": tasks})


async def points(request: web.Request) -> web.Response:
    async with database_of(request).unit_of_work() as uow:
        accounts = await uow.reports.accounts(limit=LIMIT)
        entries = await uow.reports.entries(limit=50)
        staff = await uow.users.list()
    merchants = [u for u in staff if u.role is Role.MERCHANT]
    return render(request, "points.html.j2", {"accounts": accounts, "entries": entries, "merchants": merchants,
                                              "people": {u.username: u.display_name for u in staff}})


async def projects(request: web.Request) -> web.Response:
    rows = []
    async with database_of(request).unit_of_work() as uow:
        for project in request.config_dict[PROJECTS]:
            taken = await uow.offers.taken("project", project.id)
            rows.append((project, taken))
    return render(request, "projects.html.j2", {"projects": rows})

"""The project's aiohttp application: built by a factory, nothing opened at import.

It serves ``/healthz``, the API under ``/api/v1`` and its OpenAPI document; channels add their
routes (the Telegram webhook). The database lives in the application, opened and closed by
``cleanup_ctx``; the services are built once, by ``backend_services``, and handed in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from aiohttp import web

from backend.api.auth import bearer_auth
from backend.api.errors import errors_as_json
from backend.api.openapi import openapi_document
from backend.api.requests import plain_addresses
from backend.api.routes import ENDPOINTS
from backend.app_keys import (
    CASES,
    CLOCK,
    CONFIG,
    DATABASE,
    INTAKE,
    OUTREACH,
    PACK,
    PACKS,
    PROJECTS,
    TRANSLATIONS,
    VOLUNTEERING,
)
from backend.cases.ports import Role
from backend.cases.service import CaseService
from backend.config import Config
from backend.crypto import IdHasher
from backend.db.database import Database
from backend.db.opening import open_database
from backend.intake import IntakeService
from backend.monitoring.outreach import Outreach
from backend.monitoring.vault import IdVault
from backend.points.ledger import Ledger
from backend.policy.pack import Pack, load_pack
from backend.policy.projects import Project, load_projects
from backend.policy.services import ServiceCatalogue, load_services
from backend.serving import transport_headers
from backend.volunteers.service import Volunteering
from locales import DEFAULT_LOCALE, Messages, Translations


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class BackendServices:
    """The backend's services over one policy pack, built once per process.

    Attributes:
        clock: the current time (aware), for everything that stamps a record.
        intake: submits applications in process (a bot run apart submits over HTTP instead).
        catalogue: the volunteer services residents may be offered.
        translations: plain-text catalogs in the region's time zone.
    """

    config: Config
    clock: Callable[[], datetime]
    pack: Pack
    cases: CaseService
    intake: IntakeService
    projects: tuple[Project, ...]
    catalogue: ServiceCatalogue
    ledger: Ledger
    volunteering: Volunteering
    outreach: Outreach
    translations: Translations


def backend_services(
    config: Config, *, clock: Callable[[], datetime] = utc_now, pack: Pack | None = None, review_days: int = 10,
) -> BackendServices:
    """Wire the backend's services for ``config`` (``pack``: one loaded already)."""
    pack = pack or load_pack(config.pack)
    cases = CaseService(pack, staff_messages=Translations(html=True, timezone=pack.regions.timezone)(DEFAULT_LOCALE))
    projects = load_projects(pack.name)
    ledger = Ledger(pack)
    vault = IdVault(config.secret_key)
    return BackendServices(
        config=config,
        clock=clock,
        pack=pack,
        cases=cases,
        intake=IntakeService(IdHasher(config.secret_key), review_days=review_days, pack=pack, cases=cases,
                             projects=projects, vault=vault),
        projects=projects,
        catalogue=load_services(pack.name),
        ledger=ledger,
        volunteering=Volunteering(pack, ledger, zone=ZoneInfo(pack.regions.timezone)),
        outreach=Outreach(pack, vault.decrypt, config.secret_key),
        translations=Translations(timezone=pack.regions.timezone),
    )


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def init_app(
    config: Config,
    *,
    database: Database | None = None,
    services: BackendServices | None = None,
    clock: Callable[[], datetime] = utc_now,
    review_days: int = 10,
) -> web.Application:
    """The application over ``config``.

    Args:
        database: an open one to share (it is then not closed here).
        services: the process's services; without them, built here with ``clock`` and ``review_days``.
    """
    services = services or backend_services(config, clock=clock, review_days=review_days)
    roles: dict[tuple[str, str], frozenset[Role]] = {}
    signed_routes: set[tuple[str, str]] = set()

    def route_of(request: web.Request) -> tuple[str, str]:
        resource = request.match_info.route.resource
        return request.method, resource.canonical if resource else ""

    def roles_of(request: web.Request) -> frozenset[Role] | None:
        return roles.get(route_of(request))

    def signed(request: web.Request) -> bool:
        return route_of(request) in signed_routes

    app = web.Application(client_max_size=2 * 1024 * 1024,
                          middlewares=[transport_headers, errors_as_json, plain_addresses,
                                       bearer_auth(roles_of, signed=signed)])
    app[CONFIG] = config
    app[PACK] = services.pack
    packs: Callable[[str], Pack] = lru_cache(maxsize=8)(load_pack)
    app[PACKS] = packs
    app[CASES] = services.cases
    app[INTAKE] = services.intake
    app[CLOCK] = services.clock
    app[PROJECTS] = services.projects
    translations: Callable[[str], Messages] = services.translations
    app[TRANSLATIONS] = translations
    app[VOLUNTEERING] = services.volunteering
    app[OUTREACH] = services.outreach
    app.router.add_get("/healthz", health)
    openapi = openapi_document()

    async def serve_openapi(_request: web.Request) -> web.Response:
        return web.json_response(openapi)

    app.router.add_get("/api/v1/openapi.json", serve_openapi)
    for endpoint in ENDPOINTS:
        app.router.add_route(endpoint.method, endpoint.path, endpoint.handler)
        roles[(endpoint.method, endpoint.path)] = endpoint.roles
        if endpoint.signed:
            signed_routes.add((endpoint.method, endpoint.path))
    app.cleanup_ctx.append(_database(config, database))
    return app


def _database(config: Config, shared: Database | None) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        if shared is not None:
            app[DATABASE] = shared
            yield
            return
        app[DATABASE] = database = await open_database(config)
        try:
            yield
        finally:
            await database.dispose()

    return context

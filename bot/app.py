"""The composition root: build the services once from configuration and hand them to the
conversation runner, the HTTP app and the worker. Nothing here runs at import, and nothing
below imports it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypedDict
from uuid import uuid4

from typing_extensions import Unpack

from backend.config import Config
from backend.db.database import Database
from backend.db.opening import open_database
from backend.documents import FileDocumentStorage
from backend.intake import Intake
from backend.monitoring.outreach import Outreach
from backend.policy.pack import Pack
from backend.policy.regions import RegionTree
from backend.volunteers.ports import SKILLS
from backend.web import backend_services, utc_now
from bot.desk import EscalationDesk
from bot.linking import LinkCodes
from bot.runner import Conversations
from bot.sealed_texts import SealedTexts
from bot.services import Services
from flows.crisis import load_crisis_words
from flows.engine import Engine
from flows.flow import District, FlowContext, Localized, Office, Settings
from flows.intake import INTAKE
from flows.reply import REPLY
from flows.volunteer import VOLUNTEER
from locales import Translations


def flow_context(tree: RegionTree) -> FlowContext:
    """The region tree of a policy pack and the volunteer skills, as the flows see them."""
    return FlowContext(
        skills=SKILLS,
        districts=tuple(
            District(
                d.code,
                Localized(d.names),
                tuple(Office(o.code, Localized(o.names)) for o in d.offices),
            )
            for d in tree.districts
        )
    )


def system_clock() -> datetime:
    return utc_now()


@dataclass(frozen=True, slots=True)
class Runtime:
    config: Config
    database: Database
    services: Services
    conversations: Conversations

    @property
    def pack(self) -> Pack:
        return self.services.backend.pack

    @property
    def timezone(self) -> str:
        """The region's, from the policy pack."""
        return self.services.timezone

    async def close(self) -> None:
        await self.database.dispose()


class Parts(TypedDict, total=False):
    """Parts of the services a caller gives instead of the default ones (tests, a bot run apart)."""

    new_id: Callable[[], str]
    settings: Settings
    translations: Translations
    html_translations: Translations
    intake: Intake
    pack: Pack
    desk: EscalationDesk
    links: LinkCodes
    outreach: Outreach


def build_services(
    config: Config, database: Database, *, clock: Callable[[], datetime] = system_clock, **parts: Unpack[Parts],
) -> Services:
    """Wire every service over a connected database, submitting in process unless another
    ``intake`` is given (one over HTTP)."""
    settings = parts.get("settings") or Settings(crisis_words=load_crisis_words())
    backend = backend_services(config, clock=clock, pack=parts.get("pack"), review_days=settings.review_days)
    if "outreach" in parts:
        backend = replace(backend, outreach=parts["outreach"])
    context = flow_context(backend.pack.regions)
    desk = parts.get("desk") or EscalationDesk(database, translations=Translations(html=True), clock=clock,
                                               staff_locale=config.locale)
    return Services(
        backend=backend,
        store=database,
        clock=clock,
        new_id=parts.get("new_id") or (lambda: uuid4().hex),
        settings=settings,
        intake=parts.get("intake") or backend.intake,
        engines=tuple(Engine(flow, context, settings) for flow in (INTAKE, VOLUNTEER, REPLY)),
        translations=parts.get("translations") or backend.translations,
        html_translations=parts.get("html_translations"),
        storage=FileDocumentStorage(config.data_dir / "documents"),
        # Caseworkers answer requests for a person on Telegram or at a terminal (yimen desk).
        desk=desk,
        links=parts.get("links") or LinkCodes(config.secret_key),
        sealed_texts=SealedTexts(config.secret_key),
        default_locale=config.locale,
        max_document_bytes=config.max_document_bytes,
    )


def build_conversations(
    config: Config, database: Database, *, clock: Callable[[], datetime] = system_clock, **parts: Unpack[Parts],
) -> Conversations:
    """The conversation runner over services of its own."""
    return Conversations(build_services(config, database, clock=clock, **parts))


async def open_runtime(
    config: Config, *, migrate: bool | None = None, clock: Callable[[], datetime] = system_clock,
    **parts: Unpack[Parts],
) -> Runtime:
    """Connect the database (migrating the embedded default first) and wire the services.

    Args:
        migrate: apply migrations first; by default only for the embedded SQLite database.
        parts: passed on to ``build_services`` (ids, settings, translations, intake).
    """
    database = await open_database(config, migrate=migrate, new_id=parts.get("new_id"))
    services = build_services(config, database, clock=clock, **parts)
    return Runtime(config, database, services, Conversations(services))

"""The composition root: build the runtime from configuration. Nothing here runs at import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from backend.cases.service import CaseService
from backend.config import Config
from backend.db.database import Database
from backend.db.migrate import upgrade
from backend.documents import FileDocumentStorage
from backend.intake import IdHasher, Intake, IntakeService
from backend.monitoring.outreach import Outreach
from backend.monitoring.vault import IdVault
from backend.points.ledger import Ledger
from backend.policy.pack import Pack, load_pack
from backend.policy.projects import load_projects
from backend.policy.regions import RegionTree
from backend.policy.services import load_services
from backend.volunteers.ports import SKILLS
from backend.volunteers.service import Volunteering
from bot.conversations import Conversations
from bot.desk import EscalationDesk
from bot.linking import LinkCodes
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
    return datetime.now(UTC)


@dataclass
class Runtime:
    config: Config
    database: Database
    conversations: Conversations
    pack: Pack

    @property
    def timezone(self) -> str:
        """The region's, from the policy pack."""
        return self.pack.regions.timezone

    async def close(self) -> None:
        await self.database.dispose()


def build_conversations(
    config: Config,
    database: Database,
    *,
    clock: Callable[[], datetime] = system_clock,
    new_id: Callable[[], str] = lambda: uuid4().hex,
    settings: Settings | None = None,
    translations: Translations | None = None,
    html_translations: Translations | None = None,
    intake: Intake | None = None,
    pack: Pack | None = None,
) -> Conversations:
    """Wire the conversation runner over a connected database (submitting in process unless
    another ``intake`` is given, e.g. one over HTTP)."""
    settings = settings or Settings(crisis_words=load_crisis_words())
    pack = pack or load_pack(config.pack)
    regions = pack.regions
    context = flow_context(regions)
    engine = Engine(INTAKE, context, settings)
    projects = load_projects(pack.name)
    cases = CaseService(pack)
    conversations = Conversations(
        database=database,
        engine=engine,
        intake=intake
        or IntakeService(IdHasher(config.secret_key), review_days=settings.review_days, pack=pack, cases=cases,
                         projects=projects, vault=IdVault(config.secret_key)),
        translations=translations or Translations(timezone=regions.timezone),
        storage=FileDocumentStorage(config.data_dir / "documents"),
        clock=clock,
        new_id=new_id,
        default_locale=config.locale,
        max_document_bytes=config.max_document_bytes,
        html_translations=html_translations,
        flows=(Engine(VOLUNTEER, context, settings), Engine(REPLY, context, settings)),
    )
    ledger = Ledger(pack)
    conversations.projects = projects
    conversations.services = load_services(pack.name)
    conversations.ledger = ledger
    conversations.volunteering = Volunteering(pack, ledger, zone=ZoneInfo(regions.timezone))
    conversations.cases = cases
    conversations.links = LinkCodes(config.secret_key)
    conversations.outreach = Outreach(pack, IdVault(config.secret_key).decrypt, config.secret_key)
    # Caseworkers answer requests for a person on Telegram or at a terminal (yimen desk).
    conversations.desk = EscalationDesk(database, translations=Translations(html=True), clock=clock,
                                        staff_locale=config.locale)
    return conversations


async def open_runtime(config: Config, *, migrate: bool | None = None, **wiring: Any) -> Runtime:
    """Connect the database (migrating the embedded default first) and wire the runner.

    Args:
        migrate: apply migrations first; by default only for the embedded SQLite database.
        wiring: passed on to ``build_conversations`` (clock, ids, settings, translations).
    """
    if config.embedded if migrate is None else migrate:
        await upgrade(config.database_url)
    database = Database(config.database_url, **({"new_id": wiring["new_id"]} if "new_id" in wiring else {}))
    await database.connect()
    pack = load_pack(config.pack)
    return Runtime(config, database, build_conversations(config, database, pack=pack, **wiring), pack)

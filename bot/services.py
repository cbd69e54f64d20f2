"""Everything the bot's parts work with, built once by the composition root (``bot/app.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from backend.documents import FileDocumentStorage
from backend.intake import Intake
from backend.ports import Store, UnitOfWork
from backend.web import BackendServices
from bot.desk import EscalationDesk
from bot.linking import LinkCodes
from bot.sealed_texts import SealedTexts
from flows.engine import Engine
from flows.flow import Settings
from locales import Translations


@dataclass(frozen=True, slots=True)
class Services:
    """The process's services; frozen, so every part sees the same ones for its whole life.

    Attributes:
        backend: the backend's services (policy pack, cases, ledger, volunteering, outreach ...),
            which the HTTP app serves with too.
        store: gives a unit of work per use.
        intake: where the runner submits applications (in process, or to the API over HTTP).
        engines: every flow's engine, the intake's first (the default flow).
        html_translations: catalogs rendering HTML-escaped text, for channels that show HTML.
        desk: caseworkers answering requests for a person in chat or at a terminal.
        links: one-time codes that link another channel's identity to a resident (``/link``).
    """

    backend: BackendServices
    store: Store[UnitOfWork]
    clock: Callable[[], datetime]
    new_id: Callable[[], str]
    settings: Settings
    intake: Intake
    engines: tuple[Engine, ...]
    translations: Translations
    html_translations: Translations | None
    storage: FileDocumentStorage
    desk: EscalationDesk
    links: LinkCodes
    # Seals the clear text of a reply that shows something private (an ID number just typed).
    sealed_texts: SealedTexts | None = None
    default_locale: str = "zh_CN"
    max_document_bytes: int = 10 * 1024 * 1024

    @property
    def timezone(self) -> str:
        """The region's, from the policy pack."""
        return self.backend.pack.regions.timezone

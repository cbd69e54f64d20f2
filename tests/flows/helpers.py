"""Engines over the demo region, and a transcript to talk to one, for tests that need no database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TypeVar

from backend.policy.regions import load_regions
from bot.app import flow_context
from flows import events as ev
from flows.engine import Engine
from flows.flow import FlowContext, Settings
from flows.intake import INTAKE
from flows.intents import Intent, Reply
from flows.session import Session
from locales import Translations

T = TypeVar("T")

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
APPLICANT_ID = "110105198001010016"


def demo_engine(settings: Settings | None = None, flow=INTAKE) -> Engine:
    return Engine(flow, flow_context(load_regions("demo")), settings)


def demo_context(skills: tuple[str, ...] = ()) -> FlowContext:
    """The demo region, with the volunteer skills the composition root would add."""
    return dataclasses.replace(flow_context(load_regions("demo")), skills=skills)


class Transcript:
    """One resident's conversation with an engine: send a line, read what came back.

    A line starting with "/" is a command; a ``Choice``, ``FileUpload`` or result event is
    sent as it is; any other string is typed text.
    """

    def __init__(self, engine: Engine, session: Session, now: datetime = NOW) -> None:
        self.engine = engine
        self.session = session
        self.now = now
        self.intents: list[Intent] = []

    def send(self, message: str | ev.Event) -> list[Intent]:
        self.session, self.intents = self.engine.step(self.session, _event(message), self.now)
        return self.intents

    @property
    def replies(self) -> list[Reply]:
        return [i for i in self.intents if isinstance(i, Reply)]

    @property
    def keys(self) -> list[str]:
        return [r.key for r in self.replies]

    def of(self, kind: type[T]) -> list[T]:
        return [i for i in self.intents if isinstance(i, kind)]


def rendered(chat: Transcript, translations: Translations, locale: str) -> list[str]:
    """Every reply of the last turn as the resident reads it (fails if a parameter is missing)."""
    messages = translations(locale)
    return [messages.render(r.key, **r.params) for r in chat.replies]


def _event(message: str | ev.Event) -> ev.Event:
    if not isinstance(message, str):
        return message
    if message.startswith("/"):
        name, _, arg = message[1:].partition(" ")
        return ev.Command(name, arg)
    return ev.Text(message)

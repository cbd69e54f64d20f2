"""An intake engine over the demo region, for tests that need no database."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.policy.regions import load_regions
from bot.app import flow_context
from flows.engine import Engine
from flows.flow import Settings
from flows.intake import INTAKE

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
APPLICANT_ID = "110105198001010016"


def demo_engine(settings: Settings | None = None, flow=INTAKE) -> Engine:
    return Engine(flow, flow_context(load_regions("demo")), settings)

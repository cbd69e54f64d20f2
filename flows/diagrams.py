"""Where each flow's Mermaid diagram lives (beside the flow's module)."""

from __future__ import annotations

from pathlib import Path

from flows.flow import Flow
from flows.intake import INTAKE
from flows.machine import mermaid
from flows.reply import REPLY
from flows.volunteer import VOLUNTEER

HERE = Path(__file__).resolve().parent

DIAGRAMS: tuple[tuple[Flow, Path], ...] = (
    (INTAKE, HERE / "intake.mmd"),
    (VOLUNTEER, HERE / "volunteer.mmd"),
    (REPLY, HERE / "reply.mmd"),
)


def render(flow: Flow) -> str:
    return mermaid(flow)

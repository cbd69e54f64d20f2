"""Where each flow's Mermaid diagram lives (beside the flow's module)."""

from __future__ import annotations

from pathlib import Path

from flows.flow import Flow
from flows.intake import INTAKE
from flows.machine import mermaid

HERE = Path(__file__).resolve().parent

DIAGRAMS: tuple[tuple[Flow, Path], ...] = ((INTAKE, HERE / "intake.mmd"),)


def render(flow: Flow) -> str:
    return mermaid(flow)

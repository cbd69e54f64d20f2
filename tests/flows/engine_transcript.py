"""Plays a flow's transcript script against the engine alone and writes what the resident reads.

A script (``tests/transcripts/engine/<name>.yaml``) names the flow and lists the steps; the
expected transcript beside it (``<name>.expected.txt``) holds every step's replies rendered
in the session's locale, with their buttons, and the other intents the engine gave.

Regenerate the expected transcripts after a deliberate change (and read the diff)::

    PYTHONPATH=$PWD python3 -m tests.flows.engine_transcript
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from flows import events as ev
from flows.engine import Engine
from flows.flow import Flow
from flows.intake import INTAKE
from flows.intents import Intent, Reply, ScheduleReminder
from flows.reply import REPLY
from flows.volunteer import SKILLS, VOLUNTEER
from locales import Translations
from tests.bot.transcript import duration
from tests.flows.helpers import NOW, demo_context

SCRIPTS = Path(__file__).resolve().parent.parent / "transcripts" / "engine"
FLOWS: dict[str, Flow] = {flow.name: flow for flow in (INTAKE, VOLUNTEER, REPLY)}


def scripts() -> list[Path]:
    return sorted(SCRIPTS.glob("*.yaml"))


def expected_path(script: Path) -> Path:
    return script.with_suffix(".expected.txt")


def play(script: Path, translations: Translations) -> str:
    """The transcript of a script: each step's input, then what came back."""
    data: dict[str, Any] = yaml.safe_load(script.read_text(encoding="utf-8"))
    flow = FLOWS[data["flow"]]
    engine = Engine(flow, demo_context(skills=SKILLS if data.get("skills", True) else ()))
    now: datetime = NOW
    session = engine.new_session(now, data.get("locale"), data.get("given"))
    lines = [f"# {data['name']} ({flow.name} flow, generated from {script.name})"]
    for number, step in enumerate(data["steps"], 1):
        if "clock" in step:
            now += duration(step["clock"])
        event = _event(step, number)
        lines.append(f"\n> {_shown(step)}")
        session, intents = engine.step(session, event, now)
        # In the language the resident reads after this step (the runner renders the same way).
        messages = translations(session.locale or "zh_CN")
        lines += [_line(intent, messages) for intent in intents if not isinstance(intent, ScheduleReminder)]
    lines.append(f"\n= state {session.state}, answers {sorted(session.answers)}, documents {session.documents}")
    return "\n".join(lines) + "\n"


def _event(step: dict[str, Any], number: int) -> ev.Event:
    if "in" in step:
        text = str(step["in"])
        if text.startswith("/"):
            name, _, arg = text[1:].partition(" ")
            return ev.Command(name, arg)
        return ev.Text(text)
    if "choice" in step:
        return ev.Choice(str(step["choice"]))
    if "file" in step:
        return ev.FileUpload(f"doc-{number}", str(step["file"]), 1000)
    if "submitted" in step:
        return ev.ApplicationSubmitted(str(step["submitted"]), "2026-12-09")
    if "no_open_application" in step:
        return ev.NoOpenApplication()
    if "open_application" in step:
        return ev.OpenApplicationFound(str(step["open_application"]), "under_review")
    if "failed" in step:
        return ev.SubmissionFailed()
    if "tick" in step:
        return ev.Tick()
    raise ValueError(f"step {number}: no event in {step}")


def _shown(step: dict[str, Any]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in step.items())


def _line(intent: Intent, messages: Any) -> str:
    if not isinstance(intent, Reply):
        return f"  {intent!r}"
    text = messages.render(intent.key, **intent.params)
    if intent.progress is not None:
        text = f"{messages.render('common.progress', n=intent.progress[0], total=intent.progress[1])}\n{text}"
    out = [f"< [{intent.key}] {text}"]
    for option in intent.options:
        mark = "x" if option.selected else " "
        out.append(f"    [{mark}] {option.value}: {messages.render(option.key, **option.params)}")
    return "\n".join(out)


def main() -> None:
    """Write every script's expected transcript."""
    translations = Translations()
    for script in scripts():
        expected_path(script).write_text(play(script, translations), encoding="utf-8")
        print(f"wrote {expected_path(script)}", file=sys.stderr)


if __name__ == "__main__":
    main()

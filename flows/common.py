"""Questions and parsers every flow asks the same way (each flow words its own prompts)."""

from __future__ import annotations

from flows.flow import DECLINE, Answers, Ask, Kind, Question, Role
from flows.parsing import parse_mobile, parse_name

LOCALE_OPTIONS = ("zh_CN", "en")


def _language_label(value: str, ask: Ask) -> tuple[str, dict[str, object]]:
    # Each language is named in itself, whatever the flow.
    return f"language.option.{value}", {}


def _language_unknown(ask: Ask) -> bool:
    return "language" not in ask.answers


# Asked only when the channel did not tell us; /language comes back to it from anywhere.
LANGUAGE = Question(
    "language",
    Kind.CHOICE,
    options=LOCALE_OPTIONS,
    when=_language_unknown,
    option_labels=_language_label,
    role=Role.LANGUAGE,
)

# "decline" ends the flow and drops everything (what the engine does with a consent question).
CONSENT = Question("consent", Kind.CHOICE, options=("agree", DECLINE), role=Role.CONSENT)


def consent_record(answers: Answers, version: int) -> dict[str, object]:
    """What was agreed to (the version of the notice) and when."""
    return {"version": version, "given_at": answers.get("consent_at")}


def name(text: str, ask: Ask) -> str:
    return parse_name(text)


def mobile(text: str, ask: Ask) -> str:
    return parse_mobile(text)

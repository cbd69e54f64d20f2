"""A stored assessment's trace, back in the shapes its sentences are written for.

The stored JSON keeps amounts as strings (no float rounding) and parameters as
``{value, since, source}``; the ``policy.rule.*`` messages compute with numbers and dates, so
each entry is read back into a ``RuleEvaluation`` and explained like a fresh assessment.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from backend.policy.explain import explain_rule
from backend.policy.outcome import RuleEvaluation
from backend.policy.parameters import ParameterValue
from locales import Messages, MissingMessage

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def revive(value: Any) -> Any:
    """Numbers written as strings become Decimals again; everything else is kept."""
    if isinstance(value, str) and _NUMBER.match(value):
        return Decimal(value)
    if isinstance(value, dict):
        return {k: revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [revive(v) for v in value]
    return value


def _parameter(raw: dict[str, str]) -> Any:
    # A trace stored before parameters carried their source is shown as it was stored.
    try:
        return ParameterValue(Decimal(raw["value"]), date.fromisoformat(raw["since"]), raw["source"])
    except (KeyError, ValueError, InvalidOperation):
        return raw


def entries(assessment: dict[str, Any]) -> list[RuleEvaluation]:
    return [
        RuleEvaluation(
            str(e["rule"]), revive(e.get("outcome")), revive(e.get("inputs") or {}),
            {name: _parameter(p) for name, p in (e.get("parameters") or {}).items()},
        )
        for e in assessment.get("trace", [])
    ]


def sentences(assessment: dict[str, object] | None, messages: Messages) -> list[str]:
    """Every rule of the trace as a sentence in the reader's language (one that cannot be
    rendered, from an older pack, is named by its rule id rather than failing the page)."""
    if not assessment:
        return []
    found = []
    for entry in entries(assessment):
        try:
            found.append(explain_rule(entry, messages))
        except MissingMessage:
            found.append(entry.rule)
    return found

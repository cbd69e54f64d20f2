"""What a decision tells the resident, as pack data (``<pack>/decisions.yaml``).

The standard reasons a rejection may give (code → text in every locale, with the source that
allows it), how and from when an approved benefit is paid, and where a decision is appealed. The
numbers (payment day, days to report a change, months to the next review per layer, days to
appeal) are dated parameters in ``parameters.yaml``; this file holds the words and names them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from backend.policy.codes import Layer
from backend.policy.errors import pack_error
from backend.policy.parameters import Parameter
from locales import SUPPORTED as LOCALES

FILENAME = "decisions.yaml"
# The parameters a decision message reads, besides each layer's review interval.
DECISION_PARAMETERS = ("appeal_days", "payment_day", "report_change_days")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


class BenefitStart(StrEnum):
    """From which month an approved benefit is paid."""

    SUBMITTED_MONTH = "submitted_month"  # the month the application was made
    MONTH_AFTER_APPROVAL = "month_after_approval"


@dataclass(frozen=True, slots=True)
class Reason:
    """A standard reason for a rejection, as the resident reads it."""

    code: str
    texts: Mapping[str, str]
    source: str


@dataclass(frozen=True, slots=True)
class DecisionRules:
    """Everything in ``decisions.yaml``; see the module docstring."""

    reasons: tuple[Reason, ...]
    payment_method: Mapping[str, str]
    benefit_start: BenefitStart
    review_parameters: Mapping[Layer, str]  # the parameter holding each layer's review interval
    appeal_body: Mapping[str, str]
    sources: Mapping[str, str]

    def reason(self, code: str) -> Reason | None:
        return next((r for r in self.reasons if r.code == code), None)

    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)


def _texts(raw: object, path: Path, key: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise pack_error(path, key, f"must map every locale ({', '.join(LOCALES)}) to a text")
    for extra in sorted(set(raw) - set(LOCALES) - {"source"}):
        raise pack_error(path, f"{key}.{extra}", f"unknown locale (only {', '.join(LOCALES)})")
    texts: dict[str, str] = {}
    for locale in LOCALES:
        text = raw.get(locale)
        if not isinstance(text, str) or not text.strip():
            raise pack_error(path, f"{key}.{locale}", "missing: every locale needs a text")
        texts[locale] = text.strip()
    return texts


def _source(raw: dict[str, object], path: Path, key: str) -> str:
    source = str(raw.get("source") or "").strip()
    if not source:
        raise pack_error(path, f"{key}.source", "missing: say where this comes from")
    return source


def _section(data: dict[str, object], name: str, path: Path) -> dict[str, object]:
    raw = data.get(name)
    if not isinstance(raw, dict):
        raise pack_error(path, name, "missing, or not a mapping")
    return raw


def parse_decisions(data: object, path: Path, parameters: Mapping[str, Parameter]) -> DecisionRules:
    """Validate ``decisions.yaml`` against the pack's parameters.

    Raises:
        PackError: an unknown key, locale or layer, a text missing in a locale, a reason code that
            is malformed or repeated, a missing source, or a parameter the pack lacks or holds as
            a list (the file and key are named).
    """
    if not isinstance(data, dict):
        raise pack_error(path, "(top)", "must be a mapping with reasons, payment, review and appeal")
    for extra in sorted(set(data) - {"reasons", "payment", "review", "appeal"}):
        raise pack_error(path, str(extra), "unknown key (reasons, payment, review, appeal)")
    raw_reasons = data.get("reasons")
    if not isinstance(raw_reasons, dict) or not raw_reasons:
        raise pack_error(path, "reasons", "missing, or not a mapping of codes")
    reasons: list[Reason] = []
    for code, raw in raw_reasons.items():
        key = f"reasons.{code}"
        if not isinstance(code, str) or not _CODE.match(code):
            raise pack_error(path, key, f"{code!r} is not a code (lower case, digits, _)")
        if not isinstance(raw, dict):
            raise pack_error(path, key, "must map every locale to a text, with a source")
        reasons.append(Reason(code, _texts(raw, path, key), _source(raw, path, key)))
    payment = _section(data, "payment", path)
    try:
        start = BenefitStart(str(payment.get("starts")))
    except ValueError:
        raise pack_error(path, "payment.starts", f"one of {', '.join(BenefitStart)}") from None
    review = _section(data, "review", path)
    months = review.get("months")
    if not isinstance(months, dict) or not months:
        raise pack_error(path, "review.months", "must map layers to the parameter of their review interval")
    by_layer: dict[Layer, str] = {}
    for layer, name in months.items():
        try:
            by_layer[Layer(layer)] = str(name)
        except ValueError:
            raise pack_error(path, f"review.months.{layer}", f"unknown layer {layer!r}") from None
    appeal = _section(data, "appeal", path)
    for needed in (*DECISION_PARAMETERS, *by_layer.values()):
        if needed not in parameters:
            raise pack_error(path.parent / "parameters.yaml", needed, f"missing parameter (needed by {path.name})")
        if parameters[needed].is_list:
            raise pack_error(path.parent / "parameters.yaml", needed, "must be a number, not a list")
    return DecisionRules(
        reasons=tuple(reasons),
        payment_method=_texts(payment.get("method"), path, "payment.method"),
        benefit_start=start,
        review_parameters=by_layer,
        appeal_body=_texts(appeal.get("body"), path, "appeal.body"),
        sources={"payment": _source(payment, path, "payment"), "review": _source(review, path, "review"),
                 "appeal": _source(appeal, path, "appeal")},
    )

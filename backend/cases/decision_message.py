"""What a decision tells the resident, as notice parameters built from the pack.

The resident's next questions after a decision: which programme, how much and from which month,
when and how it is paid, what they must report and when the next review is, and how to appeal
(where, by when); after a rejection, the standard reasons chosen. Texts the pack gives in every
locale are kept in every locale, because a notice is rendered only when delivered, in the language
the resident uses by then. Nothing here is the caseworker's internal note.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from backend.cases.ports import Case
from backend.policy.codes import Layer
from backend.policy.decisions import BenefitStart, DecisionRules
from backend.policy.pack import Pack
from backend.store.errors import DecisionRefused

MAX_RESIDENT_TEXT = 1000
__all__ = ["MAX_RESIDENT_TEXT", "approval_params", "rejection_params"]


def _rules(pack: Pack) -> DecisionRules:
    if pack.decisions is None:
        raise DecisionRefused(f"the {pack.name} pack has no decisions.yaml: no reasons to give", "reason_codes")
    return pack.decisions


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _text(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_RESIDENT_TEXT:
        raise DecisionRefused(f"the message for the resident is longer than {MAX_RESIDENT_TEXT} characters",
                              "resident_text")
    return text


def _appeal(pack: Pack, rules: DecisionRules, on: date) -> dict[str, object]:
    days = int(pack.parameter("appeal_days", on).value)
    return {"appeal_days": days, "appeal_by": (on + timedelta(days=days)).isoformat(),
            "appeal_body": dict(rules.appeal_body)}


def rejection_params(pack: Pack, codes: Sequence[str], resident_text: str, *, now: datetime) -> dict[str, object]:
    """The parameters of a rejection notice: the standard reasons by code and in every locale, the
    caseworker's free text for the resident, and the appeal route and date.

    Raises:
        DecisionRefused: no reason, or a code the pack does not know (field ``reason_codes``).
    """
    rules = _rules(pack)
    chosen = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not chosen:
        raise DecisionRefused("a rejection needs at least one of the pack's standard reasons", "reason_codes")
    for code in chosen:
        if rules.reason(code) is None:
            raise DecisionRefused(f"unknown reason code {code!r}; known: {', '.join(rules.codes())}", "reason_codes")
    locales = rules.reasons[0].texts.keys()
    reasons = {loc: [r.texts[loc] for code in chosen if (r := rules.reason(code)) is not None] for loc in locales}
    return {"reason_codes": chosen, "reasons": reasons, "message": _text(resident_text),
            **_appeal(pack, rules, now.date())}


def benefit_start(rules: DecisionRules, submitted_at: datetime, now: datetime) -> date:
    """The first day of the first month the benefit is paid for."""
    if rules.benefit_start is BenefitStart.SUBMITTED_MONTH:
        return submitted_at.date().replace(day=1)
    return _add_months(now.date().replace(day=1), 1)


def approval_params(pack: Pack, case: Case, resident_text: str, *, now: datetime) -> dict[str, object]:
    """The parameters of an approval notice: the programme (layer), package and monthly amount,
    the month it is paid from, the payment day and method, the changes to report and within how
    many days, the next review, and the appeal route and date."""
    rules = _rules(pack)
    on = now.date()
    proposal = case.decision or {}
    layer = proposal.get("layer") or case.layer
    amount = str(Decimal(str(proposal.get("amount", "0"))).quantize(Decimal("0.01")))
    starts = benefit_start(rules, case.submitted_at, now)
    review = None
    try:
        parameter = rules.review_parameters.get(Layer(layer)) if layer else None
    except ValueError:
        parameter = None
    if parameter is not None:
        review = _add_months(starts, int(pack.parameter(parameter, on).value)).isoformat()
    return {
        "layer": layer,
        "package": list(proposal.get("package", [])),
        "amount": amount,
        "starts": starts.isoformat(),
        "payment_day": int(pack.parameter("payment_day", on).value),
        "payment_method": dict(rules.payment_method),
        "report_days": int(pack.parameter("report_change_days", on).value),
        "next_review": review,
        "message": _text(resident_text),
        **_appeal(pack, rules, on),
    }

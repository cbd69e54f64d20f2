"""Amount answers as residents give them: exact ones recorded at once, the others confirmed first.

"800", 八百, "800元/月" on a monthly question are recorded as typed, in one step. An amount said
approximately (八百块左右, "about 800") or as a range (800到1000, recorded as its middle), or
said over another period than the question asks (每年一万二 for a monthly income, recorded as
1,000 a month), is proposed for one-tap confirmation ("按 800 元记录？").
"""

from __future__ import annotations

from decimal import Decimal

from flows.confirmation import Tentative
from flows.parsing import ParseError, Period, read_amount

__all__ = ["CONFIRM_AMOUNT", "Period", "amount_answer"]

CONFIRM_AMOUNT = "confirm.amount"


def amount_answer(text: str, *, maximum: Decimal, period: Period | None = None) -> str | Tentative:
    """The amount to store (yuan as a string, "800.00"), or a ``Tentative`` one to confirm first.

    Args:
        text: what the resident typed.
        maximum: the largest amount taken (``amount.too_large`` above it).
        period: what the question counts the amount over (per month, per year), when it says;
            an amount said over the other period is converted, and confirmed.
    """
    reading = read_amount(text, maximum=maximum)
    recorded = reading.per(period)
    if recorded > maximum:  # twelve months of an amount within the maximum may not be
        raise ParseError("amount.too_large", {"max": maximum})
    converted = period is not None and reading.period is not None and reading.period is not period
    if not reading.approximate and not converted:
        return str(recorded)
    return Tentative(
        str(recorded),
        CONFIRM_AMOUNT,
        {
            "value": str(recorded),
            "said": str(reading.value),
            "low": None if reading.low is None else str(reading.low),
            "high": None if reading.high is None else str(reading.high),
            # Periods only when the figure was converted: "每年 12,000 元，按每月 1,000 元记录？"
            "said_period": reading.period.value if converted and reading.period else None,
            "period": period.value if converted and period else None,
        },
    )

"""The departments that send data and the kinds of row each sends (``docs/feeds.md``).

One list for the file import, the HTTP push, the command line, the demo city and the rules
that read the events, so that a new kind of row is added in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum


class Needs(Enum):
    """What a kind of row carries besides the person and the date."""

    NOTHING = "nothing"
    AMOUNT = "amount"  # CNY, above zero
    AMOUNT_OR_ZERO = "amount_or_zero"  # CNY, zero allowed (a monthly income may fall to nothing)
    GRADE = "grade"  # disability grade, 1 (most severe) to 4


# Kinds of row, by the department that reports them.
DEATH, REGISTRATION_CHANGE = "death", "registration_change"
OUT_OF_POCKET = "out_of_pocket"
DISABILITY_ASSESSED = "disability_assessed"
UNEMPLOYED, EMPLOYED = "unemployed", "employed"
ENROLLED, LEFT_SCHOOL = "enrolled", "left_school"
DISASTER_LOSS = "disaster_loss"
# income_change: the amount is the person's new monthly income.
ASSISTANCE_EXIT, INCOME_CHANGE = "assistance_exit", "income_change"

# Every source (DOMAIN.md, "Monitoring") and the kinds of row it sends.
SOURCES: Mapping[str, Mapping[str, Needs]] = {
    "public_security": {DEATH: Needs.NOTHING, REGISTRATION_CHANGE: Needs.NOTHING},
    "medical": {OUT_OF_POCKET: Needs.AMOUNT},
    "disability": {DISABILITY_ASSESSED: Needs.GRADE},
    "hr": {UNEMPLOYED: Needs.NOTHING, EMPLOYED: Needs.NOTHING},
    "education": {ENROLLED: Needs.NOTHING, LEFT_SCHOOL: Needs.NOTHING},
    "emergency": {DISASTER_LOSS: Needs.AMOUNT},
    "civil_affairs": {ASSISTANCE_EXIT: Needs.NOTHING, INCOME_CHANGE: Needs.AMOUNT_OR_ZERO},
}

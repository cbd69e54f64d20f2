"""The bounds of what a client may send: amounts a household can have, times that can be true, clean text.

Every model that takes input from outside (the application contract, the API's bodies and
queries) builds its fields from these types, so that a value no household, clock or database
can hold is refused, named, at the edge instead of failing later in a query or a page.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, ValidationError, ValidationInfo
from pydantic_core import ErrorDetails

# A household's income or savings in CNY stays far below this; the cases' amounts are NUMERIC(12, 2)
# (ten digits before the point), so anything at or beyond it could not be stored or summed anyway.
MONEY_LIMIT = 10**12

# Finer than the fen, since a household's parts are summed before the policy rounds (0.005 matters), but
# bounded: an exponent such as 1E-100000 would otherwise carry its digits into every sum.
MONEY_PLACES = 8

Money = Annotated[Decimal, Field(ge=0, lt=MONEY_LIMIT, decimal_places=MONEY_PLACES, allow_inf_nan=False)]

# A count or a grade: JSON true and false are not numbers (pydantic's lax mode would read them as 1 and 0).
Count = Annotated[int, Field(strict=True)]

# The database's integer columns: ids are INTEGER (32 bits) on both databases.
INTEGER_MAX = 2**31 - 1

def integer(text: str | None, *, low: int = 0, high: int = INTEGER_MAX) -> int | None:
    """``text`` as an integer when it is plain ASCII digits within ``low``..``high`` (a path's or a
    query's id, page or level), else None; never an int too large for the database's columns."""
    if not text or not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    value = int(text)
    return value if low <= value <= high else None


# Before this no application, visit or task of the programme existed (its oldest rules, the urban
# minimum living guarantee regulations, date from late 1999; Yimen itself is decades younger), so a
# time before it is a client's mistake. It also keeps values well clear of datetime's year 1.
TIME_FLOOR = datetime(2000, 1, 1, tzinfo=UTC)
# Appointments and tasks lie at most some months ahead; far below year 9999, where a shift into the
# region's time zone overflows.
TIME_CEILING = datetime(2100, 1, 1, tzinfo=UTC)
# How far ahead of the server a client's clock may run when it stamps a time that has passed.
CLOCK_SKEW = timedelta(minutes=5)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters (NUL, newline, escape ...) are not allowed")
    return value


def _no_control_but_lines(value: str) -> str:
    if _CONTROL_BUT_LINES.search(value):
        raise ValueError("control characters other than newline and tab are not allowed")
    return value


# One line of text: a name, a place, a reference.
Line = Annotated[str, AfterValidator(_no_control), Field(json_schema_extra={"pattern": r"^[^\x00-\x1f\x7f-\x9f]*$"})]
# Free text over several lines: an account of the hardship, a note.
Paragraph = Annotated[
    str, AfterValidator(_no_control_but_lines),
    Field(json_schema_extra={"pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"}),
]


def _in_range(value: datetime) -> datetime:
    if not TIME_FLOOR <= value < TIME_CEILING:
        raise ValueError(f"must be between {TIME_FLOOR:%Y-%m-%d} and {TIME_CEILING:%Y-%m-%d}")
    return value


# A time a client names for something to happen (a visit, a task): with a time zone, within the range.
Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]


def _day_in_range(value: date) -> date:
    if not TIME_FLOOR.date() <= value < TIME_CEILING.date():
        raise ValueError(f"must be between {TIME_FLOOR:%Y-%m-%d} and {TIME_CEILING:%Y-%m-%d}")
    return value


# A day a client names (whose policy parameters apply), within the same range.
Day = Annotated[date, AfterValidator(_day_in_range)]


def _passed(value: datetime, info: ValidationInfo) -> datetime:
    """A time that has passed, when validated with the server's clock as ``context={"now": ...}``.

    Without a clock (a stored application read back) nothing is checked: what was accepted stays readable.
    """
    now = _now_of(info.context)
    if now is None:
        return value
    if value.tzinfo is None:
        raise ValueError("a time zone is required (e.g. +08:00 or Z)")
    if value < TIME_FLOOR:
        raise ValueError(f"must not be before {TIME_FLOOR:%Y-%m-%d}")
    if value > now + CLOCK_SKEW:
        raise ValueError("must not be in the future")
    return value


def _now_of(context: object) -> datetime | None:
    return context.get("now") if isinstance(context, dict) else None


# When something happened, stamped by the client (submitted, consent given): not in the future.
Stamp = Annotated[datetime, AfterValidator(_passed)]


def reported(error: ValidationError) -> list[ErrorDetails]:
    """The errors worth telling the sender: a list found too short only because its items failed is not one."""
    found = error.errors(include_input=False, include_url=False)
    failed_inside = {e["loc"][:n] for e in found if e["type"] != "too_short" for n in range(len(e["loc"]))}
    return [e for e in found if not (e["type"] == "too_short" and e["loc"] in failed_inside)]


def clock_context(now: datetime) -> dict[str, datetime]:
    """The validation context that checks ``Stamp`` fields against the server's clock."""
    return {"now": now}

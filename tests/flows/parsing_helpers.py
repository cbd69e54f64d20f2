"""What the parsing tests share: a fixed day, valid ID numbers, full-width text, the error a call raises."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from stdnum.cn import ric

from flows.parsing import ParseError

TODAY = date(2025, 6, 1)  # fixed so the tests do not depend on the clock
MAX_AMOUNT = Decimal(1_000_000)
MAX_COUNT = 20

# Region codes that stdnum's table lists for every year since 1920 (asserted below), so
# generated numbers are real-looking whatever birth year hypothesis picks.
REGIONS = ["110101", "110102", "110105", "310101", "310104"]


def make_id(region: str, birth: date, sequence: int) -> str:
    """A valid 18-character ID number, check digit from stdnum."""
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # the function ignores the last char


def to_full_width(text: str) -> str:
    """ASCII digits and letters as their full-width forms (what Chinese phone keyboards send)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def error_of(call: Callable[[], Any]) -> ParseError:
    """The ParseError a call raises."""
    with pytest.raises(ParseError) as info:
        call()
    return info.value


VALID_ID = make_id("110101", date(1990, 3, 7), 123)  # 110101199003071233
ID_WITH_X = next(
    n for s in range(1000) if (n := make_id("110101", date(1985, 1, 1), s)).endswith("X")
)

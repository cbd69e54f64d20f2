"""Amounts of money as residents and staff write them, the one amount parser of the project.

``parse_amount`` reads one exact amount (两千二, 3千5, 2,200, ¥2200元): the console's forms use
it. ``read_amount`` reads an amount as people say it in the chat (八百块左右, "about 800 yuan",
800到1000, 800元/月), saying when it is approximate. Bad input raises ``ParseError`` with a
machine code ("amount.invalid", "amount.too_large" ...); callers map codes to messages.
"""

from __future__ import annotations

from amounts.exact import (
    MAX_RAW_NUMBER,
    NUMERALS,
    UNITS,
    ZERO_WORDS,
    ParseError,
    normalize,
    number,
    parse_amount,
    too_long,
)
from amounts.spoken import Period, Reading, read_amount

__all__ = ["MAX_RAW_NUMBER", "NUMERALS", "UNITS", "ZERO_WORDS", "ParseError", "Period", "Reading", "normalize",
           "number", "parse_amount", "read_amount", "too_long"]

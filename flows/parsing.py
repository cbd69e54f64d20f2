"""Turn what a resident types (Chinese or English, on a phone) into values, or a ParseError.

Error style: every parser returns a value or *raises* ``ParseError`` (a ``ValueError``)
carrying a machine ``code`` and ``params``; no user-facing text lives here, the engine
maps codes to message keys. Nothing here does I/O or depends on the clock: callers pass
``today`` where a date matters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

# The amount parser and ParseError live below flows, where the console's forms read amounts too.
# ``read_amount`` reads amounts as people say them (about, ranges, per month): see flows.amount_answers.
from amounts import (
    MAX_RAW_NUMBER,
    ZERO_WORDS,
    ParseError,
    Period,
    Reading,
    normalize,
    number,
    parse_amount,
    read_amount,
    too_long,
)
from amounts import NUMERALS as NUMERALS
from amounts import UNITS as UNITS
from flows.private import Private
from id_numbers import BadIdNumber, as_read, check_id_number, grouped

__all__ = [
    "IdNumber",
    "ParseError",
    "Period",
    "Reading",
    "age_on",
    "check_age_matches",
    "normalize",
    "parse_age",
    "parse_amount",
    "parse_count",
    "parse_free_text",
    "parse_id_number",
    "parse_mobile",
    "read_amount",
]

MAX_AGE = 120

# Longer than any spacing of an ID or phone number a person could plausibly type.
_MAX_RAW_CODE = 64

_COUNT_RE = re.compile(r"(?P<body>.+?)\s?(?:个人|口人|人|个|口|名|位|辆|套)?")
# 虚岁 (nominal age, one or two above completed years) is deliberately not accepted.
_AGE_RE = re.compile(r"(?P<body>.+?)\s?(?:周岁|岁|years old|years|yrs)?")

# Separators people put in phone numbers; NFKC has already folded full-width forms.
_MOBILE_SEPARATORS_RE = re.compile(r"[\s\-‐‑‒–—()]")
_MOBILE_RE = re.compile(r"(?:\+86|0086|86)?(1[0-9]{10})")
# The ID number's refusals as the question's message codes: a birth in the future or too
# long ago is a wrong birth date to the resident.
_ID_ERRORS = {"future": "id.birth_date", "too_old": "id.birth_date"}
# Longer than this, what was typed is no attempt at an ID number: it is not shown back.
_MAX_SHOWN_ID = 24


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A valid 18-character resident ID number and the birth date it encodes."""

    number: str = field(repr=False)  # kept out of repr so it does not leak into logs
    birth_date: date

    def age_on(self, day: date) -> int:
        """Completed years on ``day``."""
        return age_on(self.birth_date, day)


def _integer(text: str, pattern: re.Pattern[str], *, zero_words: bool) -> int | None:
    """A non-negative integer after stripping the pattern's suffix, or None."""
    s = normalize(text[: MAX_RAW_NUMBER + 1]).casefold()
    if too_long(text, s) or not s:
        return None
    if zero_words and s in ZERO_WORDS:
        return 0
    m = pattern.fullmatch(s)
    if m is None:
        return None
    body = m["body"]
    if body.isascii() and body.isdigit():  # the common case, without regex or cn2an
        return int(body)
    value = number(body)
    # "3.5" people is not a count; "3.0" and "1.5万" are whole numbers and fine.
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


def parse_count(text: str, *, maximum: int) -> int:
    """A non-negative whole number (members, vehicles, homes) up to ``maximum``."""
    return _at_most(_integer(text, _COUNT_RE, zero_words=True), maximum, "count")


def parse_age(text: str) -> int:
    """An age in completed years, 0..120."""
    return _at_most(_integer(text, _AGE_RE, zero_words=False), MAX_AGE, "age")


def _at_most(value: int | None, maximum: int, field: str) -> int:
    """``value`` read for ``field``, refused when it was no number or is above ``maximum``."""
    if value is None:
        raise ParseError(f"{field}.invalid")
    if value > maximum:
        raise ParseError(f"{field}.too_large", {"max": maximum})
    return value


def parse_id_number(text: str, *, today: date) -> IdNumber:
    """A GB 11643 resident ID number (18 characters) whose birth date is plausible on ``today``.

    Judged by :func:`id_numbers.check_id_number`, as the application contract and the
    imports judge it. An error shows the resident what they typed, to check against the card,
    and where it fails when that can be known; the number is only ever a ``Private`` parameter
    (masked wherever the message is stored or logged).
    """
    try:
        number, birth = check_id_number(text, today=today)
    except BadIdNumber as error:
        raise ParseError(_ID_ERRORS.get(error.code, f"id.{error.code}"), _id_shown(text, error.code)) from None
    return IdNumber(number=number, birth_date=birth)


def _id_shown(text: str, code: str) -> dict[str, object]:
    """What an ID error shows: the characters typed, grouped (``typed``), how many (``count``), and
    what fails: the birth-date digits (``birth``), or the first character that cannot be in an ID
    number (``position``, ``char``). The check digit says only that some character is wrong."""
    if len(text) > _MAX_RAW_CODE:
        return {}
    typed = as_read(text)
    if not typed or len(typed) > _MAX_SHOWN_ID:
        return {}
    shown: dict[str, object] = {"typed": Private(grouped(typed), grouped(_masked(typed))), "count": len(typed)}
    if code in ("birth_date", "future", "too_old"):
        shown["birth"] = Private(typed[6:14], "*" * len(typed[6:14]))
    elif code == "invalid":
        for i, ch in enumerate(typed):
            if not ("0" <= ch <= "9" or (ch == "X" and i == 17)):
                shown["position"], shown["char"] = i + 1, ch
                break
    return shown


def _masked(typed: str) -> str:
    """As ID numbers are shown everywhere else: the first three and the last four characters."""
    return typed[:3] + "*" * max(0, len(typed) - 7) + typed[-4:] if len(typed) > 7 else "*" * len(typed)


def check_age_matches(id: IdNumber, age: int, today: date) -> None:  # noqa: A002 - API name
    """Raise ``id.age_mismatch`` unless ``age`` is the ID holder's completed years on ``today``."""
    age_from_id = id.age_on(today)
    if age_from_id != age:
        raise ParseError("id.age_mismatch", {"age_from_id": age_from_id})


def parse_mobile(text: str) -> str:
    """A mainland mobile number: 11 digits starting with 1, without any +86/0086 prefix."""
    if len(text) > _MAX_RAW_CODE:
        raise ParseError("mobile.invalid")
    digits = _MOBILE_SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", text))
    m = _MOBILE_RE.fullmatch(digits)
    if m is None:
        raise ParseError("mobile.invalid")
    return m[1]


def parse_free_text(text: str, *, max_length: int = 4096) -> str:
    """The stripped text, not empty and at most ``max_length`` characters."""
    # No NFKC here: it would rewrite the resident's own words (full-width punctuation is
    # correct in Chinese prose); only the surrounding whitespace goes.
    stripped = text.strip()
    if not stripped:
        raise ParseError("text.empty")
    if len(stripped) > max_length:
        raise ParseError("text.too_long", {"max": max_length})
    return stripped


def parse_name(text: str, *, max_length: int = 60) -> str:
    """A person's name as they write it: free text with no digits (a digit means a wrong answer)."""
    name = parse_free_text(text, max_length=max_length)
    if any(ch.isdigit() for ch in name):
        raise ParseError("name.invalid")
    return name


def age_on(birth: date, day: date) -> int:
    """Completed years from ``birth`` to ``day`` (a 29 February birthday counts from 1 March)."""
    if day < birth:
        raise ValueError("day is before birth")
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))

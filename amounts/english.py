"""Numbers written in English words ("eight hundred", "twelve hundred and fifty point five").

text2num reads the whole-number words; the glue here adds what it leaves out: a leading "a"
("a thousand"), decimals spoken digit by digit after "point", and a digit figure with a scale
word ("1.2 million", "2 thousand"). No I/O.
"""

from __future__ import annotations

import re
from decimal import Decimal

from text_to_num import text2num

__all__ = ["english_number"]

_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "nought": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_FIGURE_WITH_SCALE_RE = re.compile(rf"([0-9]+(?:\.[0-9]+)?) ({'|'.join(_SCALES)})")
# Letters, hyphens ("twenty-one") and spaces only: anything else is not a number in words.
_WORDS_RE = re.compile(r"[a-z]+(?:[ -][a-z]+)*")


def english_number(text: str) -> Decimal | None:
    """The value of a non-negative number in English words, or None when ``text`` is not one.

    ``text`` is normalised (NFKC, case-folded, single spaces) by the caller.
    """
    if (m := _FIGURE_WITH_SCALE_RE.fullmatch(text)) is not None:
        return Decimal(m[1]) * _SCALES[m[2]]
    if _WORDS_RE.fullmatch(text) is None:
        return None
    whole, point, fraction = text.partition(" point ")
    if whole.startswith("a "):  # "a thousand", "a hundred and fifty"
        whole = "one " + whole[2:]
    value = _whole(whole)
    if value is None:
        return None
    if not point:
        return value
    digits = [_DIGIT_WORDS.get(word) for word in fraction.split(" ")]
    if not digits or None in digits:
        return None
    return value + Decimal("0." + "".join(d for d in digits if d is not None))


def _whole(words: str) -> Decimal | None:
    if words.split(" ", 1)[0] in ("zero", "nought", "oh") and " " in words:
        return None  # text2num reads "zero one" as 1: digits said one by one are no amount
    try:
        value = text2num(words, "en")
    except ValueError:  # text2num's answer to anything that is not a number
        return None
    return Decimal(value) if value >= 0 else None

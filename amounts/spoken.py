"""Amounts as residents say them: 八百块左右, "about 800 yuan", 800到1000, 800元/月, 每年一万二.

``read_amount`` takes off the words around the numbers (about, 左右, per month, currency), splits
a range, and reads each number exactly: digits, separators and Chinese numerals with
``amounts.exact``, English words with ``amounts.english``. The ``Reading`` it returns says how
sure it is: a hedged amount or a range is ``approximate``, and is to be confirmed by the resident
before it is recorded; a period said ("a month", 每年) is kept so the caller can convert it.
No I/O, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from amounts.english import english_number
from amounts.exact import ZERO_WORDS, ParseError, cents, normalize, number, signed_amount, within

__all__ = ["MAX_SPOKEN", "Period", "Reading", "read_amount"]

# Longer than any amount said in words ("ninety-nine million nine hundred and ninety-nine thousand
# ... point nine nine yuan a month"); the cap bounds the work done per turn on pasted text.
MAX_SPOKEN = 200
# A Chinese or Arabic numeral longer than this is no amount; it bounds cn2an's work per number.
_MAX_NUMERAL = 64
# Range splits tried per answer ("1-2-3-..." is no range, and must not cost a parse per dash).
_MAX_SPLITS = 8


class Period(StrEnum):
    """What an amount is counted over, when the resident says so."""

    MONTH = "month"
    YEAR = "year"


_PER_YEAR = {Period.MONTH: 12, Period.YEAR: 1}


@dataclass(frozen=True, slots=True)
class Reading:
    """An amount as it was said, in yuan to the cent.

    Attributes:
        value: the amount to record: the number said, or the middle of a range.
        approximate: the words said it is not exact ("about", 左右) or gave a range; the
            resident confirms ``value`` before it is recorded.
        low, high: the ends of a range (``None`` for a single amount).
        period: the period the resident named ("a month", 每年), if any.
    """

    value: Decimal
    approximate: bool = False
    low: Decimal | None = None
    high: Decimal | None = None
    period: Period | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def per(self, period: Period | None) -> Decimal:
        """``value`` counted over ``period`` (a yearly figure asked per month is divided by 12)."""
        if period is None or self.period is None or period is self.period:
            return self.value
        return cents(self.value * _PER_YEAR[self.period] / _PER_YEAR[period])


# The words around a number, by what they tell: (said before the number, said after it).
_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "hedge": (
        ("大概是", "大概", "大约是", "大约", "大致", "约为", "约莫", "约", "差不多是", "差不多", "估计", "将近", "接近",
         "about", "around", "roughly", "approximately", "approx.", "approx", "almost", "nearly", "circa", "~", "≈",
         "〜"),
        ("左右", "上下", "出头", "的样子", "多一点", "多", "来", "吧", "or so", "give or take", "-ish", "ish"),
    ),
    "month": (
        ("平均每个月", "平均每月", "每个月", "每月", "一个月", "月均", "月薪", "月收入", "月入", "per month",
         "monthly"),
        ("/月", "每个月", "每月", "一个月", "/month", "/mo", "a month", "per month", "each month", "every month",
         "monthly"),
    ),
    "year": (
        ("平均每年", "每年", "一年", "全年", "年均", "年薪", "年收入", "年入", "per year",
         "yearly", "annually"),
        ("/年", "每年", "一年", "/year", "/yr", "a year", "per year", "each year", "every year", "yearly", "annually",
         "per annum"),
    ),
    "currency": (("¥", "rmb", "cny", "人民币"), ("元整", "块钱", "元", "块", "圆", "rmb", "cny", "yuan", "kuai")),
    # "between 800 and 1000", 800到1000之间: a range, which the separator already says.
    "between": (("between", "介于", "在"), ("之间",)),
}
_PERIOD_KINDS = {"month": Period.MONTH, "year": Period.YEAR}


def _alternatives(words: tuple[str, ...], *, before: bool) -> str:
    """A regex of ``words``, longest first; an English word must stand alone ("about8" is fine,
    "abouts" is not)."""
    parts = []
    for word in sorted(words, key=len, reverse=True):
        pattern = re.escape(word)
        if before and word[-1].isascii() and word[-1].isalpha():
            pattern += "(?![a-z])"
        if not before and word[0].isascii() and word[0].isalpha():
            pattern = "(?<![a-z])" + pattern
        parts.append(pattern)
    return "|".join(parts)


_BEFORE = {kind: re.compile(rf"(?:{_alternatives(b, before=True)})\s?") for kind, (b, _) in _WORDS.items()}
_AFTER = {kind: re.compile(rf"\s?(?:{_alternatives(a, before=False)})$") for kind, (_, a) in _WORDS.items()}

# A hyphen between two letters joins a number's words ("twenty-one"), it separates no range.
_SEPARATOR = r"到|至|~|〜|(?<![a-z])-|-(?![a-z])|–|—|(?<![a-z])to(?![a-z])"
_SEPARATOR_RE = re.compile(rf"\s?(?:{_SEPARATOR})\s?")
# After "between", "and" separates too (elsewhere it is inside a number: "one hundred and five").
_BETWEEN_RE = re.compile(rf"\s?(?:{_SEPARATOR}|(?<![a-z])and(?![a-z]))\s?")
# 七八百, 两三千, 一两万: two neighbouring digits before a unit are a range in speech.
_NEIGHBOURS_RE = re.compile(r"([一二两三四五六七八九])([二三四五六七八九])([十百千万])")
_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000, "万": 10000}
# "1-2万", 三到五千: the unit said once, after the range, counts for both ends.
_SHARED_UNIT_RE = re.compile(r"(?:万|千|百|k|w|(?<![a-z])thousand|(?<![a-z])million)$")
_SHARED_UNITS = {"万": 10000, "w": 10000, "千": 1000, "k": 1000, "thousand": 1000, "百": 100, "million": 1_000_000}
_BARE_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?|[一二两三四五六七八九]")


def read_amount(text: str, *, maximum: Decimal) -> Reading:
    """An amount of yuan as a resident says it, up to ``maximum``, or a ``ParseError``.

    Raises ``amount.invalid`` (no amount, or two different periods), ``amount.negative`` and
    ``amount.too_large`` (params: ``max``) as ``amounts.exact.parse_amount`` does.
    """
    s = normalize(text[: MAX_SPOKEN + 1]).casefold()
    if len(text) > MAX_SPOKEN or not s:
        raise ParseError("amount.invalid")
    if s in ZERO_WORDS:
        return Reading(Decimal("0.00"))
    body, kinds = _peel(s)
    periods = {_PERIOD_KINDS[kind] for kind in kinds if kind in _PERIOD_KINDS}
    if len(periods) > 1:
        raise ParseError("amount.invalid")
    period = next(iter(periods), None)
    hedged = "hedge" in kinds
    if "between" not in kinds:
        # One amount, if it reads as one: a range is tried only after that, so the words of one
        # number are never split into two ("... forty-five thousand ...").
        try:
            return Reading(within(_one(body), maximum), approximate=hedged, period=period)
        except ParseError as error:
            if error.code != "amount.invalid":
                raise
    ends = _range(body, between="between" in kinds)
    if ends is None:
        raise ParseError("amount.invalid")
    low, high = sorted(ends)
    low, high = within(low, maximum), within(high, maximum)
    return Reading(cents((low + high) / 2), approximate=True, low=low, high=high, period=period)


def _peel(s: str) -> tuple[str, list[str]]:
    """``s`` without the words around its numbers, and what those words were (their kinds)."""
    kinds: list[str] = []
    changed = True
    while changed:
        changed = False
        for kind, pattern in _BEFORE.items():
            m = pattern.match(s)
            if m is not None and m.end() < len(s):
                kinds.append(kind)
                s, changed = s[m.end() :], True
        for kind, pattern in _AFTER.items():
            m = pattern.search(s)
            if m is not None and m.start() > 0:
                kinds.append(kind)
                s, changed = s[: m.start()], True
    return s, kinds


def _one(body: str) -> Decimal:
    """One amount (currency and sign allowed), or the ``ParseError`` that says why not."""
    return signed_amount(body, _number)


def _number(body: str) -> Decimal | None:
    """A numeral in digits or Chinese (``amounts.exact.number``), or a number in English words."""
    value = number(body) if len(body) <= _MAX_NUMERAL else None
    return value if value is not None else english_number(body)


def _range(body: str, *, between: bool) -> tuple[Decimal, Decimal] | None:
    """The two ends of a range ("800到1000", "800 to 1000", 七八百), or None when it is not one."""
    if (m := _NEIGHBOURS_RE.fullmatch(body)) is not None and _DIGIT[m[1]] < _DIGIT[m[2]]:
        size = _UNIT[m[3]]
        return Decimal(_DIGIT[m[1]] * size), Decimal(_DIGIT[m[2]] * size)
    separator = _BETWEEN_RE if between else _SEPARATOR_RE
    for split in list(separator.finditer(body))[:_MAX_SPLITS]:
        low_text, high_text = body[: split.start()], body[split.end() :]
        if not low_text or not high_text:
            continue
        try:
            low, high = _one(low_text), _one(high_text)
        except ParseError:
            continue  # "twenty-one to thirty": not the dash, the "to"
        shared = _SHARED_UNIT_RE.search(high_text)
        if shared is not None and _BARE_RE.fullmatch(low_text) and low * _SHARED_UNITS[shared[0]] <= high:
            low *= _SHARED_UNITS[shared[0]]
        return low, high
    return None

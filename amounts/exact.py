"""Exact amounts (两千二, 3千5, 2,200, ¥2200元): one number, read to the cent or refused.

The console's forms read amounts with ``parse_amount``; ``amounts.spoken`` builds the chat's
reading of amounts as people say them (about, ranges, per month) on ``number`` here. Bad input
raises ``ParseError`` with a machine code ("amount.invalid", "amount.too_large" ...); callers map
codes to messages. No I/O, no clock.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache
from typing import Any

import cn2an
from babel.numbers import NumberFormatError, parse_decimal

__all__ = ["MAX_RAW_NUMBER", "NUMERALS", "UNITS", "ZERO_WORDS", "ParseError", "cents", "normalize", "number",
           "parse_amount", "signed_amount", "too_long", "within"]

# Nothing a resident types as a number is this long; the cap bounds the work done per
# turn (NFKC, cn2an's regexes) on pasted junk before we give up.
MAX_RAW_NUMBER = 128
_MAX_NUMBER = 64


_CENT = Decimal("0.01")
# Wide enough that no input within _MAX_NUMBER (times 亿) is ever rounded before we
# compare it with the maximum; the default context (28 digits) would round silently.
_CTX = Context(prec=100, rounding=ROUND_HALF_UP)

# The numeral characters and their values, in cn2an's order (the first of each value is the
# simplified spelling an2cn writes); a test checks each against cn2an.cn2an().
NUMERALS: dict[str, int] = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "幺": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
    "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10000, "亿": 100000000}

# Units after an Arabic number: the same table (十百千万亿 and the formal 拾佰仟)
# plus the Latin shorthands people type on phones ("3k"; "w" is common chat shorthand for 万).
_UNITS: dict[str, int] = {**UNITS, "k": 1000, "w": 10000}
_UNIT_CLASS = "".join(sorted(_UNITS))

# Plain Arabic number with an optional single unit: handled exactly with Decimal, both
# because it is the common case (no cn2an call) and because cn2an truncates "1.23456万" to int.
_PLAIN_RE = re.compile(rf"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s?([{_UNIT_CLASS}])?")
# Thousands separators only where they group digits correctly, so "3,00" (a typo or a
# European decimal comma) is rejected rather than silently read as 300.
_GROUPED_RE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
# cn2an warns (and truncates) beyond 16 decimals; no amount or count needs more than a few.
_LONG_DECIMAL_RE = re.compile(r"[点.][0-9零〇一二三四五六七八九]{11,}")

def _first_spelling(table: dict[str, int]) -> dict[str, str]:
    """Each numeral character mapped to the first (simplified) character of the same value."""
    first: dict[int, str] = {}
    for char, value in table.items():
        first.setdefault(value, char)
    return {char: first[value] for char, value in table.items()}


# cn2an "smart" also reads malformed or ambiguous strings: "两三" (two or three) as 23,
# "三四千五" (3-4 thousand) as 7500, "千7万9" as 10079000. So a Chinese reading is kept
# only if the input spells the value as cn2an.an2cn() does, allowing the colloquial
# dropped trailing unit ("三千五" for 三千五百). This maps input variants to that spelling.
_CANONICAL = str.maketrans(
    {
        **_first_spelling(NUMERALS),  # 两/壹/幺 → 二/一, 〇 → 零
        **_first_spelling(UNITS),  # 拾/佰/仟 → 十/百/千
        "兩": "二",  # traditional forms cn2an converts itself
        "萬": "万",
        "億": "亿",
        "廿": "二十",
    }
)
_UNIT_CHARS = "".join(UNITS)
_ARABIC_RUN_RE = re.compile(r"[0-9]+")
# A Chinese digit touching an Arabic one ("六10", "五8万") is a typo, though an2cn's
# spelling of the Arabic part could make it look like a well-formed numeral.
_MIXED_DIGITS_RE = re.compile(r"[零一二三四五六七八九][0-9]|[0-9][零一二三四五六七八九]")
# "一十二" (formal) and "十二" are the same number; an2cn writes "十二" but "一百一十".
_LEADING_ONE_TEN_RE = re.compile(r"(?<![一二三四五六七八九])一十")
# Signs are taken off by the callers; inside a Chinese numeral they are malformed, and
# plain decimals never reach cn2an ("1.5万5" is not a number).
_NOT_IN_NUMERAL_RE = re.compile(r"[-负.]")

_MINUS = "-−负"  # NFKC already maps full-width and small hyphen-minus to "-"
_AMOUNT_RE = re.compile(
    rf"(?P<neg1>[{_MINUS}])?\s?"
    r"(?:¥|rmb|cny|人民币)?\s?"  # NFKC maps the full-width ￥ to ¥
    rf"(?P<neg2>[{_MINUS}])?\s?"
    r"(?P<body>.+?)\s?"
    r"(?:元整|块钱|元|块|圆|rmb|cny|yuan)?"
)

# Answers meaning "nothing": amounts and counts (no income, no vehicle) are then 0.
ZERO_WORDS = frozenset({"无", "没有", "没", "none", "no", "nothing", "nil", "zero"})


class ParseError(ValueError):
    """Bad input: a machine ``code`` (e.g. "amount.too_large") and ``params`` for the message."""

    # Not the @dataclass(frozen=True, slots=True) first sketched: on 3.11 such an exception
    # breaks add_note() (used by hypothesis and pytest) and @contextmanager's re-raise, and
    # a dict field makes it unhashable. Instead the state lives in ``args`` (so it pickles)
    # behind read-only properties, with value equality.
    __slots__ = ()

    def __init__(self, code: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(code, dict(params) if params else {})

    @property
    def code(self) -> str:
        """The machine code, "<field>.<problem>"."""
        code: str = self.args[0]
        return code

    @property
    def params(self) -> dict[str, Any]:
        """Parameters for the message (never the input itself); treat as read-only."""
        params: dict[str, Any] = self.args[1]
        return params

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParseError):
            return NotImplemented
        return self.args == other.args

    def __hash__(self) -> int:
        return hash(self.args[0])

    def __repr__(self) -> str:
        return f"ParseError({self.code!r}, {self.params!r})"

    def __str__(self) -> str:
        return self.code


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), strip, and collapse inner whitespace to one space."""
    # str.split() with no argument splits on all Unicode whitespace, incl. the ideographic space.
    return " ".join(unicodedata.normalize("NFKC", text).split())


def number(body: str) -> Decimal | None:
    """The value of an Arabic, Chinese or mixed numeral, or None when it is not one."""
    if (m := _PLAIN_RE.fullmatch(body)) is not None:
        value = Decimal(m[1])
        unit = m[2]
        return _CTX.multiply(value, _UNITS[unit]) if unit else value
    if "," in body:
        return _grouped(body)
    return _chinese_number(body)


def _grouped(body: str) -> Decimal | None:
    """A number with thousands separators ("1,200.50"), read in Babel's strict English format."""
    # The regex admits only ASCII digits without a sign (the callers take signs off); Babel, in
    # strict mode, refuses a separator out of place. A trailing point ("1,200.") is a full stop.
    if _GROUPED_RE.fullmatch(body) is None:
        return None
    try:
        return parse_decimal(body.removesuffix("."), locale="en", strict=True)
    except NumberFormatError:
        return None


# cn2an and the spelling check cost ~50-100 µs; answers repeat ("三千", "两个"), and the
# function is pure, so a bounded cache keeps the Chinese path cheap on busy turns.
@lru_cache(maxsize=4096)
def _chinese_number(body: str) -> Decimal | None:
    """The value of a Chinese or mixed numeral via cn2an, or None when it is not one."""
    if _LONG_DECIMAL_RE.search(body) or _NOT_IN_NUMERAL_RE.search(body):
        return None
    try:
        # "smart" mode reads Chinese numerals and mixes ("3千5", "三千五" = 3500,
        # "一万二" = 12000, "两千"); strict/normal reject the colloquial forms.
        result = cn2an.cn2an(body, "smart")
        if not isinstance(result, (int, float)) or result < 0:
            return None
        # str() of a float is its shortest repr, so cn2an's 3.5 becomes exactly Decimal("3.5").
        value = Decimal(str(result))
        if not value.is_finite() or not _spelled_as(body, int(value)):
            return None
    except (ValueError, ArithmeticError, LookupError, TypeError):
        # cn2an signals bad input (and an2cn numbers past 16 digits) with ValueError; the
        # others guard its internals against odd input so callers only ever see ParseError.
        return None
    return value


def _spelled_as(body: str, integer: int) -> bool:
    """Whether ``body`` (before any 点) spells ``integer`` as an2cn does, bar trailing units."""
    written = body.partition("点")[0].translate(_CANONICAL)
    if not written or _MIXED_DIGITS_RE.search(written):
        return False
    written = _ARABIC_RUN_RE.sub(lambda m: cn2an.an2cn(int(m[0])), written)  # "3千5" → "三千五"
    written = _LEADING_ONE_TEN_RE.sub("十", written)
    canonical = _LEADING_ONE_TEN_RE.sub("十", cn2an.an2cn(integer))
    if not canonical.startswith(written):
        return False
    return not canonical[len(written) :].strip(_UNIT_CHARS)


def too_long(text: str, normalized: str) -> bool:
    """Whether a numeric answer is too long to be one (bounds the work per turn)."""
    return len(text) > MAX_RAW_NUMBER or len(normalized) > _MAX_NUMBER


def parse_amount(text: str, *, maximum: Decimal) -> Decimal:
    """A non-negative CNY amount up to ``maximum``, quantized to cents (half-up)."""
    s = normalize(text[: MAX_RAW_NUMBER + 1]).casefold()
    if too_long(text, s) or not s:
        raise ParseError("amount.invalid")
    if s in ZERO_WORDS:
        return Decimal("0.00")
    return within(signed_amount(s, number), maximum)


def signed_amount(s: str, read: Callable[[str], Decimal | None]) -> Decimal:
    """One amount with its currency and sign ("¥-5", "3000元"), its number read by ``read``.

    ``s`` is normalised and case-folded. A negative amount raises "amount.negative", anything
    else that is not one amount "amount.invalid".
    """
    m = _AMOUNT_RE.fullmatch(s)
    if m is None:
        raise ParseError("amount.invalid")
    value = read(m["body"])
    if value is None:
        raise ParseError("amount.invalid")
    # A sign may come before or after the ¥ ("-¥5", "¥-5"), but only once.
    if m["neg1"] is not None and m["neg2"] is not None:
        raise ParseError("amount.invalid")
    if (m["neg1"] is not None or m["neg2"] is not None) and value != 0:
        raise ParseError("amount.negative")
    return value


def cents(value: Decimal) -> Decimal:
    """``value`` rounded to the cent, half up."""
    return value.quantize(_CENT, rounding=ROUND_HALF_UP, context=_CTX)


def within(value: Decimal, maximum: Decimal) -> Decimal:
    """``value`` in cents, or "amount.too_large" when that is above ``maximum``."""
    value = cents(value)
    if value > maximum:
        raise ParseError("amount.too_large", {"max": maximum})
    return value

"""Amounts as residents say them (amounts.spoken.read_amount): the listed phrases, and properties.

Any amount written in digits, with separators, in Chinese numerals (as cn2an writes them) or in
English words reads back as itself; approximate wording always asks for confirmation; ranges
give their ends. The exact parser keeps its own tests in test_parsing.
"""

from __future__ import annotations

from decimal import Decimal

import cn2an
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from amounts import Period, Reading, read_amount
from amounts.english import english_number
from flows.parsing import ParseError
from tests.flows.parsing_helpers import error_of, to_full_width

MAX = Decimal(10**8)
MONTH, YEAR = Period.MONTH, Period.YEAR


def read(text: str) -> Reading:
    return read_amount(text, maximum=MAX)


# ---------------------------------------------------------------- the phrases people use


@pytest.mark.parametrize(
    ("text", "value", "approximate", "period"),
    [
        # Exact: recorded in one step.
        ("八百", "800", False, None),
        ("五千元", "5000", False, None),
        ("2万", "20000", False, None),
        ("5k", "5000", False, None),
        ("1.2万", "12000", False, None),
        ("两千五百", "2500", False, None),
        ("两千二", "2200", False, None),
        ("eight hundred", "800", False, None),
        ("Eight Hundred Yuan", "800", False, None),
        ("twelve hundred and fifty", "1250", False, None),
        ("a thousand", "1000", False, None),
        ("twelve point five", "12.5", False, None),
        ("1.2 million", "1200000", False, None),
        ("¥800", "800", False, None),
        ("800 rmb", "800", False, None),
        ("800块", "800", False, None),
        ("800圆", "800", False, None),
        ("800 yuan", "800", False, None),
        ("没有", "0", False, None),
        # Approximate: confirmed first.
        ("八百块左右", "800", True, None),
        ("大概一千二", "1200", True, None),
        ("大约3000元", "3000", True, None),
        ("差不多两千", "2000", True, None),
        ("约800", "800", True, None),
        ("八百多块", "800", True, None),
        ("about 800 yuan", "800", True, None),
        ("around 1,200", "1200", True, None),
        ("roughly eight hundred", "800", True, None),
        ("~800", "800", True, None),
        ("800 or so", "800", True, None),
        # Periods.
        ("800元/月", "800", False, MONTH),
        ("每月800", "800", False, MONTH),
        ("800 a month", "800", False, MONTH),
        ("800 yuan per month", "800", False, MONTH),
        ("一个月八百", "800", False, MONTH),
        ("每年一万二", "12000", False, YEAR),
        ("12,000 a year", "12000", False, YEAR),
        ("每个月大概八百块左右", "800", True, MONTH),
        ("about 800 yuan a month", "800", True, MONTH),
    ],
)
def test_phrases(text: str, value: str, approximate: bool, period: Period | None) -> None:
    reading = read(text)
    assert (reading.value, reading.approximate, reading.period) == (Decimal(value), approximate, period)
    assert not reading.is_range


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("800到1000", 800, 1000),
        ("800-1000", 800, 1000),
        ("800 to 1000", 800, 1000),
        ("800~1000", 800, 1000),
        ("800元到1000元", 800, 1000),
        ("八百到一千", 800, 1000),
        ("between 800 and 1000", 800, 1000),
        ("800到1000之间", 800, 1000),
        ("eight hundred to one thousand", 800, 1000),
        ("twenty-one to thirty-five", 21, 35),
        ("七八百", 700, 800),  # neighbouring digits are a range in speech
        ("两三千", 2000, 3000),
        ("1-2万", 10000, 20000),  # the unit said once counts for both ends
        ("三到五千", 3000, 5000),
        ("5000到1万", 5000, 10000),  # but not where it would put the low end above the high
        ("1000-800", 800, 1000),
    ],
)
def test_ranges_give_their_ends_and_propose_the_middle(text: str, low: int, high: int) -> None:
    reading = read(text)
    assert (reading.low, reading.high) == (low, high)
    assert reading.value == Decimal(low + high) / 2
    assert reading.approximate and reading.is_range


def test_a_range_with_a_period_keeps_it() -> None:
    reading = read("每月800到1000元")
    assert (reading.low, reading.high, reading.period) == (800, 1000, MONTH)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("很多", "amount.invalid"),
        ("", "amount.invalid"),
        ("左右", "amount.invalid"),
        ("about", "amount.invalid"),
        ("800元/月每年", "amount.invalid"),  # two periods
        ("between 800", "amount.invalid"),
        ("三四千五", "amount.invalid"),
        ("eight hundred hundred", "amount.invalid"),
        ("-800", "amount.negative"),
        ("大概-800", "amount.negative"),
        ("2亿", "amount.too_large"),
        ("800到2亿", "amount.too_large"),
        ("x" * 300, "amount.invalid"),
    ],
)
def test_refusals(text: str, code: str) -> None:
    assert error_of(lambda: read(text)).code == code


def test_a_yearly_figure_per_month_and_back() -> None:
    yearly, monthly = read("每年一万二"), read("800 a month")
    assert (yearly.per(MONTH), yearly.per(YEAR), yearly.per(None)) == (1000, 12000, 12000)
    assert (monthly.per(YEAR), monthly.per(MONTH)) == (9600, 800)
    assert read("每年1万").per(MONTH) == Decimal("833.33")  # to the cent
    assert read("1000").per(MONTH) == 1000  # no period said: as the question asks


# ---------------------------------------------------------------- round trips (Hypothesis)

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def in_words(n: int, *, and_: bool = True, hyphen: bool = True) -> str:
    """``n`` in English words, written here independently of the parser."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + (("-" if hyphen else " ") + _ONES[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        joint = " and " if and_ else " "
        return f"{_ONES[n // 100]} hundred" + (joint + in_words(rest, and_=and_, hyphen=hyphen) if rest else "")
    for scale, name in ((10**6, "million"), (1000, "thousand")):
        if n >= scale:
            rest = n % scale
            head = f"{in_words(n // scale, and_=and_, hyphen=hyphen)} {name}"
            return head + (" " + in_words(rest, and_=and_, hyphen=hyphen) if rest else "")
    raise AssertionError(n)


def written_forms(value: Decimal) -> list[str]:
    """Ways of writing ``value`` (yuan, at most two decimals): digits, separators, Chinese, English."""
    whole, cents = divmod(int(value * 100), 100)
    plain = f"{value:f}"
    forms = [plain, f"{value:,}", to_full_width(plain), f"{plain}元", f"¥{value:,}", cn2an.an2cn(plain, "low"),
             cn2an.an2cn(plain, "up")]
    words = [in_words(whole), in_words(whole, and_=False, hyphen=False)]
    if cents:
        decimals = " ".join(_ONES[int(d)] for d in f"{cents:02d}".rstrip("0"))
        words = [f"{w} point {decimals}" for w in words]
    forms += words
    if not cents and whole % 100 == 0 and whole >= 10000:
        forms.append(f"{Decimal(whole).scaleb(-4).normalize():f}万")  # 1.2万
    return forms


amounts = st.one_of(
    st.integers(min_value=0, max_value=10**8).map(Decimal),
    st.integers(min_value=0, max_value=10**10).map(lambda c: Decimal(c).scaleb(-2)),
)


@settings(max_examples=300, deadline=None)
@given(value=amounts)
@example(value=Decimal(0))
@example(value=Decimal(10**8))
@example(value=Decimal("12345678.9"))
@example(value=Decimal("1200"))
def test_any_amount_written_reads_back_as_itself(value: Decimal) -> None:
    for text in written_forms(value):
        reading = read(text)
        assert reading.value == value, text
        assert not reading.approximate and not reading.is_range and reading.period is None, text


HEDGES_BEFORE = ("大概", "大约", "约", "差不多", "about ", "around ", "roughly ", "approximately ", "~")
HEDGES_AFTER = ("左右", "上下", " or so", "多")


@settings(max_examples=200, deadline=None)
@given(value=amounts, data=st.data())
def test_approximate_wording_always_asks_for_confirmation(value: Decimal, data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(written_forms(value)))
    before = data.draw(st.sampled_from(("", *HEDGES_BEFORE)))
    after = data.draw(st.sampled_from(("",) if before else HEDGES_AFTER))
    reading = read(f"{before}{text}{after}")
    assert reading.approximate and reading.value == value


@settings(max_examples=200, deadline=None)
@given(ends=st.lists(st.integers(min_value=0, max_value=10**8), min_size=2, max_size=2, unique=True),
       separator=st.sampled_from(("到", "-", " to ", "~", "至")), words=st.booleans())
def test_ranges_give_low_and_high(ends: list[int], separator: str, words: bool) -> None:
    low, high = sorted(ends)
    write = in_words if words else str
    if words and separator == "-":
        separator = " - "  # "twenty-one" joins words: between numbers in words, a dash stands apart
    reading = read(f"{write(low)}{separator}{write(high)}")
    assert (reading.low, reading.high) == (low, high)
    assert reading.approximate and reading.value == (Decimal(low + high) / 2).quantize(Decimal("0.01"))


SAID_ALPHABET = st.sampled_from(
    [*"0123456789.,-~ ¥元块kw", *"零一二两三四五六七八九十百千万点", "左右", "大概", "about ", "to", "到", "每月",
     "/年", "a month", "eight", "hundred", " and ", "thousand", "point"]
)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(st.text(max_size=40), st.lists(SAID_ALPHABET, max_size=12).map("".join)))
def test_only_a_reading_within_bounds_or_a_parse_error(text: str) -> None:
    try:
        reading = read_amount(text, maximum=Decimal(1_000_000))
    except ParseError as err:
        assert err.code in {"amount.invalid", "amount.negative", "amount.too_large"}
    else:
        for value in (reading.value, reading.low, reading.high):
            if value is not None:
                assert Decimal(0) <= value <= 1_000_000 and value.as_tuple().exponent == -2
        assert reading.is_range == (reading.high is not None)
        assert not reading.is_range or reading.approximate


def test_english_words_alone() -> None:
    assert english_number("nine hundred and ninety-nine million") == 999_000_000
    assert english_number("twelve point zero five") == Decimal("12.05")
    for junk in ("eight hundred hundred", "point five", "twelve point", "twelve point fifty", "8 hundreds", "百",
                 "zero one"):
        assert english_number(junk) is None, junk

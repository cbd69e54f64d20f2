"""Tests for flows.parsing: every accepted form, every error code, and property tests."""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from flows.parsing import (
    IdNumber,
    ParseError,
    age_on,
    check_age_matches,
    normalize,
    parse_age,
    parse_amount,
    parse_count,
    parse_free_text,
    parse_id_number,
    parse_mobile,
)

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


# ---------------------------------------------------------------- normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("３０００", "3000"),
        ("3，000", "3,000"),
        ("  a \t b\n\nc  ", "a b c"),
        ("\u3000三千\u3000五\u3000", "三千 五"),  # ideographic space
        ("ｘ", "x"),
        ("", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


# ---------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3000", "3000"),
        ("3,000", "3000"),
        ("3，000", "3000"),
        ("３０００", "3000"),
        ("３，０００", "3000"),
        ("3000元", "3000"),
        ("3000 元", "3000"),
        ("3000块", "3000"),
        ("3000块钱", "3000"),
        ("¥3000", "3000"),
        ("￥3,000.50", "3000.50"),
        ("¥ 3000", "3000"),
        ("人民币3000元", "3000"),
        ("3000rmb", "3000"),
        ("3千", "3000"),
        ("3千5", "3500"),
        ("三千五", "3500"),
        ("三千五百", "3500"),
        ("三千五百元", "3500"),
        ("三千五百元整", "3500"),
        ("3.5千", "3500"),
        ("1万", "10000"),
        ("1.2万", "12000"),
        ("1.23456万", "12345.60"),  # exact: cn2an alone would truncate to 12345
        ("3万5千", "35000"),
        ("两千", "2000"),
        ("一万二", "12000"),
        ("十万零一", "100001"),
        ("三点五", "3.50"),
        ("七十点56", "70.56"),
        ("五百6", "560"),  # colloquial: 五百六 = 560
        ("二十五万三", "253000"),
        ("25万3", "253000"),
        ("一千零五", "1005"),
        ("一万零五百", "10500"),
        ("一十二", "12"),  # formal spelling of 十二
        ("壹拾贰万", "120000"),  # financial numerals
        ("壹万贰仟元整", "12000"),
        ("廿", "20"),
        ("0", "0"),
        ("0.00", "0"),
        ("零", "0"),
        ("无", "0"),
        ("没有", "0"),
        ("none", "0"),
        ("None", "0"),
        ("no", "0"),
        ("NO", "0"),
        ("3k", "3000"),
        ("3K", "3000"),
        ("2.5k", "2500"),
        ("1w", "10000"),
        ("1234.5", "1234.50"),
        (".5", "0.50"),
        ("3.005", "3.01"),  # half-up to cents
        ("3.004", "3.00"),
        ("2.675", "2.68"),  # exact decimal, not float (float would give 2.67)
        ("-0", "0"),
        ("1000000", "1000000"),
        ("1000000.004", "1000000"),  # rounds down to the maximum
    ],
)
def test_amount_accepted(text: str, expected: str) -> None:
    value = parse_amount(text, maximum=MAX_AMOUNT)
    assert value == Decimal(expected)
    assert value.as_tuple().exponent == -2  # always quantized to cents


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("-5", "amount.negative"),
        ("负五", "amount.negative"),
        ("-¥5", "amount.negative"),
        ("¥-5", "amount.negative"),
        ("−5", "amount.negative"),  # U+2212 minus sign
        ("－５", "amount.negative"),  # full-width
        ("-3千", "amount.negative"),
        ("1000000.01", "amount.too_large"),
        ("1000000.005", "amount.too_large"),
        ("一千万", "amount.too_large"),
        ("1亿", "amount.too_large"),
        ("9" * 60, "amount.too_large"),
        ("", "amount.invalid"),
        ("   ", "amount.invalid"),
        ("abc", "amount.invalid"),
        ("元", "amount.invalid"),
        ("¥", "amount.invalid"),
        ("3,00", "amount.invalid"),  # misplaced separator is not guessed at
        ("3,0000", "amount.invalid"),
        ("3 000", "amount.invalid"),
        ("3000-4000", "amount.invalid"),
        ("3.5.5", "amount.invalid"),
        ("1e5", "amount.invalid"),
        ("千", "amount.invalid"),
        ("--5", "amount.invalid"),
        ("负负五", "amount.invalid"),
        ("3块5", "amount.invalid"),
        ("nan", "amount.invalid"),
        ("inf", "amount.invalid"),
        ("3" * 200, "amount.invalid"),  # too long to be an amount at all
        ("三点一二三四五六七八九一二三四五六七八九", "amount.invalid"),
        # cn2an reads these, but as ranges or typos they have no one value:
        ("两三千", "amount.invalid"),  # two or three thousand
        ("三四千五", "amount.invalid"),  # cn2an: 7500
        ("五8万五", "amount.invalid"),  # cn2an: 135000
        ("千7万9", "amount.invalid"),  # cn2an: 10079000
        ("百百4", "amount.invalid"),
        ("六10", "amount.invalid"),  # cn2an: 60
        ("一16", "amount.invalid"),  # cn2an: 16
        ("三千65", "amount.invalid"),  # 3065 or 3650?
        ("1亿266", "amount.invalid"),
        ("一二三", "amount.invalid"),  # digit by digit is refused too
        ("1.5万5", "amount.invalid"),
        ("九" * 20 + "万", "amount.invalid"),  # past cn2an's 16 digits
    ],
)
def test_amount_errors(text: str, code: str) -> None:
    assert error_of(lambda: parse_amount(text, maximum=MAX_AMOUNT)).code == code


def test_amount_too_large_params() -> None:
    err = error_of(lambda: parse_amount("2000000", maximum=MAX_AMOUNT))
    assert err.params == {"max": MAX_AMOUNT}


def test_amount_errors_carry_no_input() -> None:
    for text in ["-5", "abc", "3,00"]:
        assert error_of(lambda text=text: parse_amount(text, maximum=MAX_AMOUNT)).params == {}


# ---------------------------------------------------------------- counts and ages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("3", 3),
        ("３", 3),
        ("三", 3),
        ("十二", 12),
        ("两", 2),
        ("3人", 3),
        ("3 人", 3),
        ("三个人", 3),
        ("4个", 4),
        ("四口", 4),
        ("四口人", 4),
        ("2辆", 2),
        ("两辆", 2),
        ("1套", 1),
        ("3名", 3),
        ("零", 0),
        ("无", 0),
        ("没有", 0),
        ("none", 0),
        ("3.0", 3),
        ("20", 20),
    ],
)
def test_count_accepted(text: str, expected: int) -> None:
    assert parse_count(text, maximum=MAX_COUNT) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "count.invalid"),
        ("abc", "count.invalid"),
        ("3.5", "count.invalid"),
        ("三点五", "count.invalid"),
        ("-1", "count.invalid"),
        ("负一", "count.invalid"),
        ("3-4", "count.invalid"),
        ("人", "count.invalid"),
        ("两三个", "count.invalid"),  # "two or three": cn2an alone says 23
        ("三四个人", "count.invalid"),
        ("21", "count.too_large"),
        ("一万", "count.too_large"),
        ("9" * 60, "count.too_large"),
    ],
)
def test_count_errors(text: str, code: str) -> None:
    assert error_of(lambda: parse_count(text, maximum=MAX_COUNT)).code == code


def test_count_too_large_params() -> None:
    assert error_of(lambda: parse_count("21", maximum=MAX_COUNT)).params == {"max": MAX_COUNT}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("35", 35),
        ("３５", 35),
        ("35岁", 35),
        ("35 岁", 35),
        ("35周岁", 35),
        ("三十五", 35),
        ("三十五岁", 35),
        ("两岁", 2),
        ("十二", 12),
        ("零", 0),
        ("120", 120),
        ("一百二十", 120),
        ("35 years old", 35),
    ],
)
def test_age_accepted(text: str, expected: int) -> None:
    assert parse_age(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "age.invalid"),
        ("abc", "age.invalid"),
        ("35.5", "age.invalid"),
        ("-3", "age.invalid"),
        ("无", "age.invalid"),  # "none" is no age
        ("35虚岁", "age.invalid"),  # nominal age is not completed years
        ("3个月", "age.invalid"),
        ("七八岁", "age.invalid"),  # "seven or eight": cn2an alone says 78
        ("121", "age.too_large"),
        ("一百二十一", "age.too_large"),
        ("9" * 60, "age.too_large"),
    ],
)
def test_age_errors(text: str, code: str) -> None:
    assert error_of(lambda: parse_age(text)).code == code


def test_age_too_large_params() -> None:
    assert error_of(lambda: parse_age("150")).params == {"max": 120}


# ---------------------------------------------------------------- ID numbers


def test_region_codes_valid_in_every_year() -> None:
    for region in REGIONS:
        for year in (1920, 1960, 2000, TODAY.year):
            assert ric.is_valid(make_id(region, date(year, 1, 1), 1))


@pytest.mark.parametrize(
    "text",
    [
        VALID_ID,
        f"{VALID_ID[:6]} {VALID_ID[6:14]} {VALID_ID[14:]}",
        f"{VALID_ID[:6]}-{VALID_ID[6:14]}-{VALID_ID[14:]}",
        f"  {VALID_ID}  ",
        to_full_width(VALID_ID),
    ],
)
def test_id_accepted(text: str) -> None:
    parsed = parse_id_number(text, today=TODAY)
    assert parsed == IdNumber(number=VALID_ID, birth_date=date(1990, 3, 7))
    assert parsed.age_on(TODAY) == 35


@pytest.mark.parametrize(
    "text", [ID_WITH_X, ID_WITH_X.lower(), to_full_width(ID_WITH_X.lower()), to_full_width(ID_WITH_X)]
)
def test_id_x_check_digit(text: str) -> None:
    assert parse_id_number(text, today=TODAY).number == ID_WITH_X


def test_id_region_created_after_birth_is_accepted() -> None:
    # 440106 (Tianhe) dates from 1985 and stdnum's validate() rejects it for a 1960 birth,
    # but residents registered after 1985 carry it whatever their birth year.
    number = make_id("440106", date(1960, 1, 1), 123)
    assert not ric.is_valid(number)
    assert parse_id_number(number, today=TODAY).birth_date == date(1960, 1, 1)


def _with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "id.length"),
        (VALID_ID[:17], "id.length"),
        (VALID_ID + "1", "id.length"),
        ("110101900307123", "id.length"),  # old 15-digit form
        ("x" * 500, "id.length"),
        (VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1"), "id.checksum"),
        (VALID_ID[:5] + "2" + VALID_ID[6:], "id.checksum"),
        ("11010119900307123A", "id.invalid"),
        ("1101011990030712X3", "id.invalid"),
        ("11010119900307一二三4", "id.invalid"),
        (_with_check_digit("11010119900230123"), "id.birth_date"),  # 30 February
        (_with_check_digit("11010119901301123"), "id.birth_date"),  # month 13
        (_with_check_digit("11010120250602123"), "id.birth_date"),  # the day after TODAY
        (_with_check_digit("11010118800101123"), "id.birth_date"),  # 145 years old
    ],
)
def test_id_errors(text: str, code: str) -> None:
    err = error_of(lambda: parse_id_number(text, today=TODAY))
    assert err.code == code
    assert err.params == {}  # never the number
    # stdnum's exception is not chained (nor shown in tracebacks) with the error.
    assert err.__cause__ is None
    assert err.__context__ is None or err.__suppress_context__


def test_id_birth_today_is_accepted() -> None:
    number = _with_check_digit(f"110101{TODAY:%Y%m%d}123")
    assert parse_id_number(number, today=TODAY).age_on(TODAY) == 0


def test_id_repr_hides_number() -> None:
    assert VALID_ID not in repr(parse_id_number(VALID_ID, today=TODAY))


def test_check_age_matches() -> None:
    parsed = parse_id_number(VALID_ID, today=TODAY)  # born 1990-03-07: 35 on TODAY
    check_age_matches(parsed, 35, TODAY)
    for wrong in (34, 36):
        err = error_of(lambda wrong=wrong: check_age_matches(parsed, wrong, TODAY))
        assert err.code == "id.age_mismatch"
        assert err.params == {"age_from_id": 35}
    # The day before the birthday the holder is still one year younger.
    check_age_matches(parsed, 34, date(2025, 3, 6))
    check_age_matches(parsed, 35, date(2025, 3, 7))


@pytest.mark.parametrize(
    ("birth", "day", "expected"),
    [
        (date(1990, 3, 7), date(2025, 3, 6), 34),
        (date(1990, 3, 7), date(2025, 3, 7), 35),
        (date(1990, 3, 7), date(1990, 3, 7), 0),
        (date(2000, 2, 29), date(2001, 2, 28), 0),  # a leap-day birthday counts from 1 March
        (date(2000, 2, 29), date(2001, 3, 1), 1),
        (date(2000, 2, 29), date(2004, 2, 29), 4),
    ],
)
def test_age_on(birth: date, day: date, expected: int) -> None:
    assert age_on(birth, day) == expected


def test_age_on_before_birth_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


# ---------------------------------------------------------------- mobile


@pytest.mark.parametrize(
    "text",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+8613800138000",
        "+86 138 0013 8000",
        "86 13800138000",
        "8613800138000",
        "0086 138 0013 8000",
        "(+86) 138-0013-8000",
        "１３８００１３８０００",
        "＋８６ １３８ ００１３ ８０００",
        " 13800138000 ",
    ],
)
def test_mobile_accepted(text: str) -> None:
    assert parse_mobile(text) == "13800138000"


@pytest.mark.parametrize(
    "text",
    ["", "1380013800", "138001380001", "23800138000", "+1 13800138000", "8813800138000",
     "1380013800a", "138.0013.8000", "1" * 200],
)
def test_mobile_errors(text: str) -> None:
    err = error_of(lambda: parse_mobile(text))
    assert err.code == "mobile.invalid"
    assert err.params == {}


# ---------------------------------------------------------------- free text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("  家里有老人需要照顾。\n", "家里有老人需要照顾。"), ("a  b", "a  b"), ("，", "，")],
)
def test_free_text_accepted(text: str, expected: str) -> None:
    assert parse_free_text(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u3000"])
def test_free_text_empty(text: str) -> None:
    assert error_of(lambda: parse_free_text(text)).code == "text.empty"


def test_free_text_length() -> None:
    assert parse_free_text(" " + "字" * 10 + " ", max_length=10) == "字" * 10
    err = error_of(lambda: parse_free_text("字" * 11, max_length=10))
    assert (err.code, err.params) == ("text.too_long", {"max": 10})
    assert error_of(lambda: parse_free_text("a" * 4097)).params == {"max": 4096}


# ---------------------------------------------------------------- ParseError itself


def test_parse_error_behaves_as_an_exception() -> None:
    err = ParseError("amount.too_large", {"max": 5})
    assert isinstance(err, ValueError)
    assert (err.code, err.params) == ("amount.too_large", {"max": 5})
    assert err == ParseError("amount.too_large", {"max": 5})
    assert err != ParseError("amount.too_large", {"max": 6})
    assert hash(err) == hash(ParseError("amount.too_large", {"max": 6}))
    assert pickle.loads(pickle.dumps(err)) == err
    assert ParseError("text.empty").params == {}
    with pytest.raises(AttributeError):
        err.code = "other"  # type: ignore[misc]
    err.add_note("notes work")  # a frozen slotted dataclass exception fails here on 3.11

    @contextlib.contextmanager
    def passthrough() -> Any:
        yield

    with pytest.raises(ParseError):
        with passthrough():
            raise err


# ---------------------------------------------------------------- properties

NUMERAL_ALPHABET = st.sampled_from(
    list("0123456789０１２３４５６７８９.,，-−+ ¥￥元块钱整kKwW")
    + list("零〇一二两三四五六七八九十百千万亿拾佰仟壹贰点负廿")
    + list("人个口辆套名位岁周虚xXｘ()年")
)
numeral_like = st.text(NUMERAL_ALPHABET, max_size=20)


@settings(max_examples=300)
@given(n=st.integers(min_value=0, max_value=int(MAX_AMOUNT)))
@example(n=0)
@example(n=int(MAX_AMOUNT))
def test_amount_integer_forms(n: int) -> None:
    for text in (str(n), f"{n:,}", to_full_width(str(n)), to_full_width(f"{n:,}"), f"{n}元"):
        assert parse_amount(text, maximum=MAX_AMOUNT) == n


@settings(max_examples=200)
@given(cents=st.integers(min_value=0, max_value=int(MAX_AMOUNT) * 100))
def test_amount_cents_round_trip(cents: int) -> None:
    value = Decimal(cents).scaleb(-2)
    assert parse_amount(f"¥{value:,}", maximum=MAX_AMOUNT) == value


@settings(max_examples=200)
@given(n=st.integers(min_value=0, max_value=MAX_COUNT))
def test_count_integer_forms(n: int) -> None:
    for text in (str(n), to_full_width(str(n)), f"{n}人", f"{n}辆"):
        assert parse_count(text, maximum=MAX_COUNT) == n


PARSERS: list[Callable[[str], object]] = [
    lambda t: parse_amount(t, maximum=MAX_AMOUNT),
    lambda t: parse_count(t, maximum=MAX_COUNT),
    parse_age,
    lambda t: parse_id_number(t, today=TODAY),
    parse_mobile,
    parse_free_text,
]


@settings(max_examples=500)
@given(text=st.one_of(st.text(), numeral_like))
def test_parsers_only_return_or_raise_parse_error(text: str) -> None:
    for parse in PARSERS:
        try:
            parse(text)
        except ParseError:
            pass


@settings(max_examples=300)
@given(text=numeral_like)
def test_amount_is_non_negative_cents_within_maximum(text: str) -> None:
    try:
        value = parse_amount(text, maximum=MAX_AMOUNT)
    except ParseError as err:
        assert err.code in {"amount.invalid", "amount.negative", "amount.too_large"}
    else:
        assert Decimal(0) <= value <= MAX_AMOUNT
        assert value.as_tuple().exponent == -2


@st.composite
def id_numbers(draw: st.DrawFn) -> tuple[str, date]:
    """A valid ID number and its birth date."""
    region = draw(st.sampled_from(REGIONS))
    birth = draw(st.dates(min_value=date(1920, 1, 1), max_value=TODAY))
    sequence = draw(st.integers(min_value=0, max_value=999))
    return make_id(region, birth, sequence), birth


def _spaced(number: str) -> str:
    return f"{number[:6]} {number[6:14]} {number[14:]}"


@settings(max_examples=300)
@given(generated=id_numbers())
def test_generated_ids_accepted_in_every_form(generated: tuple[str, date]) -> None:
    number, birth = generated
    forms = {number, _spaced(number), number.lower(), to_full_width(number),
             to_full_width(_spaced(number.lower()))}
    for text in forms:
        parsed = parse_id_number(text, today=TODAY)
        assert parsed.number == number
        assert parsed.birth_date == birth
        assert parsed.age_on(TODAY) == age_on(birth, TODAY)
        check_age_matches(parsed, age_on(birth, TODAY), TODAY)


@settings(max_examples=300)
@given(
    generated=id_numbers(),
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_one_changed_body_digit_is_rejected(
    generated: tuple[str, date], position: int, delta: int
) -> None:
    number, _ = generated
    digit = str((int(number[position]) + delta) % 10)
    changed = number[:position] + digit + number[position + 1 :]
    err = error_of(lambda: parse_id_number(changed, today=TODAY))
    # MOD 11-2 catches every single-digit change, and the checksum is checked first.
    assert err.code == "id.checksum"
    assert err.params == {}


@settings(max_examples=200)
@given(
    birth=st.dates(min_value=date(1905, 1, 1), max_value=TODAY),
    day=st.dates(min_value=date(1905, 1, 1), max_value=TODAY + timedelta(days=3650)),
)
def test_age_on_is_completed_years(birth: date, day: date) -> None:
    if day < birth:
        return
    years = age_on(birth, day)
    assert years >= 0
    # The last birthday passed is at or before ``day``; the next one is after it.
    def birthday(year: int) -> date:
        try:
            return birth.replace(year=year)
        except ValueError:  # 29 February in a common year
            return date(year, 3, 1)

    assert birthday(birth.year + years) <= day < birthday(birth.year + years + 1)


def test_the_numeral_tables_agree_with_cn2an():
    """The parser's own tables of numerals and units read as cn2an's public reader reads them."""
    import cn2an

    from flows.parsing import NUMERALS, UNITS

    assert {char: cn2an.cn2an(char, "smart") for char in NUMERALS} == NUMERALS
    assert {char: cn2an.cn2an("一" + char, "smart") for char in UNITS} == UNITS
    assert cn2an.an2cn(2) == "二" and cn2an.an2cn(10) == "十"  # the first spelling of each value
